"""The sliding window walk against brute force, and the --window auto estimate."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from patterns.windows import estimate_window, window_pairs


def brute(item: list[int], t: list[float], window: float) -> set[tuple[int, int]]:
    return {
        (i, j)
        for i in range(len(item))
        for j in range(i + 1, len(item))
        if item[i] == item[j] and abs(t[j] - t[i]) <= window
    }


@settings(max_examples=150, deadline=None, derandomize=True)
@given(
    st.lists(st.tuples(st.integers(0, 4), st.integers(0, 300)), max_size=60),
    st.sampled_from([0.0, 1.0, 10.0, 60.0, 1000.0]),
)
def test_window_pairs_equal_brute_force(posts: list[tuple[int, int]], window: float) -> None:
    posts.sort()
    item = np.asarray([p[0] for p in posts], dtype=np.int64)
    t = np.asarray([p[1] for p in posts], dtype=np.float64)
    got: set[tuple[int, int]] = set()
    for i, j in window_pairs(item, t, window, max_step_rows=3):
        got |= set(zip(i.tolist(), j.tolist(), strict=True))
    assert got == brute(item.tolist(), t.tolist(), window)


def test_window_is_inclusive_and_never_crosses_items() -> None:
    item = np.asarray([0, 0, 0, 1], dtype=np.int64)
    t = np.asarray([0.0, 60.0, 60.5, 60.0])
    pairs = {
        (int(i), int(j)) for a, b in window_pairs(item, t, 60.0) for i, j in zip(a, b, strict=True)
    }
    assert pairs == {(0, 1), (1, 2)}


def test_auto_window_follows_the_fastest_items() -> None:
    # 20 items shared 4 times each. Time to pass half the shares: 10 fast items 5-14 s,
    # 10 slow ones 1000+ s. q = 0.1 keeps the 2 fastest (5, 6 s): median 5.5 s.
    item, t = [], []
    for k in range(20):
        gap = 5 + k if k < 10 else 1000 + k
        for n in range(4):
            item.append(k)
            t.append(10_000.0 * k + (0 if n < 2 else gap) + n * 0.0)
    got = estimate_window(np.asarray(item, dtype=np.int64), np.asarray(t), p=0.5, q=0.1)
    assert got == 5.5
    # Equal times (minute-resolution data) still give a usable window.
    same = estimate_window(np.zeros(6, dtype=np.int64), np.zeros(6))
    assert same == 1.0


def test_results_do_not_depend_on_chunking(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Evidence is walked and reduced in chunks of items; tiny chunks and compactions
    must give the very same edges, weights and clusters."""
    from patterns import graph
    from tests.patterns.conftest import edge_list, make_service
    from tests.support.synthetic import Scenario, generate, write_csv

    planted = generate(Scenario(organic_accounts=200, organic_posts=2000, viral_items=6))
    path = write_csv(planted, tmp_path / "s.csv")
    svc = make_service(tmp_path / "d")
    params = svc.params(min_shared=1, popular_share=1.0)
    first = svc.analyze_file(path, scope="s", params=params)
    edges = sorted(edge_list(svc, "s", scope="s"))
    monkeypatch.setattr(graph, "CHUNK_ROWS", 50)
    monkeypatch.setattr(graph, "COMPACT_ROWS", 30)
    again = svc.analyze_dataset("s", scope="s", params=params)
    assert sorted(edge_list(svc, "s", scope="s")) == edges and len(edges) > 100
    assert again.to_json() == first.to_json()
