"""Time windows: which posts of the same item co-occur (|dt| <= window), and the
`--window auto` estimate.

Posts arrive sorted by (item, time). Pairing walks that order: the post at i is compared
with i+1, i+2, ... only while the item is the same and the time gap is within the window,
so the work is the number of co-occurring pairs, never items x items. A popular item
reposted by thousands of accounts over a day costs only what falls inside each window.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from common.wording import plural, window_text
from patterns.params import MAX_WINDOW_S

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
# --window auto: the partners within the window a share of a fast burst should have.
PARTNERS = 5
# --window auto: an item's shares are split into bursts at a gap over SPLIT times the item's
# median gap (its repeats hours apart are separate bursts, not one slow item).
SPLIT = 20.0


def window_pairs(
    item: IntArray, t: FloatArray, window: float, *, max_step_rows: int = 4_000_000
) -> Iterator[tuple[IntArray, IntArray]]:
    """Yield (i, j) index arrays, i < j, with item[i] == item[j] and t[j] - t[i] <= window.

    `item` and `t` must be sorted by (item, t). Each yielded batch holds the pairs at one
    distance j - i (split into pieces of at most max_step_rows), so memory stays bounded
    by the caller's reduction, not by the total number of pairs.
    """
    for active, nxt in _steps(item, t, window):
        for start in range(0, active.size, max_step_rows):
            yield active[start : start + max_step_rows], nxt[start : start + max_step_rows]


def _steps(item: IntArray, t: FloatArray, window: float) -> Iterator[tuple[IntArray, IntArray]]:
    """The co-occurring pairs at distance 1, 2, ...: one (i, j) array pair per distance,
    until no pair at that distance is within the window."""
    n = int(item.shape[0])
    if n < 2:
        return
    active = np.arange(n - 1, dtype=np.int64)
    step = 1
    while active.size:
        nxt = active + step
        inside = nxt < n
        if not inside.all():
            active, nxt = active[inside], nxt[inside]
        keep = (item[nxt] == item[active]) & (t[nxt] - t[active] <= window)
        active, nxt = active[keep], nxt[keep]
        if active.size:
            yield active, nxt
        step += 1


def co_post_bound(
    item: IntArray,
    t: FloatArray,
    window: float,
    item_accounts: npt.NDArray[np.integer[Any]],
    limit: int,
) -> int:
    """An upper bound on the (account pair, item) rows pairing will build, counted before
    any pair is built, in memory proportional to the posts; counting stops once it is
    over `limit`.

    Per item: the co-occurring post pairs (the same walk as `window_pairs`, counting only),
    but never more than the item's accounts can form (k choose 2), since repeats of one
    pair are reduced to one row. Sorted by (item, t), like `window_pairs`.
    """
    raw = np.zeros(int(item_accounts.shape[0]), dtype=np.int64)
    most = item_accounts.astype(np.int64) * (item_accounts.astype(np.int64) - 1) // 2
    counted = 0
    for active, _ in _steps(item, t, window):
        items = item[active]  # sorted: count each run once
        starts = np.flatnonzero(np.r_[True, items[1:] != items[:-1]])
        raw[items[starts]] += np.diff(np.r_[starts, items.size])
        counted += int(active.size)
        # Only past the limit can the bound be: then refine it with k choose 2.
        if counted > limit and int(np.minimum(raw, most).sum()) > limit:
            return int(np.minimum(raw, most).sum())
    return int(np.minimum(raw, most).sum())


@dataclass(frozen=True)
class AutoWindow:
    """The `--window auto` choice and why: CooRnet's estimate, widened to the bursts of the
    fastest items when it would split them (docs/coordination.md, "`--window auto`")."""

    window: float  # the window used
    coornet: float  # CooRnet's estimate, before widening
    fast_items: int  # the fastest items both are read from
    shared_items: int  # items with a burst of at least two shares
    split_items: int = 0  # items whose shares were split into more than one burst

    def note(self) -> str:
        """Said in plain words; docs/coordination.md has the rule in full."""
        head = f"window estimated from the data: {window_text(self.window)}"
        if not self.shared_items:
            return f"{head} (no item is shared twice)"
        why = (
            f"the fastest {self.fast_items:,} of {self.shared_items:,} items shared more than "
            f"once reached half their shares within {window_text(self.coornet)}"
        )
        if self.window > self.coornet:
            why += f"; widened to {window_text(self.window)} to keep their bursts whole"
        if self.split_items:
            why += (
                f"; {plural(self.split_items, 'item')} shared in bursts far apart "
                f"{'was' if self.split_items == 1 else 'were'} timed per burst"
            )
        return f"{head} ({why})"


def estimate_window(item: IntArray, t: FloatArray, *, p: float = 0.5, q: float = 0.1) -> float:
    """The `--window auto` window in seconds (`auto_window`)."""
    return auto_window(item, t, p=p, q=q).window


def auto_window(
    item: IntArray, t: FloatArray, *, p: float = 0.5, q: float = 0.1, most: float = MAX_WINDOW_S
) -> AutoWindow:
    """CooRnet's coordination interval, read within bursts and widened so it does not
    split the bursts it is read from. Sorted by (item, t).

    Bursts first: an item's shares are split at every gap over SPLIT times the median of
    its shares' nearest-neighbour lags (those over 0 s, so minute-resolution ties do not
    split). A campaign that repeats its 40 s bursts hours apart otherwise reads as one item
    that takes hours to pass half its shares (a new user's finding: 12 h, and false
    clusters of organic accounts). Data without such gaps is one burst per item: plain
    CooRnet.

    CooRnet, per burst: the time from its first share to the first share that takes it
    past a fraction p of its shares; an item's time is the median over its bursts of two
    or more shares. Keep the fastest q of items (time at or under the q-quantile); the
    estimate is the median time among them. At least 1 s, so minute-resolution data (many
    equal times) still gives a usable window.

    That time reaches only half a burst's shares, and the fastest items' at that: a group
    of six that posts an item over 40 s gets a window of 10-20 s, which pairs only
    neighbours and splits the group. So the window is widened for those same items' bursts
    (from a burst's first share while no gap between two is over the window): a burst of n
    shares over a span S needs S * min(1, PARTNERS / (n - 1)) for its shares to pair with
    about PARTNERS others each (a small burst its whole span, a large one holds together at
    less), and the window becomes the median need, recomputed at the new window until it
    stops growing (at most `most`).
    """
    n = int(item.shape[0])
    if n < 2:
        return AutoWindow(1.0, 1.0, 0, 0)
    starts, split = _burst_starts(item, t)
    counts = np.diff(np.r_[starts, n])
    shared = counts >= 2
    starts, counts = starts[shared], counts[shared]
    if not starts.size:
        return AutoWindow(1.0, 1.0, 0, 0)
    rank = np.floor(p * counts).astype(np.int64) + 1  # first share with rank/count > p
    rank = np.minimum(rank, counts)
    items, reach = _group_median(item[starts], t[starts + rank - 1] - t[starts])
    cut = np.quantile(reach, q)
    fast = reach <= cut
    coornet = min(most, max(1.0, float(np.median(reach[fast]))))
    window = coornet
    fast_starts = starts[np.isin(item[starts], items[fast])]
    # A burst's last share: the item's last, or the share before a split.
    last = np.r_[item[1:] != item[:-1], True]
    last[:-1] |= split
    gaps = np.r_[np.diff(t), np.inf]
    for _ in range(64):  # each round takes in at least one more share; a few suffice
        ends = np.flatnonzero(last | (gaps > window))
        burst_end = ends[np.searchsorted(ends, fast_starts)]
        # The window that gives a burst's shares about PARTNERS partners each, spread as
        # they are: a small burst needs its whole span, a large one holds together at less.
        others = (burst_end - fast_starts).astype(np.float64)
        need = (t[burst_end] - t[fast_starts]) * np.minimum(1.0, PARTNERS / np.maximum(others, 1))
        span = float(np.median(need))
        if span <= window or window >= most:
            break
        window = min(most, span)
    split_items = int(np.unique(item[:-1][split]).size)
    return AutoWindow(window, coornet, int(fast.sum()), int(items.size), split_items)


def _group_median(keys: IntArray, values: FloatArray) -> tuple[IntArray, FloatArray]:
    """The distinct keys, ascending, and the median of each one's values."""
    order = np.lexsort((values, keys))
    k, v = keys[order], values[order]
    first = np.flatnonzero(np.r_[True, k[1:] != k[:-1]])
    count = np.diff(np.r_[first, k.size])
    return k[first], (v[first + (count - 1) // 2] + v[first + count // 2]) / 2


def _burst_starts(item: IntArray, t: FloatArray) -> tuple[IntArray, npt.NDArray[np.bool_]]:
    """The first share of each burst, and which gaps (between shares k and k + 1) split an
    item: those over SPLIT times the median of the item's positive nearest-neighbour lags.
    Sorted by (item, t)."""
    same = item[1:] == item[:-1]
    gaps = np.diff(t)
    split = np.zeros(gaps.shape[0], dtype=bool)
    lag = np.full(item.shape[0], np.inf)  # each share's lag to the nearest share of its item
    inner = np.where(same, gaps, np.inf)
    lag[1:] = inner
    lag[:-1] = np.minimum(lag[:-1], inner)
    has = np.isfinite(lag) & (lag > 0)
    if has.any():
        keys, median = _group_median(item[has], lag[has])
        at = np.flatnonzero(same & np.isin(item[:-1], keys))
        split[at] = gaps[at] > SPLIT * median[np.searchsorted(keys, item[at])]
    return np.flatnonzero(np.r_[True, ~same | split]), split
