""" "Which accounts shared X?" and "Who posted TEXT?" count every account whose stored posts
carry the item, and name separately those that posted it within the window in pairs the
analysis linked; a text is found in whole, in part, near-identically, and whatever its
case, punctuation or spacing."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot.assistant import Assistant, Requester
from patterns.queries import item_sharers
from tests.support.rows import write_rows

ME = Requester(scope="guild:1", user="alice", can_moderate=True)
T0 = 1_700_000_000
LINK = "https://news.example/story"
BOTS = [f"bot{k}" for k in range(4)]
COPY = "Vote for change now! The time is right, friends, and the city needs you."
# One word of 14 changed: near-identical to COPY (Jaccard 13/15).
VARIANT = "Vote for change now! The time is right, friends, and the town needs you."


def _write(path: Path) -> None:
    """70 accounts post the link and hashtag hours apart (no pair within the window); four
    bots post it with the same texts seconds apart, twice; one account posts a longer text
    holding part of COPY, one a near-identical variant, one COPY in other punctuation."""
    rows: list[dict[str, object]] = []

    def add(account: str, t: int, text: str, urls: str = "", tags: str = "") -> None:
        rows.append(
            {
                "post_id": f"p{len(rows)}",
                "account_id": account,
                "created_at": t,
                "text": text,
                "urls": urls,
                "hashtags": tags,
            }
        )

    for k in range(70):
        add(f"org{k}", T0 + 3_600 * k, f"An interesting read, number {k}", LINK, "#Election")
    for r, text in enumerate((COPY, "Our mayor lied again, share before they delete it")):
        for k, bot in enumerate(BOTS):
            add(bot, T0 + 500_000 + 20_000 * r + 5 * k, text, LINK, "#Election")
    add("longer", T0 + 900_000, "My view: the time is right, friends! Nothing else to add")
    add("variant", T0 + 950_000, VARIANT)
    add(
        "punct",
        T0 + 990_000,
        "vote for change now -- the time is right friends; and the city needs you",
    )
    write_rows(path, rows)


@pytest.fixture
def analysed(assistant: Assistant, tmp_path: Path) -> Assistant:
    _write(tmp_path / "posts.csv")
    assistant.analyze(str(tmp_path / "posts.csv"), ME, name="news")
    return assistant


def test_every_sharer_is_counted_and_the_linked_ones_named(analysed: Assistant) -> None:
    for question, what in (
        # A marker after a link is spaced off it, so the link stays clickable.
        (f"Which accounts shared the link {LINK}?", f"the link {LINK} ["),
        ("Which accounts used the hashtag #election?", "the hashtag #election["),
    ):
        answer = analysed.ask(question, ME).answer
        # A user saw "4 accounts shared the link" where 74 had: the count is every poster.
        assert f"In dataset news, 74 accounts shared {what}" in answer, answer
        assert "4 of them posted it within 60 s of another account" in answer
        assert all(b in answer for b in BOTS)
        assert "The other 70 accounts are in no linked pair" in answer
        assert not re.search(r"\borg\d", answer)  # the unlinked are counted, not listed


def test_a_text_is_found_in_whole_in_part_and_near_identically(analysed: Assistant) -> None:
    answer = analysed.ask(f'Who posted "{COPY.upper()}"?', ME)
    text = answer.answer
    assert "6 accounts posted the text" in text, text
    exact = re.search(r"5 with that very text \(([^)]*)\)", text)
    assert exact and set(exact.group(1).split(", ")) == {*BOTS, "punct"}
    assert "1 with a near-identical text (variant)" in text
    assert "longer" not in text  # it holds only part of COPY
    quoted = {c.quote for c in answer.citations}
    assert VARIANT in quoted  # the near-identical post is quoted verbatim

    part = analysed.ask('Who posted "The time is right, friends"?', ME).answer
    assert "7 accounts posted the text" in part, part
    assert "7 with a post that contains it" in part
    assert all(a in part for a in ("longer", "punct", "variant", *BOTS))
    assert "4 of them posted it within 60 s of another account" in part


def test_a_text_in_no_post_is_said_so(analysed: Assistant) -> None:
    answer = analysed.ask('Who posted "nothing of the kind was ever written"?', ME).answer
    assert "No post in dataset news has the text" in answer


def test_the_posters_are_counted_from_the_posts(analysed: Assistant) -> None:
    with analysed.reader.reading(ME.scope, "news") as (con, ref):
        assert ref is not None
        link = item_sharers(con, ref, "url", "HTTPS://NEWS.example/story/?utm_source=x")
        text = item_sharers(con, ref, "text", "the time is right friends")
    assert link.posted_by == 74 and len(link.posters) == 74
    assert {s.account.account_id for s in link.sharers} == set(BOTS)
    assert link.unpaired == 70
    assert text.by_match == {"contains": 7}
    assert [p.match for p in text.posters] == ["contains"] * 7


def test_one_poster_is_worded_as_one(analysed: Assistant) -> None:
    # A single unlinked poster: "1 of its accounts has posts", "That account did not post it"
    # (not "have" and "None of them").
    answer = analysed.ask('Who posted "Nothing else to add"?', ME)
    assert "1 account posted the text" in answer.answer, answer.answer
    assert "That account did not post it within 60 s" in answer.answer
    assert any("1 of its 77 accounts has posts" in c.quote for c in answer.citations)


def test_linked_names_run_as_members_do_and_one_other_is_singular(
    assistant: Assistant, tmp_path: Path
) -> None:
    # A user saw "heron_01, ..., heron_07, heron_06": names came most paired posts first.
    # Here b0 joins one burst of two, so it has fewer paired posts than b1..b3.
    rows: list[dict[str, object]] = []
    for burst in range(2):
        for k in range(4):
            if burst == 1 and k == 0:
                continue
            rows.append(
                {
                    "post_id": f"p{len(rows)}",
                    "account_id": f"b{k}",
                    "created_at": T0 + 20_000 * burst + 5 * k,
                    "text": f"burst {burst} from b{k}",
                    "urls": LINK,
                    "hashtags": "#Election",
                }
            )
    rows.append(
        {
            "post_id": "late",
            "account_id": "org",
            "created_at": T0 + 90_000,
            "text": "late",
            "urls": LINK,
            "hashtags": "",
        }
    )
    write_rows(tmp_path / "posts.csv", rows)
    assistant.analyze(str(tmp_path / "posts.csv"), ME, name="order")
    asked = assistant.ask(f"Which accounts shared the link {LINK}?", ME)
    answer = asked.answer
    assert re.search(r"In cluster c[0-9a-f]+: b0, b1, b2, b3\b", answer), answer
    assert any("linked: b0, b1, b2, b3." in c.quote for c in asked.citations)
    assert any(
        "the link https://news.example/story: b0, b1, b2, b3, org." in c.quote
        for c in asked.citations
    )
    assert "The other account is in no linked pair" in answer
