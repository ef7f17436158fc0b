"""The sliding window walk against brute force, and the --window auto estimate."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from patterns.windows import auto_window, estimate_window, window_pairs


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


def test_auto_window_does_not_split_the_bursts_it_is_read_from() -> None:
    """Six accounts post each of 5 messages within 40 s, an hour apart; 20 other items are
    shared twice, hours apart. CooRnet's estimate (time to half the shares, fastest 10 %)
    is 21 s, which pairs only neighbours of a burst: widened, the window covers them."""
    offsets = [(0, 8, 16, 24, 32, 40), (0, 5, 9, 30, 33, 39), (0, 14, 20, 27, 35, 38)]
    offsets += [(0, 2, 19, 21, 36, 40), (0, 16, 17, 18, 31, 40)]
    item: list[int] = []
    t: list[float] = []
    for k, burst in enumerate(offsets):
        item += [k] * len(burst)
        t += [3600.0 * k + s for s in burst]
    for k in range(20):
        item += [100 + k] * 2
        t += [5000.0 * k, 5000.0 * k + 600 + 97 * k]
    order = np.lexsort((np.asarray(t), np.asarray(item)))
    items, times = np.asarray(item, dtype=np.int64)[order], np.asarray(t)[order]
    chosen = auto_window(items, times, p=0.5, q=0.1)
    assert (chosen.coornet, chosen.fast_items, chosen.shared_items) == (21.0, 3, 25)
    assert chosen.window == 40.0  # every burst whole: all 6 accounts of a message pair
    assert estimate_window(items, times) == 40.0
    assert chosen.note() == (
        "window estimated from the data: 40 s (the fastest 3 of 25 items shared more than "
        "once reached half their shares within 21 s; widened to 40 s to keep their bursts "
        "whole)"
    )


def test_auto_window_reads_bursts_repeated_hours_apart() -> None:
    """Four messages are each posted by 4 accounts within 20 s, and again 6 h and 12 h
    later; 16 organic items are shared 6-15 times over two days. Read across the repeats,
    CooRnet's time to half the shares is the 6 h between bursts (the window was 12 h);
    split into bursts, it is the seconds within one."""
    rng = np.random.default_rng(7)
    item: list[int] = []
    t: list[float] = []
    for k in range(4):
        for repeat in range(3):
            start = 1000.0 * k + 21_600.0 * repeat
            item += [k] * 4
            t += [start + s for s in sorted(rng.uniform(0, 20, 4))]
    for k in range(16):
        shares = int(rng.integers(6, 16))
        item += [100 + k] * shares
        t += list(rng.uniform(0, 172_800, shares))
    order = np.lexsort((np.asarray(t), np.asarray(item)))
    items, times = np.asarray(item, dtype=np.int64)[order], np.asarray(t)[order]
    chosen = auto_window(items, times)
    assert 1 <= chosen.coornet <= chosen.window <= 20  # seconds, not the 6 h between repeats
    assert chosen.split_items == 4  # the campaign items; organic items stay whole
    assert chosen.shared_items == 20 and chosen.fast_items == 2
    assert "; 4 items shared in bursts far apart were timed per burst)" in chosen.note()


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
