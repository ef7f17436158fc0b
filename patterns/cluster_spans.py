"""When a cluster was active: its earliest and latest co-post, over every burst."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from patterns.signals import Occurrences


def co_post_spans(
    rows: npt.NDArray[np.int64],
    occ: Occurrences,
    label: npt.NDArray[np.int64],
    window: float,
    k: int,
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """Each cluster's earliest and latest co-post: a member post of an item co-shared in
    the cluster with another member's post of that item within the window (NaN when none).
    `rows` index the occurrences of member posts of the items each cluster co-shared,
    grouped by (cluster, item) and in time order within a group.

    The evidence keeps one co-post per pair and item, so its times alone would miss bursts
    that repeat. Rows of one item are in time order, so a post's nearest post by another
    account is the last post of the account run before it or the first of the run after."""
    first = np.full(k, np.inf)
    last = np.full(k, -np.inf)
    if rows.size:
        n_items = max(occ.n_items, 1)
        key = label[occ.aid[rows]] * n_items + occ.item[rows]
        t, aid = occ.t[rows], occ.aid[rows]
        head = np.r_[True, (key[1:] != key[:-1]) | (aid[1:] != aid[:-1])]
        run = np.cumsum(head) - 1
        starts = np.flatnonzero(head)
        ends = np.r_[starts[1:] - 1, rows.size - 1]
        same_prev = np.r_[False, key[starts[1:]] == key[starts[:-1]]]
        same_next = np.r_[same_prev[1:], False]
        prev_t = np.where(same_prev, np.r_[-np.inf, t[ends[:-1]]], -np.inf)
        next_t = np.where(same_next, np.r_[t[starts[1:]], np.inf], np.inf)
        # Same arithmetic as the window walk (later minus earlier <= window).
        co = (t - prev_t[run] <= window) | (next_t[run] - t <= window)
        cl = key[co] // n_items
        np.minimum.at(first, cl, t[co])
        np.maximum.at(last, cl, t[co])
    return np.where(np.isfinite(first), first, np.nan), np.where(np.isfinite(last), last, np.nan)
