"""The account graph: co-posts reduced to evidence per (account pair, item), down-weighted
edge weights, thresholds, and clusters (connected components refined by Leiden).

An edge's weight is the sum, over the distinct items the two accounts posted within the
window of each other, of each item's weight: 1, or less for items that a large share of
all accounts use (docs/coordination.md gives the formula).
"""

from __future__ import annotations

import itertools
import logging
import random
import threading
from dataclasses import dataclass, replace

import numpy as np
import numpy.typing as npt

from common.errors import LimitError
from common.progress import Progress, no_progress
from patterns.arrays import distinct
from patterns.igraph_lite import igraph
from patterns.signals import SIGNAL_CODE, Occurrences
from patterns.windows import co_post_bound, window_pairs

logger = logging.getLogger(__name__)

I32 = npt.NDArray[np.int32]
I64 = npt.NDArray[np.int64]
F64 = npt.NDArray[np.float64]

# Evidence rows (one per account pair and item) kept in memory at most; past it the
# analysis stops with advice rather than exhausting memory (about 37 bytes a row).
MAX_PAIR_ITEMS = 15_000_000
COMPACT_ROWS = 8_000_000
CHUNK_ROWS = 2_000_000  # occurrences walked and reduced together
EPS = 1e-9
NEAR = SIGNAL_CODE["near_text"]
# igraph draws from one process-wide generator; seeding it must not interleave.
_rng_lock = threading.Lock()


@dataclass(frozen=True)
class Evidence:
    """One row per (account pair, item): the closest co-post (posts, times) and how many
    co-posts of that item the pair made. a < b; pid_a/t_a belong to account a."""

    a: I32
    b: I32
    item: I64
    signal: npt.NDArray[np.int8]
    pid_a: I32
    pid_b: I32
    t_a: F64
    t_b: F64
    n: I32

    @property
    def lag(self) -> F64:
        return np.abs(self.t_b - self.t_a)

    def take(self, idx: npt.NDArray[np.intp] | npt.NDArray[np.bool_]) -> Evidence:
        return Evidence(*(getattr(self, f)[idx] for f in self.__dataclass_fields__))

    def __len__(self) -> int:
        return int(self.a.shape[0])


@dataclass(frozen=True)
class Edges:
    a: I32
    b: I32
    weight: F64
    shared: I32
    signal_counts: I32  # (edges x len(SIGNAL_CODE)) distinct items per signal
    repeated_below: int = 0  # pairs below min-shared that co-posted one item several times

    def __len__(self) -> int:
        return int(self.a.shape[0])


def item_weights(
    accounts: npt.NDArray[np.int32], total_accounts: int, share: float, min_accounts: int
) -> F64:
    """w = 1 when an item's account count d <= P = max(share * N, min_accounts); otherwise
    w = log(N / d) / log(N / P), falling to 0 for an item every account used."""
    n = float(max(total_accounts, 1))
    p = max(share * n, float(min_accounts))
    w = np.ones(accounts.shape[0], dtype=np.float64)
    if p >= n:
        return w
    popular = accounts > p
    w[popular] = np.log(n / accounts[popular]) / np.log(n / p)
    return np.clip(w, 0.0, 1.0)


def _empty_evidence() -> Evidence:
    i32 = np.empty(0, dtype=np.int32)
    f64 = np.empty(0, dtype=np.float64)
    return Evidence(
        i32, i32, np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int8), i32, i32, f64, f64, i32
    )


@dataclass(frozen=True)
class CoPosts:
    """Co-posts found by the window walk, kept lean until an edge needs them: the account
    pair (a << 32 | b, a < b), the item and the signal it counts under, the lag, the two
    occurrences (indices into the occurrence arrays) and how many co-posts the row stands
    for."""

    pair: I64
    item: I32
    signal: npt.NDArray[np.int8]
    lag: F64
    i: I32
    j: I32
    n: I32

    def take(self, idx: npt.NDArray[np.intp] | npt.NDArray[np.bool_]) -> CoPosts:
        return CoPosts(*(getattr(self, f)[idx] for f in self.__dataclass_fields__))

    def __len__(self) -> int:
        return int(self.pair.shape[0])


