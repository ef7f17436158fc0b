"""(window, min-shared, min-accounts) -> expected clusters on tiny.csv (see its README)."""

from __future__ import annotations

from pathlib import Path

import pytest

from patterns.service import PatternService
from tests.patterns.conftest import FIXTURES, edge_list, make_service

A = frozenset({"a1", "a2", "a3"})
D = frozenset({"d1", "d2", "d3"})
G = frozenset({"g1", "g2"})
R = frozenset({"r1", "r2", "r3"})


@pytest.fixture(scope="module")
def loaded(tmp_path_factory: pytest.TempPathFactory) -> PatternService:
    svc = make_service(tmp_path_factory.mktemp("table") / "datasets")
    svc.analyze_file(FIXTURES / "tiny.csv", scope="t", name="tiny")
    return svc


TABLE = [
    # window, min_shared, min_accounts, expected clusters
    (5, 1, 3, {R}),  # r lags 3, 5, 2; the text lags are 10+ and g is a pair
    (10, 2, 3, set()),  # text links a1-a2 (5 s) and a2-a3 (10 s) once each: weight 1
    (10, 1, 3, {A, R}),
    (30, 2, 3, {A}),  # link lags 30 (inclusive) and 20 add a second item to a1-a2, a2-a3
    (60, 2, 3, {A}),
    (60, 1, 3, {A, R}),
    (60, 2, 2, {A, G}),  # the pair appears once clusters of two are allowed
    (99, 2, 3, {A}),  # d-group posts are 100 s apart
    (100, 2, 3, {A, D}),  # d1-d2 and d2-d3 at exactly 100 s: a path is a cluster
    (3600, 3, 3, set()),  # nobody shares three distinct items
]


@pytest.mark.parametrize(("window", "min_shared", "min_accounts", "expected"), TABLE)
def test_parameter_table(
    loaded: PatternService,
    window: float,
    min_shared: int,
    min_accounts: int,
    expected: set[frozenset[str]],
) -> None:
    params = loaded.params(window_s=window, min_shared=min_shared, min_accounts=min_accounts)
    result = loaded.analyze_dataset("tiny", scope="t", params=params)
    assert {frozenset(c.accounts) for c in result.clusters} == expected


def test_no_edge_from_reposts_empty_links_or_self(loaded: PatternService) -> None:
    params = loaded.params(window_s=3600, min_shared=1, min_accounts=2)
    loaded.analyze_dataset("tiny", scope="t", params=params)
    pairs = {frozenset((a, b)) for a, b, _ in edge_list(loaded, "tiny", scope="t")}
    accounts = {x for p in pairs for x in p}
    assert "x1" not in accounts  # its repost carried the campaign text
    assert frozenset({"e1", "e2"}) not in pairs  # no URL on either post
    assert all(len(p) == 2 for p in pairs)  # never an account with itself


def test_edge_weight_counts_distinct_items(loaded: PatternService) -> None:
    params = loaded.params(window_s=40, min_shared=1, min_accounts=2)
    loaded.analyze_dataset("tiny", scope="t", params=params)
    weights = {frozenset((a, b)): w for a, b, w in edge_list(loaded, "tiny", scope="t")}
    # a1 posted the text twice near a2's copy: still one item; plus the link: 2.
    assert weights[frozenset({"a1", "a2"})] == 2
    assert weights[frozenset({"a1", "a3"})] == 1  # link lag 50 s, text lag 15 s: text only
    assert weights[frozenset({"g1", "g2"})] == 2  # repost target + reply target


def test_cluster_detail_evidence(loaded: PatternService) -> None:
    result = loaded.analyze_dataset("tiny", scope="t", params=loaded.params(window_s=60))
    (cluster,) = result.clusters
    detail = loaded.cluster(cluster.id, scope="t")
    assert detail.summary.signals == {"text": 1, "url": 1}
    (text,) = detail.top_items["text"]
    assert text.accounts == 3 and text.posts == 4  # a1 twice, a2, a3
    (link,) = detail.top_items["url"]
    assert link.value == "https://mike.example/plan"
    assert detail.median_lag_s == 17.5  # closest co-posts: text 5, 10, 15; link 30, 20, 50
    assert detail.edges == 3 and detail.density == 1.0
    assert detail.summary.score == 6.0  # W: three pairs, each sharing two items
    assert {e.post_id for e in detail.evidence_examples} >= {"p01", "p03", "p04"}


def test_leiden_splits_two_groups_joined_by_one_edge(tmp_path: Path) -> None:
    lines = ["post_id,account_id,created_at,text"]
    t = 0
    for group in ("x", "y"):
        for item in range(3):
            t += 1000
            for k in range(4):
                lines.append(
                    f"{group}{item}{k},{group}{k},{t + k},{group} campaign message number {item}"
                )
    # One bridge: x0 and y0 share two items once.
    lines.append("b1,x0,90000,bridge text alpha beta gamma")
    lines.append("b2,y0,90001,bridge text alpha beta gamma")
    lines.append("b3,x0,95000,bridge text delta epsilon zeta")
    lines.append("b4,y0,95001,bridge text delta epsilon zeta")
    path = tmp_path / "two.csv"
    path.write_text("\n".join(lines) + "\n")
    svc = make_service(tmp_path / "d")
    result = svc.analyze_file(path, scope="t", params=svc.params(signals="text"))
    assert {frozenset(c.accounts) for c in result.clusters} == {
        frozenset(f"x{k}" for k in range(4)),
        frozenset(f"y{k}" for k in range(4)),
    }
