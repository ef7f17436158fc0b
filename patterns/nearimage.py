"""Near-identical images: every pair of 64-bit perceptual hashes within `max_distance` bits,
found by multi-index hashing (Norouzi et al.), never all pairs; images whose windows are
that close are joined into groups, and a group is one shared image item.

Why it is exact: split the 64 bits into three bands and give band k a radius r_k with
sum(r_k + 1) > d (the generalised pigeonhole bound). Two hashes at most d bits apart are
then within r_k bits in at least one band k: if every band differed by r_k + 1 or more,
the total would exceed d. Each band is indexed by value (a counting sort: bucket starts by
band value), each hash probes every value within r_k bits of its own band value, and each
candidate is checked on all 64 bits; a pair found through an earlier band is not kept
twice. With bands of about 21 bits, a million random hashes leave about one per bucket, so
the work is about n x probes, not n x n.

This runs before pairing and leaves its result in a table (`_igroup`), so every engine
that builds occurrences from the dataset connection reads the same groups.
"""

from __future__ import annotations

import itertools
import logging

import duckdb
import numpy as np
import numpy.typing as npt
import pyarrow as pa

from common.progress import Progress, no_progress

logger = logging.getLogger(__name__)

U64 = npt.NDArray[np.uint64]
I64 = npt.NDArray[np.int64]
BITS = 64
BANDS = 3  # of about 21 bits: a million hashes leave about one per bucket
CHUNK_PROBES = 4_000_000  # (hashes x probes) looked up at once: bounds memory per step