def _concat(parts: list[CoPosts]) -> CoPosts:
    if len(parts) == 1:
        return parts[0]
    return CoPosts(
        *(np.concatenate([getattr(p, f) for p in parts]) for f in CoPosts.__dataclass_fields__)
    )


def _take_all(parts: list[CoPosts]) -> CoPosts:
    """Concatenate and empty the list, so the pieces can be freed as soon as possible."""
    whole = _concat(parts)
    parts.clear()
    return whole


_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)


def _mix(x: npt.NDArray[np.uint64]) -> npt.NDArray[np.uint64]:
    """splitmix64's finaliser: a fast, well-spread 64-bit hash."""
    with np.errstate(over="ignore"):
        x = (x ^ (x >> np.uint64(30))) * _M1
        x = (x ^ (x >> np.uint64(27))) * _M2
    return x ^ (x >> np.uint64(31))


def _group_by_pair_item(pair: I64, item: I32) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.intp]]:
    """An order that puts equal (pair, item) rows together, and where each group starts.

    One sort of a 64-bit hash (a 4-key lexsort took 7 s on 5.5M rows, this 0.8 s); rows
    that share a hash but not (pair, item) would be a collision, which is checked for
    exactly, and then the exact (slow) sort is used instead."""
    key = _mix(pair.view(np.uint64) ^ _mix(item.astype(np.uint64) + np.uint64(0x9E3779B97F4A7C15)))
    order = np.argsort(key)
    k = key[order]
    del key
    p, it = pair[order], item[order]
    same_key = k[1:] == k[:-1]
    del k
    same_row = (p[1:] == p[:-1]) & (it[1:] == it[:-1])
    del p, it
    if (same_key & ~same_row).any():
        order = np.lexsort((item, pair))
        p, it = pair[order], item[order]
        same_row = (p[1:] == p[:-1]) & (it[1:] == it[:-1])
    starts = np.flatnonzero(np.r_[True, ~same_row])
    return order, starts


def _compact(cp: CoPosts) -> CoPosts:
    """One row per (pair, item): identical text preferred over near-identical, then the
    smallest lag, then the first co-post in occurrence order (smallest i, then j), so the
    row kept never depends on how the work was split; n sums the co-posts of the group."""
    if len(cp) == 0:
        return cp
    order, starts = _group_by_pair_item(cp.pair, cp.item)
    # Rank within a group: near-identical after identical, then by lag.
    rank = np.where(cp.signal == NEAR, 1e18, 0.0)[order] + cp.lag[order]
    sizes = np.diff(np.r_[starts, len(cp)])
    is_best = rank == np.repeat(np.minimum.reduceat(rank, starts), sizes)
    del rank
    at = (cp.i[order].astype(np.int64) << 32) | cp.j[order].astype(np.int64)
    at = np.where(is_best, at, np.iinfo(np.int64).max)
    first = np.flatnonzero(at == np.repeat(np.minimum.reduceat(at, starts), sizes))
    n = np.add.reduceat(cp.n[order], starts).astype(np.int32)
    kept = cp.take(order[first])
    return CoPosts(kept.pair, kept.item, kept.signal, kept.lag, kept.i, kept.j, n)


def _co_posts(
    occ: Occurrences, i: I64, j: I64, native: npt.NDArray[np.bool_] | None = None
) -> CoPosts | None:
    """Co-posts for occurrence pairs (i, j), dropping pairs of one account's posts (and,
    in a shard of the distributed engine, pairs of two copies from the previous bucket:
    the shard that owns them finds those)."""
    ai, aj = occ.aid[i], occ.aid[j]
    other = ai != aj
    if native is not None:
        other &= native[i] | native[j]
    if not other.all():
        i, j, ai, aj = i[other], j[other], ai[other], aj[other]
    if not i.size:
        return None
    lo = np.minimum(ai, aj).astype(np.int64)
    hi = np.maximum(ai, aj).astype(np.int64)
    item = occ.item[i]
    signal = occ.item_signal[item]
    if occ.split_near:
        signal = np.where(occ.sub[i] != occ.sub[j], np.int8(NEAR), signal).astype(np.int8)
    return CoPosts(
        pair=(lo << 32) | hi,
        item=item.astype(np.int32),
        signal=signal,
        lag=occ.t[j] - occ.t[i],
        i=i.astype(np.int32),
        j=j.astype(np.int32),
        n=np.ones(i.size, dtype=np.int32),
    )


