"""The distributed pairing engine (`--engine dask`): the window walk of patterns.graph run
on a Dask cluster, shard by shard, with results identical to the single-process engine.

Sharding. Occurrences are cut by content key (the item): each item goes whole to one
shard, chosen by a hash of its id. An item with more than `hot_rows` occurrences (a hot
key) is cut further into time buckets of width B >= window, and every row is also sent,
as a copy, to the next bucket of the same item: a pair within the window lies in one
bucket or in two neighbouring ones, so the shard of the later bucket sees it. A shard
pairs rows as the single engine does, skipping pairs of two copies (the shard that owns
them finds those), so every co-post is found exactly once. The driver merges the shards'
co-posts per (account pair, item), with the same tie-breaks as the single engine, then
builds edges and clusters as before.

Shared storage. The driver writes each shard as one Parquet file under a run folder of
`shared_dir` (a local path, or an fsspec URL such as s3://bucket/prefix when the user has
installed that filesystem's package, s3fs for S3), and each worker reads only its shard's
file: the driver never ships rows through the scheduler, and the folder is removed when
the pairing ends, whatever the outcome.

Dask is an optional extra (`pip install -c constraints.txt -e ".[dask]"`), imported only
here and only when this engine is chosen.
"""

from __future__ import annotations

import itertools
import logging
import resource
import sys
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.parquet as pq

from common.errors import Hint, InputError, LimitError
from common.progress import Progress, no_progress
from patterns.graph import (
    MAX_PAIR_ITEMS,
    CoPosts,
    _compact,
    _concat,
    _mix,
    _too_many,
    collect_co_posts,
)
from patterns.params import EngineChoice
from patterns.signals import Occurrences

if TYPE_CHECKING:
    from distributed import Client
    from fsspec import AbstractFileSystem

logger = logging.getLogger(__name__)

INSTALL_HINT = (
    Hint.option("engine", "dask"),
    " needs Dask: pip install -c constraints.txt -e '.[dask]' (scripts/setup.sh installs it)",
)
CONNECT_TIMEOUT_S = 5
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


