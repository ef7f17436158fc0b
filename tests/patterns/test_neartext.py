"""Near-identical text: variants group together, different texts never do, and identical
copies count as identical text, not twice."""

from __future__ import annotations

import csv
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa

from patterns.neartext import build_groups, true_similar
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
    # Its own filler: with the first one's, the two loose texts share 7 of 21 words (0.33),
    # and at 0.3 every text would chain into one group, one item (checked on exact Jaccard).
    loose2 = " ".join([*words2[:8], "quite", "another", "finish", "there", "tonight", "friends"])
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


def test_near_groups_use_the_true_jaccard_not_the_estimate() -> None:
    """One word changed in a 7-word text keeps 6 of 8 words (0.75): below 0.8, whatever the
    MinHash estimate says (it joined six of these twelve texts with the default seed)."""
    texts = [f"vote for mayor quill now message {k}" for k in range(12)]
    con = duckdb.connect()
    con.register("_texts", pa.table({"tid": list(range(12)), "nt": texts}))
    for seed in (42, 0, 1, 2, 3, 7):
        assert build_groups(con, "_texts", threshold=0.8, seed=seed) == 0
    # At 0.7 they are near-identical, and all twelve form one group.
    assert build_groups(con, "_texts", threshold=0.7, seed=42) == 12


def test_true_similar_is_exact_at_the_threshold() -> None:
    common = "one two three four five six seven eight".split()
    texts = [
        [*common, "nine"],  # 0: vs 1 shares 8 of 10 words: exactly 0.8
        [*common, "ten"],
        [*common[:6], "x", "y"],  # 2: vs 0 shares 6 of 11
        [*common, "nine", "nine"],  # 3: a repeated word changes no set: 1.0 with 0
    ]
    tids = np.repeat(np.arange(len(texts), dtype=np.int64), [len(t) for t in texts])
    words = sorted({w for t in texts for w in t})
    hashes = np.asarray([words.index(w) * 7919 + 1 for t in texts for w in t], dtype=np.uint64)
    x = np.asarray([0, 0, 0, 1], dtype=np.int64)
    y = np.asarray([1, 2, 3, 2], dtype=np.int64)
    n = len(texts)
    assert true_similar(tids, hashes, n, x, y, threshold=0.8).tolist() == [True, False, True, False]
    assert true_similar(tids, hashes, n, x, y, threshold=0.81).tolist() == [
        False,
        False,
        True,
        False,
    ]


def test_one_word_variants_of_a_short_text_stay_separate_items(
    svc: PatternService, tmp_path: Path
) -> None:
    """Five accounts post twelve texts that differ in one word of seven: twelve identical
    texts, none near-identical to another, each its own item."""
    rows = [
        (f"alpha_{i}", 10_800 * k + 3 * i, f"Vote for Mayor Quill now, message {k}!")
        for k in range(12)
        for i in range(5)
    ]
    result = svc.analyze_file(write(tmp_path, rows), scope="s", params=svc.params())
    assert [c.signals for c in result.clusters] == [{"text": 12}]


def test_copies_that_differ_only_in_punctuation_are_identical_text(
    svc: PatternService, tmp_path: Path
) -> None:
    """A user's three accounts posted short copies that differ only in punctuation, case and
    spacing; at default settings they were neither identical nor near-identical text."""
    forms = ["Stop the steal, now! {k}", "stop the steal now. {k}", "Stop  the steal -- now {k}"]
    rows = [
        (f"pun{i}", 7_200 * k + 5 * i, f.format(k=k)) for k in range(2) for i, f in enumerate(forms)
    ]
    result = svc.analyze_file(write(tmp_path, rows), scope="s", params=svc.params())
    assert [(set(c.accounts), c.signals) for c in result.clusters] == [
        ({"pun0", "pun1", "pun2"}, {"text": 2})
    ]


def test_each_example_post_is_labelled_by_what_it_matched(
    svc: PatternService, tmp_path: Path
) -> None:
    """a and c post identical copies, b a variant of each: the cluster's item counts as
    identical text, but b's posts, which match near-identically, are not labelled so."""
    rows = [("a", 0, BASE), ("b", 10, BASE.replace("cleaner", "safer")), ("c", 20, BASE.upper())]
    rows += [("a", 3600, SECOND), ("b", 3610, SECOND.replace("buses", "trams"))]
    rows += [("c", 3620, SECOND.upper())]
    result = svc.analyze_file(write(tmp_path, rows), scope="s", params=svc.params())
    [summary] = result.clusters
    detail = svc.cluster(summary.id, scope="s")
    labels = {(e.account_id, e.signal) for e in detail.evidence_examples}
    assert labels == {("a", "text"), ("b", "near_text"), ("c", "text")}