def _item_chunks(item: I64, rows: int) -> list[tuple[int, int]]:
    """[start, stop) ranges of about `rows` occurrences, cut between items: an item's
    co-posts never span two chunks, so each chunk is reduced once and for all."""
    n = int(item.shape[0])
    if n == 0:
        return []
    starts = np.flatnonzero(np.r_[True, item[1:] != item[:-1]])
    cuts = distinct(starts[np.searchsorted(starts, np.arange(0, n, rows), side="right") - 1])
    bounds = [*cuts.tolist(), n]
    return list(itertools.pairwise(bounds))


def _too_many() -> LimitError:
    return LimitError(
        f"more than {MAX_PAIR_ITEMS:,} account pairs share items within the window "
        "(the pair limit, counted before pairs are built); try a smaller window or fewer signals"
    )


def collect_co_posts(
    occ: Occurrences,
    window: float,
    *,
    progress: Progress = no_progress,
    native: npt.NDArray[np.bool_] | None = None,
) -> list[CoPosts]:
    """Walk every item's posts in time order and keep, per account pair and item, the
    closest co-post within the window (posts by the same account never pair). Returned in
    chunks of disjoint items. `native` (distributed shards only): False for a row copied
    from the previous time bucket."""
    # Counted before anything is built, so a hostile dataset fails in memory it can afford.
    bound = co_post_bound(occ.item, occ.t, window, occ.item_accounts, MAX_PAIR_ITEMS)
    if bound > MAX_PAIR_ITEMS:
        raise _too_many()
    done: list[CoPosts] = []
    total = 0
    chunks = _item_chunks(occ.item, CHUNK_ROWS)
    for k, (start, stop) in enumerate(chunks):
        parts: list[CoPosts] = []
        pending = 0
        sl = slice(start, stop)
        for first, second in window_pairs(occ.item[sl], occ.t[sl], window):
            part = _co_posts(occ, first + start, second + start, native)
            if part is None:
                continue
            parts.append(part)
            pending += len(part)
            if pending >= COMPACT_ROWS:  # reduce what accumulated, then start counting again
                parts, pending = [_compact(_take_all(parts))], 0
                if total + len(parts[0]) > MAX_PAIR_ITEMS:
                    raise _too_many()
        if parts:
            chunk = _compact(_take_all(parts))
            total += len(chunk)
            if total > MAX_PAIR_ITEMS:
                raise _too_many()
            done.append(chunk)
        progress("pairing", k + 1, len(chunks))
    return done


def _evidence(occ: Occurrences, cp: CoPosts) -> Evidence:
    """Full evidence rows (accounts, posts, times), oriented so a < b."""
    a = (cp.pair >> 32).astype(np.int32)
    b = (cp.pair & 0xFFFFFFFF).astype(np.int32)
    i_is_a = occ.aid[cp.i] == a
    ia = np.where(i_is_a, cp.i, cp.j)
    ib = np.where(i_is_a, cp.j, cp.i)
    return Evidence(
        a=a,
        b=b,
        item=cp.item.astype(np.int64),
        signal=cp.signal,
        pid_a=occ.pid[ia],
        pid_b=occ.pid[ib],
        t_a=occ.t[ia],
        t_b=occ.t[ib],
        n=cp.n,
    )