def plan(max_distance: int) -> list[tuple[int, int, int]]:
    """(shift, width, radius) of three bands whose radii satisfy the generalised pigeonhole
    bound: sum(radius + 1) > max_distance, so a pair within max_distance bits is within
    its radius in at least one band. A band searched more widely gets more bits, which
    keeps its buckets (and so its candidates) small."""
    need = max(0, max_distance - (BANDS - 1))  # sum of radii
    radii = [need // BANDS + (1 if k < need % BANDS else 0) for k in range(BANDS)]
    weights = [20 + 4 * r for r in radii]
    widths = [BITS * w // sum(weights) for w in weights]
    widths[0] += BITS - sum(widths)
    out, shift = [], 0
    for w, r in zip(widths, radii, strict=True):
        out.append((shift, w, r))
        shift += w
    return out


def _flips(width: int, radius: int) -> npt.NDArray[np.int64]:
    """Every value of `width` bits with at most `radius` bits set (XOR masks to probe)."""
    masks = [0]
    for r in range(1, radius + 1):
        for bits in itertools.combinations(range(width), r):
            masks.append(sum(1 << b for b in bits))
    return np.asarray(masks, dtype=np.int64)


def _band_distance(x: U64, shift: int, width: int) -> npt.NDArray[np.uint8]:
    mask = np.uint64(((1 << width) - 1) << shift)
    return np.asarray(np.bitwise_count(x & mask), dtype=np.uint8)


def near_pairs(
    hashes: U64, max_distance: int, progress: Progress = no_progress
) -> tuple[I64, I64, npt.NDArray[np.int8]]:
    """(i, j, distance) for every i < j with popcount(hashes[i] ^ hashes[j]) <= max_distance,
    each pair once. `hashes` should be distinct (equal hashes are one item already)."""
    n = int(hashes.shape[0])
    empty = np.empty(0, dtype=np.int64)
    if n < 2 or max_distance < 0:
        return empty, empty, np.empty(0, dtype=np.int8)
    bands = plan(max_distance)
    xs: list[I64] = []
    ys: list[I64] = []
    ds: list[npt.NDArray[np.int8]] = []
    for band, (shift, width, radius) in enumerate(bands):
        keys = ((hashes >> np.uint64(shift)) & np.uint64((1 << width) - 1)).astype(np.int64)
        order = np.argsort(keys, kind="stable").astype(np.int64)
        counts = np.bincount(keys, minlength=1 << width).astype(np.int32)
        starts = np.zeros(counts.size, dtype=np.int64)
        np.cumsum(counts[:-1], out=starts[1:])
        flips = _flips(width, radius)
        step = max(1, CHUNK_PROBES // flips.size)
        for lo in range(0, n, step):
            hi = min(n, lo + step)
            probe = keys[lo:hi, None] ^ flips[None, :]
            c = counts[probe]
            row, col = np.nonzero(c)
            if not row.size:
                continue
            probe_hit = probe[row, col]
            c_hit = c[row, col].astype(np.int64)
            owner = row.astype(np.int64) + lo
            total = int(c_hit.sum())
            # Each probe expands to its bucket's members: start + 0 .. count-1.
            ends = np.cumsum(c_hit)
            pos = np.arange(total, dtype=np.int64) + np.repeat(
                starts[probe_hit] - (ends - c_hit), c_hit
            )
            i = np.repeat(owner, c_hit)
            j = order[pos]
            keep = j > i
            i, j = i[keep], j[keep]
            x = hashes[i] ^ hashes[j]
            dist = np.bitwise_count(x)
            close = dist <= max_distance
            # A pair within an earlier band's radius was kept there already.
            for s2, w2, r2 in bands[:band]:
                close &= _band_distance(x, s2, w2) > r2
            xs.append(i[close])
            ys.append(j[close])
            ds.append(dist[close].astype(np.int8))
        progress("near-identical images", band + 1, len(bands) + 1)
    if not xs:
        return empty, empty, np.empty(0, dtype=np.int8)
    return np.concatenate(xs), np.concatenate(ys), np.concatenate(ds)


def components(n: int, i: I64, j: I64) -> I64:
    """Connected component of each of n nodes over edges (i, j), numbered by each
    component's first node (so the numbering never depends on the edge order)."""
    if n == 0:
        return np.empty(0, dtype=np.int64)
    # scipy takes most of a second to import; only near-identical groups need it.
    from scipy import sparse  # noqa: PLC0415
    from scipy.sparse.csgraph import connected_components  # noqa: PLC0415

    graph = sparse.coo_matrix((np.ones(i.size, dtype=np.int8), (i, j)), shape=(n, n)).tocsr()
    _, label = connected_components(graph, directed=False)
    label = label.astype(np.int64)
    _, first = np.unique(label, return_index=True)
    rank = np.empty(first.size, dtype=np.int64)
    rank[np.argsort(first, kind="stable")] = np.arange(first.size)
    return np.asarray(rank[label], dtype=np.int64)


def group_images(
    full: U64, owner: I64, window: U64, max_distance: int, progress: Progress = no_progress
) -> tuple[I64, int]:
    """Group near-identical images. `full` holds each image's hash (sorted, distinct); image
    owner[k] has window hash window[k] (its full hash among them). Two images are joined
    when some window of one is within max_distance bits of some window of the other; a
    group is a connected component. Returns (group per image, -1 when alone; pairs found).

    The graph has a node per image and per distinct window value (linked to the images
    having it), so a value that thousands of images share costs thousands of edges, not
    millions of pairs."""
    values, inv = np.unique(window, return_inverse=True)
    vi, vj, _ = near_pairs(values, max_distance, progress)
    n_img = int(full.size)
    src = np.concatenate([owner, n_img + vi])
    dst = np.concatenate([n_img + inv.astype(np.int64), n_img + vj])
    label = components(n_img + int(values.size), src, dst)[:n_img]
    sizes = np.bincount(label)
    out = label.copy()
    out[sizes[label] < 2] = -1
    return out, int(vi.size)


def build_image_groups(
    con: duckdb.DuckDBPyConnection, *, max_distance: int, progress: Progress = no_progress
) -> int:
    """From tables post_images(pid, phash, sha) and image_windows(phash, win), create temp
    table _igroup(phash UBIGINT, rep UBIGINT): for each image hash with a near-identical
    neighbour, its group's representative (the group's smallest hash). Returns the number
    of grouped hashes."""
    con.execute("DROP TABLE IF EXISTS _igroup")
    progress("near-identical images", 0, None)
    full = np.asarray(
        con.execute("SELECT DISTINCT phash FROM post_images ORDER BY phash").fetchnumpy()["phash"],
        dtype=np.uint64,
    )
    rel = con.execute(
        "SELECT phash, win FROM image_windows UNION "
        "SELECT DISTINCT phash, phash AS win FROM post_images"
    ).fetchnumpy()
    owner = np.searchsorted(full, np.asarray(rel["phash"], dtype=np.uint64)).astype(np.int64)
    window = np.asarray(rel["win"], dtype=np.uint64)
    del rel
    grp, pairs = group_images(full, owner, window, max_distance, progress)
    grouped = np.flatnonzero(grp >= 0)
    rep = np.zeros(0, dtype=np.uint64)
    if grouped.size:
        # full is sorted, so each group's first member is its smallest hash.
        g = grp[grouped]
        first = np.full(int(g.max()) + 1, full.size, dtype=np.int64)
        np.minimum.at(first, g, grouped)
        rep = full[first[g]]
    con.register("_igroup_in", pa.table({"phash": full[grouped], "rep": rep}))
    try:
        con.execute(
            "CREATE TEMP TABLE _igroup AS SELECT CAST(phash AS UBIGINT) AS phash, "
            "CAST(rep AS UBIGINT) AS rep FROM _igroup_in"
        )
    finally:
        con.unregister("_igroup_in")
    progress("near-identical images", 1, 1)
    logger.info(
        "near-identical images: %d of %d images grouped (%d near window pairs)",
        grouped.size,
        full.size,
        pairs,
    )
    return int(grouped.size)


def has_post_images(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether the dataset has perceptual hashes (datasets stored before images were
    hashed have no post_images table)."""
    got = con.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE table_name = 'post_images' AND NOT temporary"
    ).fetchone()
    return bool(got and got[0])


def image_key_sql(phash: str) -> str:
    """The item key of a perceptual hash: 'phash:' and 16 hex digits."""
    return f"'phash:' || lpad(lower(hex({phash})), 16, '0')"


def perceptual_image_occurrences(sig: int, original: str) -> str:
    """SQL for image occurrences from post_images: one per (post, item), where the item is
    the near-identical group (keyed by its smallest hash) or the hash itself."""
    return (
        f"SELECT DISTINCT {sig} AS sig, {image_key_sql('coalesce(g.rep, i.phash)')} AS key, "
        "p.t, p.aid, p.pid, -1 AS sub FROM post_images i JOIN posts p ON p.pid = i.pid "
        f"LEFT JOIN _igroup g ON g.phash = i.phash WHERE p.{original}"
    )


# Every image's window hashes, its own full-frame hash among them (hashes the data carried
# have no windows of their own).
WINDOWS_SQL = (
    "(SELECT phash, win FROM image_windows UNION SELECT DISTINCT phash, phash FROM post_images)"
)


def image_matches(
    con: duckdb.DuckDBPyConnection, analysis_id: str, cluster_id: str, *, limit: int = 50
) -> list[tuple[str, str, int, int, int]]:
    """(post a, post b, hash a, hash b, distance) for a cluster's image evidence: for each
    evidence row of a perceptual image item, the two posts' closest pair of images."""
    if not has_post_images(con):
        return []
    rows = con.execute(
        f"""
        WITH ev AS (
            SELECT DISTINCT v.pid_a, v.pid_b FROM evidence v
            JOIN edges e ON e.analysis_id = v.analysis_id AND e.a = v.a AND e.b = v.b
            JOIN items i ON i.analysis_id = v.analysis_id AND i.item = v.item
            WHERE v.analysis_id = ? AND e.cluster_id = ? AND v.signal = 'image'
              AND i.label LIKE 'phash:%'),
        d AS (
            SELECT ev.pid_a, ev.pid_b, ia.phash AS ha, ib.phash AS hb,
                   min(bit_count(xor(wa.win, wb.win))) AS dist
            FROM ev JOIN post_images ia ON ia.pid = ev.pid_a
            JOIN post_images ib ON ib.pid = ev.pid_b
            JOIN {WINDOWS_SQL} wa ON wa.phash = ia.phash
            JOIN {WINDOWS_SQL} wb ON wb.phash = ib.phash
            GROUP BY ALL)
        SELECT pa.post_id, pb.post_id, arg_min(d.ha, d.dist), arg_min(d.hb, d.dist),
               min(d.dist) AS dist
        FROM d JOIN posts pa ON pa.pid = d.pid_a JOIN posts pb ON pb.pid = d.pid_b
        GROUP BY pa.post_id, pb.post_id
        ORDER BY dist DESC, pa.post_id, pb.post_id LIMIT {int(limit)}
        """,
        [analysis_id, cluster_id],
    ).fetchall()
    return [(str(a), str(b), int(ha), int(hb), int(dist)) for a, b, ha, hb, dist in rows]


def cluster_images(con: duckdb.DuckDBPyConnection, keys: list[str]) -> list[tuple[str, str | None]]:
    """For image item keys ('phash:<16 hex>'), the content digest of an image showing each
    (None when the hash came with the data and no picture is at hand)."""
    out: list[tuple[str, str | None]] = []
    if not has_post_images(con):
        return out
    for key in keys:
        if not key.startswith("phash:"):
            continue
        try:
            value = int(key.removeprefix("phash:"), 16)
        except ValueError:
            continue
        got = con.execute(
            "SELECT min(sha) FROM post_images WHERE phash = ? AND sha IS NOT NULL", [value]
        ).fetchone()
        out.append((key, None if got is None or got[0] is None else str(got[0])))
    return out
