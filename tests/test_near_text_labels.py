"""Posts of one near-identical text group are shown in their own words: evidence, cluster
examples, `account` ties, `ask` citations and evidence.csv name each post's own text (the
item is named by its first post's), and "Who posted X?" finds every text of the group."""

from __future__ import annotations

import csv
import re
from pathlib import Path

from bot.assistant import Assistant, Requester
from patterns.result_text import cluster_view

ME = Requester(scope="guild:1", user="alice", can_moderate=True)
ACCOUNTS = [f"alpha_{i}" for i in range(4)]
# 12 words; one word changed keeps 11 of 13: 0.85, near-identical at 0.8.
TEXT = "Vote for Mayor Quill now in the city election this spring, message {k}!"


def _write(path: Path) -> dict[str, str]:
    """Six rounds, each a variant of TEXT posted by every account seconds apart."""
    rows, texts = [], {}
    for k in range(6):
        for i, account in enumerate(ACCOUNTS):
            pid = f"p{k}{i}"
            texts[pid] = TEXT.format(k=k)
            rows.append(
                {
                    "post_id": pid,
                    "account_id": account,
                    # Round k starts 3 h apart; the accounts' order changes every round.
                    "created_at": 1_700_000_000 + 10_800 * k + 5 * ((i + k) % 4),
                    "text": texts[pid],
                    "urls": f"https://quill.example/page{k}",
                }
            )
    with path.open("w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return texts


def test_every_post_is_labelled_with_its_own_text(assistant: Assistant, tmp_path: Path) -> None:
    texts = _write(tmp_path / "posts.csv")
    result = assistant.analyze(str(tmp_path / "posts.csv"), ME, name="quill")
    [summary] = result.clusters
    assert summary.signals.get("text", 0) + summary.signals.get("near_text", 0) == 1  # one group

    detail = assistant.cluster(summary.id, ME)
    assert detail.evidence_examples
    for e in detail.evidence_examples:
        if e.signal in ("text", "near_text"):
            assert e.item == texts[e.post_id]
    times = [e.time for e in detail.evidence_examples]
    assert times == sorted(times)  # examples in time order
    view = cluster_view(detail)
    assert "  alpha_1: 6 posts, linked to 3 other members\n" in view  # no creation dates
    assert "partners" not in view

    for account in assistant.account("alpha_1", ME):
        for tie in account.ties:
            for item in tie.items:
                if item.signal in ("text", "near_text"):
                    assert item.label == texts[item.post_a.post_id]

    assistant.export(result, ME, tmp_path / "out")
    with (tmp_path / "out" / "evidence.csv").open() as fh:
        rows = [r for r in csv.DictReader(fh) if r["signal"] in ("text", "near_text")]
    assert rows
    assert all(r["item"] == texts[r["source_post"]] for r in rows)
    # The first post's text names the item; rows of other rounds must not carry it.
    assert {r["item"] for r in rows} != {TEXT.format(k=0)}

    answer = assistant.ask("Who is alpha_1 coordinating with?", ME)
    for c in answer.citations:
        for quoted, pids in re.findall(r'identical text "([^"]+)": \S+ post (\S+)', c.quote):
            assert quoted == texts[pids]


def test_who_posted_finds_each_text_of_a_near_identical_group(
    assistant: Assistant, tmp_path: Path
) -> None:
    _write(tmp_path / "posts.csv")
    assistant.analyze(str(tmp_path / "posts.csv"), ME, name="quill")
    for k in range(6):
        answer = assistant.ask(f'Who posted "{TEXT.format(k=k)}"?', ME)
        assert not answer.refused
        assert "no accounts shared" not in answer.answer
        assert all(a in answer.answer for a in ACCOUNTS), answer.answer