def peak_memory_mb() -> float:
    """This process's peak resident memory (run on each worker after the pairing)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1 << 20) if sys.platform == "darwin" else peak / 1024


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


@contextmanager
def dask_client(engine: EngineChoice) -> Iterator[Client]:
    """A client of the scheduler at engine.scheduler, or of a local cluster of
    engine.workers worker processes that lives as long as the analysis."""
    try:
        from distributed import Client  # noqa: PLC0415
    except ImportError:
        raise InputError(*INSTALL_HINT) from None
    # Dask logs every connection and worker start at INFO; the progress bar says enough.
    logging.getLogger("distributed").setLevel(logging.ERROR)
    if engine.scheduler:
        try:
            client = Client(engine.scheduler, timeout=CONNECT_TIMEOUT_S)
        except ValueError as exc:  # no port, an unknown scheme
            raise InputError(
                f"the Dask scheduler address {engine.scheduler} is not valid: "
                f"{' '.join(str(exc).split())[:200]} (expected tcp://HOST:PORT)"
            ) from None
        except (OSError, TimeoutError) as exc:
            raise InputError(
                f"no Dask scheduler answers at {engine.scheduler} "
                f"(waited {CONNECT_TIMEOUT_S} s: {type(exc).__name__})"
            ) from None
        try:
            yield client
        finally:
            client.close()
        return
    with local_cluster(engine.workers) as cluster, Client(cluster) as client:
        yield client


def local_cluster(workers: int) -> Any:
    """A Dask cluster on this machine: `workers` single-threaded worker processes (the walk
    is numpy, which holds the GIL), listening on loopback only."""
    from distributed import LocalCluster  # noqa: PLC0415

    return LocalCluster(
        n_workers=workers,
        threads_per_worker=1,
        processes=True,
        host="127.0.0.1",
        dashboard_address="127.0.0.1:0",
        silence_logs=logging.ERROR,
    )


def dask_co_posts(
    occ: Occurrences,
    window: float,
    engine: EngineChoice,
    *,
    progress: Progress = no_progress,
    client: Any = None,
) -> list[CoPosts]:
    """collect_co_posts, on Dask. `client`: an open distributed.Client to reuse (tests);
    otherwise one is opened (and closed) from `engine`."""
    if client is None:
        progress("connecting to Dask", 0, 1)  # a local cluster takes seconds to start
        with dask_client(engine) as own:
            progress("connecting to Dask", 1, 1)
            return dask_co_posts(occ, window, engine, progress=progress, client=own)
    workers = max(1, len(client.scheduler_info().get("workers", {})) or engine.workers)
    partitions = engine.partitions or 4 * workers
    hot_rows = engine.hot_rows or max(1_000, int(occ.item.shape[0]) // partitions)
    shards = plan_shards(occ, window, partitions, hot_rows)
    fs, base = open_shared(engine.shared_dir or tempfile.gettempdir())
    run = f"{base.rstrip('/')}/chorus-{uuid.uuid4().hex}"
    try:
        fs.makedirs(run, exist_ok=True)
        urls = _write_shards(fs, run, shards, progress)
        return _pair_on_cluster(client, urls, window, occ.split_near, progress)
    finally:
        try:
            fs.rm(run, recursive=True)
        except (OSError, FileNotFoundError):  # nothing was written, or already gone
            logger.debug("could not remove %s", run, exc_info=True)


def _write_shards(
    fs: AbstractFileSystem, run: str, shards: list[Shard], progress: Progress
) -> list[str]:
    """Each shard as one Parquet file under `run`; the URLs workers read them from."""
    progress("sharding", 0, len(shards))
    urls = []
    for k, shard in enumerate(shards):
        path = f"{run}/shard-{k:05d}.parquet"
        try:
            with fs.open(path, "wb") as f:
                pq.write_table(shard_table(shard), f)
        except OSError as exc:
            raise InputError(
                f"cannot write Dask shards to {fs.unstrip_protocol(run)}: {exc.strerror or exc}"
            ) from None
        urls.append(fs.unstrip_protocol(path))
        progress("sharding", k + 1, len(shards))
    return urls


def _pair_on_cluster(
    client: Any, urls: list[str], window: float, split_near: bool, progress: Progress
) -> list[CoPosts]:
    from distributed import as_completed  # noqa: PLC0415

    futures = [client.submit(pair_shard_file, u, window, split_near, pure=False) for u in urls]
    progress("pairing", 0, len(urls))
    parts: list[CoPosts] = []
    total = 0
    try:
        for k, fut in enumerate(as_completed(futures), start=1):
            part = fut.result()
            total += len(part)
            if total > 2 * MAX_PAIR_ITEMS:  # before the merge; it only shrinks from here
                raise _too_many()
            parts.append(part)
            progress("pairing", k, len(urls))
    except LimitError:
        raise
    except SharedStorageError as exc:
        raise InputError(str(exc), *SHARED_HINT) from None
    except Exception as exc:  # a worker that died too often, a lost scheduler
        raise InputError(
            f"the Dask cluster failed during pairing ({type(exc).__name__}: "
            f"{' '.join(str(exc).split())[:300]}); "
            "nothing was saved, the previous analysis is kept"
        ) from None
    finally:
        client.cancel(futures)
    _log_worker_memory(client)
    progress("merging shards", 0, 1)
    merged = merge(parts)
    progress("merging shards", 1, 1)
    return merged


def _log_worker_memory(client: Any) -> None:
    """Each worker's peak memory, at INFO (CHORUS_LOG_LEVEL=INFO shows it)."""
    try:
        peaks = client.run(peak_memory_mb)
    except Exception:  # a worker gone since: the figure is only informative
        logger.debug("could not read the workers' peak memory", exc_info=True)
        return
    for address, mb in sorted(peaks.items()):
        logger.info("Dask worker %s: peak memory %.0f MB", address, mb)
