"""Near-identical text: MinHash signatures and LSH banding over distinct normalised texts,
never all pairs. Texts whose Jaccard similarity (over their sets of words, as
coordination-network-toolkit's co-similarity uses) reaches the threshold are joined into
groups; a group is one shared item. One word changed in a 14-word post keeps 13 of 15
words: 0.87; one word changed in a 7-word post keeps 6 of 8: 0.75, below the default 0.8.

Shingles are hashed by DuckDB; MinHash uses the multiply-shift family in numpy, vectorised
over all texts at once; the band/row split comes from datasketch's MinHashLSH (tuned for
recall). Every candidate pair is then verified on its true Jaccard similarity (its word
sets), so the threshold is exact: a 64-row signature's estimate is off by about 0.05, and
joined 0.75 pairs at 0.8 (and missed half the pairs at exactly 0.8).
"""

from __future__ import annotations

import itertools
import logging

import duckdb
import numpy as np
import numpy.typing as npt
import pyarrow as pa

from common.progress import Progress, no_progress
from patterns.arrays import distinct
from patterns.igraph_lite import igraph

logger = logging.getLogger(__name__)

NUM_PERM = 64
MIN_TOKENS = 4  # texts of fewer distinct words match by identical text only
CHUNK_ROWS = 2_000_000
LSH_WEIGHTS = (0.1, 0.9)  # false-positive vs false-negative weight: favour recall
# Candidates whose signature estimate is this far below the threshold are dropped before
# the exact check (5 standard deviations of a 64-row estimate: no true match is lost).
PREFILTER_MARGIN = 0.25
VERIFY_ROWS = 4_000_000  # words of candidate pairs compared at once

U64 = npt.NDArray[np.uint64]
U32 = npt.NDArray[np.uint32]


def lsh_bands(threshold: float, num_perm: int = NUM_PERM) -> tuple[int, int]:
    """(bands, rows per band) for the threshold, as datasketch chooses them."""
    # datasketch imports scipy (seconds): only analyses with near-identical text pay it.
    from datasketch import MinHashLSH  # noqa: PLC0415

    lsh = MinHashLSH(threshold=threshold, num_perm=num_perm, weights=LSH_WEIGHTS)
    return int(lsh.b), int(lsh.r)


def signatures(tids: npt.NDArray[np.int64], hashes: U64, n_texts: int, seed: int) -> U32:
    """MinHash signatures (n_texts x NUM_PERM, uint32) from shingle hashes grouped by
    text id (tids sorted ascending, values in [0, n_texts)). Texts without shingles get
    all-max rows and never match."""
    rng = np.random.default_rng(seed)
    a = rng.integers(1, 2**63, size=NUM_PERM, dtype=np.uint64) | np.uint64(1)
    b = rng.integers(0, 2**63, size=NUM_PERM, dtype=np.uint64)
    sig = np.full((n_texts, NUM_PERM), np.iinfo(np.uint32).max, dtype=np.uint32)
    n = tids.shape[0]
    if n == 0:
        return sig
    # Chunks end on text boundaries so each text's minimum is taken in one piece.
    heads_all = np.flatnonzero(np.r_[True, tids[1:] != tids[:-1]])
    cuts = distinct(heads_all[np.searchsorted(heads_all, np.arange(0, n, CHUNK_ROWS))])
    bounds = np.r_[cuts, n]
    shift = np.uint64(32)
    buf = np.empty(int(np.diff(bounds).max()), dtype=np.uint64)  # the largest chunk
    for start, stop in itertools.pairwise(bounds):
        chunk_t = tids[start:stop]
        chunk_h = hashes[start:stop]
        heads = np.flatnonzero(np.r_[True, chunk_t[1:] != chunk_t[:-1]])
        owners = chunk_t[heads]
        v = buf[: stop - start]
        with np.errstate(over="ignore"):
            for k in range(NUM_PERM):
                # In place, and the minimum taken before the cast to 32 bits (the values
                # fit in 32 bits, so it is the same minimum): no new array per permutation.
                np.multiply(chunk_h, a[k], out=v)
                np.add(v, b[k], out=v)
                np.right_shift(v, shift, out=v)
                sig[owners, k] = np.minimum.reduceat(v, heads)
    return sig


