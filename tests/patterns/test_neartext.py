"""Near-identical text: variants group together, different texts never do, and identical
copies count as identical text, not twice."""

from __future__ import annotations

import csv
from pathlib import Path

from patterns.service import PatternService

BASE = "the mayor promised new parks and cleaner streets for every neighbourhood next year"
SECOND = "our council will vote on the budget for schools buses and libraries this tuesday"


def write(tmp_path: Path, rows: list[tuple[str, int, str]]) -> Path:
    path = tmp_path / "near.csv"
    lines = ["account_id,created_at,text"] + [f'{a},{1700000000 + t},"{x}"' for a, t, x in rows]
    path.write_text("\n".join(lines) + "\n")
    return path


def test_variants_link_accounts_unrelated_texts_do_not(svc: PatternService, tmp_path: Path) -> None:
    variant = BASE.replace("cleaner", "safer")  # one word of 14 changed
    other = "completely different words about weather football cooking music and travel plans"
    rows = [("a", 0, BASE), ("b", 10, variant), ("c", 20, BASE.upper()), ("z", 5, other)]
    # A second message an hour later, so every pair shares two near-identical items.
    rows += [
        ("a", 3600, SECOND),
        ("b", 3610, SECOND.replace("buses", "trams")),
        ("c", 3620, SECOND.upper()),
        ("z", 3605, other.replace("music", "films")),
    ]
    path = write(tmp_path, rows)
    result = svc.analyze_file(path, scope="s", params=svc.params(signals="near_text"))
    assert [set(c.accounts) for c in result.clusters] == [{"a", "b", "c"}]
    assert result.clusters[0].signals == {"near_text": 2}
    # Identical text alone finds only a and c (their copies match exactly once normalised).
    exact = svc.analyze_dataset(
        "near", scope="s", params=svc.params(signals="text", min_accounts=2)
    )
    assert [set(c.accounts) for c in exact.clusters] == [{"a", "c"}]
    # With both signals, a-c's identical copies count as text, a-b's variants as near_text,
    # and each message is one item (never text + near_text for the same copy).
    both = svc.analyze_dataset("near", scope="s", params=svc.params(signals="text,near_text"))
    assert both.clusters[0].signals == {"text": 2}  # per item: identical wins inside the cluster
    svc.export(both, scope="s", out_dir=tmp_path / "out")
    with (tmp_path / "out" / "edges.csv").open() as f:
        edges = {frozenset((r["source"], r["target"])): r for r in csv.DictReader(f)}
    assert edges[frozenset({"a", "c"})]["signals"] == "text:2"
    assert edges[frozenset({"a", "b"})]["signals"] == "near_text:2"
    assert {r["weight"] for r in edges.values()} == {"2.0"}


def test_threshold_matters(svc: PatternService, tmp_path: Path) -> None:
    words = BASE.split()
    loose = " ".join([*words[:8], "completely", "other", "ending", "here", "today", "folks"])
    words2 = SECOND.split()
    loose2 = " ".join([*words2[:8], "completely", "other", "ending", "here", "today", "folks"])
    rows = [
        ("a", 0, BASE),
        ("b", 10, loose),
        ("c", 15, BASE),
        ("a", 3600, SECOND),
        ("b", 3610, loose2),
        ("c", 3615, SECOND),
    ]
    path = write(tmp_path, rows)
    strict = svc.analyze_file(path, scope="s", params=svc.params(signals="near_text"))
    assert [set(c.accounts) for c in strict.clusters] == []  # b is too different at 0.8
    lax = svc.analyze_dataset(
        "near",
        scope="s",
        params=svc.params(signals="near_text", near_text_threshold=0.3, min_accounts=3),
    )
    assert [set(c.accounts) for c in lax.clusters] == [{"a", "b", "c"}]