def build_edges(
    occ: Occurrences, chunks: list[CoPosts], weights: F64, min_shared: float
) -> tuple[Edges, Evidence]:
    """Sum item weights per account pair; keep pairs reaching min_shared, with the full
    evidence of their co-posts (built for kept pairs only: most pairs share one item and
    fall below min-shared)."""
    n_sig = len(SIGNAL_CODE)
    e32 = np.empty(0, dtype=np.int32)
    empty = Edges(e32, e32, np.empty(0), e32, np.empty((0, n_sig), dtype=np.int32))
    if not chunks:
        return empty, _empty_evidence()
    keys = np.concatenate([c.pair for c in chunks])
    w = np.concatenate([weights[c.item] for c in chunks])
    order = np.argsort(keys)
    keys_s = keys[order]
    del keys
    starts = np.flatnonzero(np.r_[True, keys_s[1:] != keys_s[:-1]])
    total = np.add.reduceat(w[order], starts)
    kept = total >= min_shared - EPS
    kept_pairs = keys_s[starts][kept]
    most = np.maximum.reduceat(np.concatenate([c.n for c in chunks])[order], starts)
    repeated = int(np.count_nonzero(~kept & (most >= 2)))  # repeats count once: users ask
    del keys_s, order, w, most
    if not kept_pairs.size:
        return replace(empty, repeated_below=repeated), _empty_evidence()
    rows = []
    for c in chunks:
        pos = np.minimum(np.searchsorted(kept_pairs, c.pair), kept_pairs.size - 1)
        hit = kept_pairs[pos] == c.pair
        if hit.any():
            rows.append(c.take(hit))
    cp = _concat(rows)
    cp = cp.take(np.lexsort((cp.item, cp.pair)))
    head = np.r_[True, cp.pair[1:] != cp.pair[:-1]]
    starts = np.flatnonzero(head)
    group = np.cumsum(head) - 1
    weight = np.add.reduceat(weights[cp.item], starts)
    shared = np.diff(np.r_[starts, len(cp)]).astype(np.int32)
    flat = np.bincount(group * n_sig + cp.signal.astype(np.int64), minlength=starts.size * n_sig)
    counts: I32 = flat.reshape(starts.size, n_sig).astype(np.int32)
    ev = _evidence(occ, cp)
    return Edges(ev.a[starts], ev.b[starts], weight, shared, counts, repeated), ev


def communities(edges: Edges, *, min_size: int, seed: int) -> tuple[I32, list[I32], int]:
    """Clusters of accounts: connected components, each refined by Leiden (modularity,
    weighted, fixed seed) when it is big enough to hold two clusters (>= 2 min_size).
    Returns the sorted account ids in the graph, each cluster's sorted account ids, for
    clusters of at least min_size accounts, and the size of the largest group of any size.

    igraph's own Leiden is used (the leidenalg package's took 0.38 s against igraph's
    0.013 s on one 2,786-account component of the benchmark graph, same modularity)."""
    if len(edges) == 0:
        return np.empty(0, dtype=np.int32), [], 0
    nodes, inverse = np.unique(np.r_[edges.a, edges.b], return_inverse=True)
    m = len(edges)
    graph = igraph.Graph(n=nodes.size, edges=np.stack([inverse[:m], inverse[m:]], axis=1).tolist())
    graph.es["weight"] = edges.weight.tolist()
    # GraphBase's methods return the membership list itself: the VertexClustering that
    # Graph's wrappers build copies it and scans it again in Python.
    membership = np.asarray(igraph.GraphBase.connected_components(graph, "strong"), dtype=np.int64)
    sizes = np.bincount(membership)
    big = np.flatnonzero(sizes[membership] >= 2 * min_size)
    if big.size:
        sub = graph.induced_subgraph(big.tolist())
        with _rng_lock:
            # Seeded for reproducible clusters, not for secrecy.
            igraph.set_random_number_generator(random.Random(seed))  # noqa: S311
            try:
                # What Graph.community_leiden(objective_function="modularity",
                # weights="weight", n_iterations=2) passes on.
                parts, _ = igraph.GraphBase.community_leiden(
                    sub,
                    edge_weights="weight",
                    resolution=1.0,
                    normalize_resolution=True,
                    beta=0.01,
                    n_iterations=2,
                )
            finally:
                igraph.set_random_number_generator(random)
        refined = np.asarray(parts, dtype=np.int64)
        membership[big] = sizes.size + refined  # new labels, after every component label
    order = np.argsort(membership, kind="stable")
    sorted_m = membership[order]
    bounds = np.flatnonzero(np.r_[True, sorted_m[1:] != sorted_m[:-1], True])
    out: list[I32] = []
    for s, e in itertools.pairwise(bounds):
        if e - s >= min_size:
            out.append(nodes[order[s:e]].astype(np.int32))  # stable order: already sorted
    return nodes.astype(np.int32), out, int(np.diff(bounds).max())