def candidate_pairs(
    sig: U32, bands: int, rows: int, seed: int
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """Pairs of texts that agree on every row of some band. Within a bucket, each member is
    paired with the bucket's first member and with its predecessor (linear, not quadratic)."""
    n = sig.shape[0]
    rng = np.random.default_rng(seed + 1)
    mult = rng.integers(1, 2**63, size=rows, dtype=np.uint64) | np.uint64(1)
    xs: list[npt.NDArray[np.int64]] = []
    ys: list[npt.NDArray[np.int64]] = []
    ids = np.arange(n, dtype=np.int64)
    valid = sig[:, 0] != np.iinfo(np.uint32).max
    for band in range(bands):
        cols = sig[:, band * rows : (band + 1) * rows].astype(np.uint64)
        key = np.zeros(n, dtype=np.uint64)
        with np.errstate(over="ignore"):
            for c in range(cols.shape[1]):
                key = (key ^ cols[:, c]) * mult[c]
        k, members = key[valid], ids[valid]
        order = np.argsort(k, kind="stable")
        k, members = k[order], members[order]
        same = k[1:] == k[:-1]
        if not same.any():
            continue
        heads = np.r_[True, ~same]
        head_idx = np.maximum.accumulate(np.where(heads, np.arange(k.size), 0))
        inner = ~heads
        xs.append(members[head_idx[inner]])
        ys.append(members[inner])
        prev = np.flatnonzero(inner)
        xs.append(members[prev - 1])
        ys.append(members[prev])
    if not xs:
        empty = np.empty(0, dtype=np.int64)
        return empty, empty
    x = np.concatenate(xs)
    y = np.concatenate(ys)
    lo, hi = np.minimum(x, y), np.maximum(x, y)
    keep = lo != hi
    pairs = distinct((lo[keep] << 32) | hi[keep])
    return pairs >> 32, pairs & 0xFFFFFFFF


def similar(
    sig: U32, x: npt.NDArray[np.int64], y: npt.NDArray[np.int64], threshold: float
) -> npt.NDArray[np.bool_]:
    """Estimated Jaccard >= threshold, from the share of equal signature rows."""
    out = np.zeros(x.shape[0], dtype=bool)
    step = 200_000
    for s in range(0, x.shape[0], step):
        eq = (sig[x[s : s + step]] == sig[y[s : s + step]]).mean(axis=1)
        out[s : s + step] = eq >= threshold - 1e-12
    return out


def true_similar(
    tids: npt.NDArray[np.int64],
    hashes: U64,
    n_texts: int,
    x: npt.NDArray[np.int64],
    y: npt.NDArray[np.int64],
    *,
    threshold: float,
) -> npt.NDArray[np.bool_]:
    """True Jaccard >= threshold for each pair (x, y), over the texts' sets of word hashes
    (tids sorted ascending, as `signatures` takes them)."""
    out = np.zeros(x.shape[0], dtype=bool)
    if not x.size:
        return out
    wanted = np.zeros(n_texts, dtype=bool)
    wanted[x] = True
    wanted[y] = True
    sel = wanted[tids]
    t, h = tids[sel], hashes[sel]
    # Each (text, word) once, as one sorted int64 key: text * R + the word's rank.
    words, rank = np.unique(h, return_inverse=True)
    r = max(int(words.size), 1)
    key = np.unique(t * r + rank.astype(np.int64))
    start = np.searchsorted(key, np.arange(n_texts, dtype=np.int64) * r)
    size = np.diff(np.r_[start, key.size])
    # Walk the pairs in pieces of about VERIFY_ROWS words of x.
    per_pair = size[x]
    ends = np.cumsum(per_pair)
    cuts = np.searchsorted(ends, np.arange(VERIFY_ROWS, int(ends[-1]), VERIFY_ROWS))
    bounds = distinct(np.r_[0, cuts, x.size].astype(np.int64))
    for lo, hi in itertools.pairwise(bounds.tolist()):
        px, py, counts = x[lo:hi], y[lo:hi], per_pair[lo:hi]
        owner = np.repeat(np.arange(hi - lo), counts)
        offset = np.arange(owner.size) - np.repeat(np.cumsum(counts) - counts, counts)
        word = key[start[px][owner] + offset] % r
        q = py[owner] * r + word
        at = np.minimum(np.searchsorted(key, q), key.size - 1)
        inter = np.bincount(owner[key[at] == q], minlength=hi - lo)
        union = size[px] + size[py] - inter
        out[lo:hi] = inter >= (threshold - 1e-12) * union
    return out


def build_groups(
    con: duckdb.DuckDBPyConnection,
    texts: str,
    *,
    threshold: float,
    seed: int,
    progress: Progress = no_progress,
) -> int:
    """Read `texts` (tid INTEGER in [0, n), nt VARCHAR) and create temp table _tgroup(tid,
    grp): the near-duplicate group of every text that has at least one near duplicate.
    Returns the number of such texts."""
    con.execute("DROP TABLE IF EXISTS _tgroup")
    got = con.execute(f"SELECT count(*) FROM {texts}").fetchone()
    n_texts = int(got[0]) if got else 0
    if n_texts < 2:
        con.execute("CREATE TEMP TABLE _tgroup (tid INTEGER, grp INTEGER)")
        return 0
    progress("near-identical text", 0, 4)
    # A word repeated in a text changes no minimum, so the words go out as they are; only
    # the count of distinct words is needed (list_unique: half list_distinct's time).
    rel = con.execute(
        f"""
        SELECT tid, hash(unnest(ws)) AS h
        FROM (SELECT tid, string_split(nt, ' ') AS ws FROM {texts})
        WHERE list_unique(ws) >= {MIN_TOKENS}
        ORDER BY tid
        """
    ).fetchnumpy()
    tids = np.asarray(rel["tid"], dtype=np.int64)
    hashes = np.asarray(rel["h"], dtype=np.uint64)
    del rel
    progress("near-identical text", 1, 4)
    sig = signatures(tids, hashes, n_texts, seed)
    progress("near-identical text", 2, 4)
    bands, rows = lsh_bands(threshold)
    x, y = candidate_pairs(sig, bands, rows, seed)
    keep = similar(sig, x, y, threshold - PREFILTER_MARGIN)
    x, y = x[keep], y[keep]
    del sig
    keep = true_similar(tids, hashes, n_texts, x, y, threshold=threshold)
    x, y = x[keep], y[keep]
    del tids, hashes
    progress("near-identical text", 3, 4)
    if not x.size:
        con.execute("CREATE TEMP TABLE _tgroup (tid INTEGER, grp INTEGER)")
        progress("near-identical text", 4, 4)
        return 0
    graph = igraph.Graph(n=n_texts, edges=np.stack([x, y], axis=1).tolist())
    membership = np.asarray(graph.connected_components().membership, dtype=np.int64)
    sizes = np.bincount(membership)
    grouped = np.flatnonzero(sizes[membership] >= 2)
    con.register(
        "_tgroup_in",
        pa.table({"tid": grouped.astype(np.int32), "grp": membership[grouped].astype(np.int32)}),
    )
    try:
        con.execute("CREATE TEMP TABLE _tgroup AS SELECT * FROM _tgroup_in")
    finally:
        con.unregister("_tgroup_in")
    progress("near-identical text", 4, 4)
    logger.info("near-identical text: %d of %d texts in groups", grouped.size, n_texts)
    return int(grouped.size)
