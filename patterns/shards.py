"""Shards for the distributed pairing engine (patterns.distributed): how occurrences are
cut, paired per shard, written to and read from shared storage, and merged.

Sharding. Occurrences are cut by content key (the item): each item goes whole to one
shard, chosen by a hash of its id. An item with more than `hot_rows` occurrences (a hot
key) is cut further into time buckets of width B >= window, and every row is also sent,
as a copy, to the next bucket of the same item: a pair within the window lies in one
bucket or in two neighbouring ones, so the shard of the later bucket sees it. A shard
pairs rows as the single engine does, skipping pairs of two copies (the shard that owns
them finds those), so every co-post is found exactly once. The driver merges the shards'
co-posts per (account pair, item), with the same tie-breaks as the single engine, then
builds edges and clusters as before.

A shard travels as one Parquet file (shard_table / table_shard); a worker reads only its
own (pair_shard_file), so the driver never ships rows through the scheduler.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.parquet as pq

from common.errors import Hint, InputError
from patterns.graph import (
    MAX_PAIR_ITEMS,
    CoPosts,
    _compact,
    _concat,
    _mix,
    _too_many,
    collect_co_posts,
)
from patterns.signals import Occurrences

if TYPE_CHECKING:
    from fsspec import AbstractFileSystem

SHARED_HINT = (
    "every worker must see it (",
    Hint.option("shared_dir"),
    ", ",
    Hint.setting("CHORUS_ANALYSIS__DASK_SHARED_DIR"),
    ")",
)


class SharedStorageError(Exception):
    """A worker could not read its shard from shared storage (raised on the worker)."""


@dataclass(frozen=True)
class Shard:
    """One shard's rows, in walk order: `piece` is the walk key (an item, or one time
    bucket of a hot item), `row` the occurrence index in the whole data set, `native`
    False for a copy from the previous bucket."""

    piece: npt.NDArray[np.int64]
    item: npt.NDArray[np.int64]  # by piece: the item it is part of
    row: npt.NDArray[np.int64]
    t: npt.NDArray[np.float64]
    aid: npt.NDArray[np.int32]
    sub: npt.NDArray[np.int32]
    signal: npt.NDArray[np.int8]  # by piece: the item's signal
    native: npt.NDArray[np.bool_]
    split_near: bool


def plan_shards(occ: Occurrences, window: float, partitions: int, hot_rows: int) -> list[Shard]:
    """Cut the occurrences (sorted by item, t, pid) into `partitions` shards."""
    n = int(occ.item.shape[0])
    if n == 0:
        return []
    starts = np.flatnonzero(np.r_[True, occ.item[1:] != occ.item[:-1]])
    counts = np.diff(np.r_[starts, n])
    rows_item = np.repeat(np.arange(starts.size), counts)  # item run of each row
    hot = counts > hot_rows
    bucket = np.zeros(n, dtype=np.int64)
    if hot.any():
        first_t = occ.t[starts]
        span = occ.t[np.r_[starts[1:], n] - 1] - first_t
        pieces = np.ceil(counts / max(hot_rows, 1))
        # B >= window (with a margin for rounding in the division below), and B > 0.
        width = np.maximum(np.maximum(span / pieces, window * (1 + 1e-6)), 1e-6)
        hot_row = hot[rows_item]
        rel = (occ.t - first_t[rows_item]) / width[rows_item]
        bucket[hot_row] = np.floor(rel[hot_row]).astype(np.int64)
        last = np.zeros(starts.size, dtype=np.int64)
        np.maximum.at(last, rows_item, bucket)
        # Copies: each row of a hot item again in the next bucket, if there is one.
        copy = np.flatnonzero(hot_row & (bucket < last[rows_item]))
    else:
        copy = np.empty(0, dtype=np.int64)
    row = np.r_[np.arange(n, dtype=np.int64), copy]
    bkt = np.r_[bucket, bucket[copy] + 1]
    native = np.r_[np.ones(n, dtype=bool), np.zeros(copy.size, dtype=bool)]
    item = occ.item[row]
    key = _mix(item.astype(np.uint64) * np.uint64(0x100000001B3) + bkt.astype(np.uint64))
    part = (key % np.uint64(partitions)).astype(np.int64)
    order = np.lexsort((row, bkt, item, part))  # by shard, then walk order
    row, bkt, native, item, part = row[order], bkt[order], native[order], item[order], part[order]
    bounds = np.flatnonzero(np.r_[True, part[1:] != part[:-1], True])
    shards = []
    for s, e in itertools.pairwise(bounds):
        it, bk = item[s:e], bkt[s:e]
        head = np.r_[True, (it[1:] != it[:-1]) | (bk[1:] != bk[:-1])]
        piece = np.cumsum(head) - 1
        piece_item = it[head]
        r = row[s:e]
        shards.append(
            Shard(
                piece=piece.astype(np.int64),
                item=piece_item.astype(np.int64),
                row=r,
                t=occ.t[r],
                aid=occ.aid[r],
                sub=occ.sub[r],
                signal=occ.item_signal[piece_item],
                native=native[s:e],
                split_near=occ.split_near,
            )
        )
    return shards


def pair_shard(shard: Shard, window: float) -> CoPosts:
    """One shard's co-posts, with items and occurrence indices of the whole data set
    (runs on a worker; the same walk and reduction as the single-process engine)."""
    n_pieces = int(shard.item.shape[0])
    local = Occurrences(
        item=shard.piece,
        t=shard.t,
        aid=shard.aid,
        pid=np.zeros(shard.piece.shape[0], dtype=np.int32),  # not used by the walk
        sub=shard.sub,
        item_signal=shard.signal,
        item_accounts=np.zeros(n_pieces, dtype=np.int32),
        split_near=shard.split_near,
    )
    found = collect_co_posts(local, window, native=shard.native)
    if not found:
        return _concat([_empty()])
    cp = _concat(found)
    return replace(
        cp,
        item=shard.item[cp.item].astype(np.int32),
        i=shard.row[cp.i].astype(np.int32),
        j=shard.row[cp.j].astype(np.int32),
    )


SHARD_SCHEMA = pa.schema(
    [
        ("piece", pa.int64()),
        ("item", pa.int64()),  # the piece's item, on each of its rows
        ("signal", pa.int8()),  # the item's signal, likewise
        ("row", pa.int64()),
        ("t", pa.float64()),
        ("aid", pa.int32()),
        ("sub", pa.int32()),
        ("native", pa.bool_()),
    ]
)


def shard_table(shard: Shard) -> pa.Table:
    """A shard as one flat table (per-piece values repeated on the piece's rows)."""
    return pa.table(
        {
            "piece": shard.piece,
            "item": shard.item[shard.piece],
            "signal": shard.signal[shard.piece],
            "row": shard.row,
            "t": shard.t,
            "aid": shard.aid,
            "sub": shard.sub,
            "native": shard.native,
        },
        schema=SHARD_SCHEMA,
    )


def table_shard(table: pa.Table, split_near: bool) -> Shard:
    """shard_table, read back."""
    col = {name: table.column(name).to_numpy() for name in SHARD_SCHEMA.names}
    piece = col["piece"].astype(np.int64)
    head = np.flatnonzero(np.r_[True, piece[1:] != piece[:-1]]) if piece.size else piece
    return Shard(
        piece=piece,
        item=col["item"][head].astype(np.int64),
        row=col["row"].astype(np.int64),
        t=col["t"].astype(np.float64),
        aid=col["aid"].astype(np.int32),
        sub=col["sub"].astype(np.int32),
        signal=col["signal"][head].astype(np.int8),
        native=col["native"].astype(np.bool_),
        split_near=split_near,
    )


def open_shared(url: str) -> tuple[AbstractFileSystem, str]:
    """The filesystem and path of a shared-storage location; one line when its fsspec
    filesystem is unknown or not installed (s3:// needs s3fs)."""
    import fsspec  # noqa: PLC0415  (comes with dask)

    try:
        fs, path = fsspec.core.url_to_fs(url)
    except (ImportError, ValueError) as exc:
        raise InputError(
            f"the Dask shared dir {url} cannot be used: {' '.join(str(exc).split())[:200]} "
            "(install the fsspec filesystem package for it, e.g. s3fs for s3://)"
        ) from None
    return fs, str(path)


def pair_shard_file(url: str, window: float, split_near: bool) -> CoPosts:
    """Read one shard's Parquet file from shared storage and pair it (runs on a worker)."""
    import fsspec  # noqa: PLC0415

    try:
        with fsspec.open(url, "rb") as f:
            table = pq.read_table(f)
    except (OSError, ImportError, ValueError) as exc:
        raise SharedStorageError(
            f"a Dask worker cannot read its shard {url} ({type(exc).__name__}): "
        ) from None
    return pair_shard(table_shard(table, split_near), window)


def _empty() -> CoPosts:
    i32 = np.empty(0, dtype=np.int32)
    return CoPosts(
        np.empty(0, dtype=np.int64), i32, np.empty(0, dtype=np.int8), np.empty(0), i32, i32, i32
    )


def merge(parts: list[CoPosts]) -> list[CoPosts]:
    """The shards' co-posts as the single engine returns them: one row per (pair, item)."""
    parts = [p for p in parts if len(p)]
    if not parts:
        return []
    merged = _compact(_concat(parts))
    if len(merged) > MAX_PAIR_ITEMS:
        raise _too_many()
    return [merged]
