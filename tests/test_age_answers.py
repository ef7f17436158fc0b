"""Questions about new accounts are answered from the accounts' creation dates, naming the
newest with their dates and citing the dataset; a dataset without creation dates says so.
(A user asking "Which accounts in harbor are new?" was given the cluster count.)"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from bot.assistant import Assistant, Requester
from patterns.serialise import iso
from tests.support.rows import write_rows

ME = Requester(scope="guild:1", user="me", can_moderate=True)
T0 = 1_700_000_000
HOUR, DAY = 3_600, 86_400
# Campaign accounts, newest first: created 12 hours, 3, 10 and 40 days before T0.
CREATED = {"c1": T0 - 12 * HOUR, "c2": T0 - 3 * DAY, "c3": T0 - 10 * DAY, "c4": T0 - 40 * DAY}
OLD = {"o1": T0 - 900 * DAY, "o2": T0 - 1000 * DAY, "o3": T0 - 1100 * DAY}
LAST_POST = T0 + 100_000 + 3 * 7  # the campaign's last round: the dataset's last post


def _rows(with_dates: bool) -> list[dict[str, Any]]:
    rows = []
    for r in range(3):  # the campaign posts one text and link three times, seconds apart
        for k, account in enumerate(CREATED):
            rows.append(
                {
                    "post_id": f"p{r}{k}",
                    "account_id": account,
                    "created_at": T0 + 50_000 * r + 7 * k,
                    "text": f"Vote for change now, round {r}!",
                    "urls": f"https://vote.example/{r}",
                    "account_created_at": CREATED[account],
                }
            )
    for k, account in enumerate([*OLD, "u1"]):  # old accounts, and one with no date
        rows.append(
            {
                "post_id": f"o{k}",
                "account_id": account,
                "created_at": T0 + 1_000 * k + 500,
                "text": f"my cat did a thing {k}",
                "urls": "",
                "account_created_at": OLD.get(account, ""),
            }
        )
    if not with_dates:
        for row in rows:
            del row["account_created_at"]
    return rows


@pytest.fixture
def analysed(assistant: Assistant, tmp_path: Path) -> Assistant:
    for name, dated in (("harbor", True), ("nodates", False)):
        path = write_rows(tmp_path / f"{name}.csv", _rows(dated))
        assistant.analyze(str(path), ME, name=name)
    return assistant


def _order(text: str, names: list[str]) -> list[str]:
    return sorted((n for n in names if f"({n})" in text or f"{n} created" in text), key=text.index)


@pytest.mark.parametrize(
    "question",
    [
        "Which accounts in harbor are new?",
        "Which new accounts are in the harbor dataset?",
        "Which recently created accounts are in harbor?",
        "How old are the accounts in harbor?",
    ],
)
def test_new_accounts_are_named_newest_first_with_their_dates(
    analysed: Assistant, question: str
) -> None:
    answer = analysed.ask(question, ME)
    data = answer.to_json()
    assert not answer.refused and "coordination cluster at" not in answer.answer
    # New by the analysis' rule (created within 60 days of the first post): c1..c4, not the
    # old ones, nor u1 (no date), which is counted apart.
    assert "In dataset harbor, 4 of the 7 accounts with a creation date are new" in answer.answer
    assert _order(answer.answer, [*CREATED, *OLD, "u1"]) == ["c1", "c2", "c3", "c4"]
    assert f"c1 created {iso(CREATED['c1'])}, 12 hours before its first post" in answer.answer
    assert f"c4 created {iso(CREATED['c4'])}" in answer.answer
    assert any("1 of its 8 accounts have none" in c["quote"] for c in data["citations"])
    for c in data["citations"]:
        assert c["kind"] == "analysis" and c["dataset"] == "harbor"
        assert f"[{c['n']}]" in data["answer"]
    listed = next(c for c in data["citations"] if c["post_ids"])
    assert listed["post_ids"] == ["p00", "p01", "p02", "p03"]  # each account's first post


def test_how_old_the_accounts_are(analysed: Assistant) -> None:
    answer = analysed.ask("How old are the accounts in harbor?", ME).answer
    assert f"Creation dates run from {iso(OLD['o3'])}, o3, to {iso(CREATED['c1'])}, c1" in answer
    # Ages at first post: c1..c4 about 0.5, 3, 10, 40 days; o1..o3 900-1100: median 40.
    assert "the median account was 40 days old" in answer


@pytest.mark.parametrize(
    "question",
    [
        "Which accounts in harbor were created in the last week?",
        "Which accounts in harbor are less than 7 days old?",
    ],
)
def test_a_period_counts_back_from_the_datasets_last_post(
    analysed: Assistant, question: str
) -> None:
    """A stored dataset's "now" is its last post: a week before it holds c1 and c2."""
    answer = analysed.ask(question, ME).answer
    assert (
        "In dataset harbor, 2 of the 7 accounts with a creation date were created in the "
        f"7 days before the dataset's last post ({iso(LAST_POST)})"
    ) in answer
    assert _order(answer, [*CREATED, *OLD]) == ["c1", "c2"]


def test_a_dataset_without_creation_dates_says_so(analysed: Assistant) -> None:
    for question in ("Which accounts in nodates are new?", "How old are the accounts in nodates?"):
        answer = analysed.ask(question, ME)
        assert not answer.refused
        assert answer.answer.startswith("Dataset nodates has no account-creation dates, so")
        assert not _order(answer.answer, [*CREATED, *OLD])
        assert [c.dataset for c in answer.citations] == ["nodates"]


def test_a_named_dataset_is_asked_even_when_the_reporting_talks_of_new_accounts(
    analysed: Assistant,
) -> None:
    analysed.ingest_text(
        "Harbor notes\n\nMany of the new accounts in the harbor vote were created days "
        "before it. Twitter suspended 12 new accounts on June 2.",
        "notes",
        ME,
    )
    asked = analysed.ask("Which accounts in harbor are new?", ME)
    assert asked.citations and all(c.kind == "analysis" for c in asked.citations)
    fact = analysed.ask("How many new accounts did Twitter suspend?", ME)
    assert any("Twitter suspended 12 new accounts" in c.quote for c in fact.citations)
    assert all(c.kind == "source" for c in fact.citations)
