"""The distributed pairing engine (`--engine dask`): the window walk of patterns.graph run
on a Dask cluster, shard by shard, with results identical to the single-process engine.

Sharding (patterns.shards). Occurrences are cut by content key (the item), hot items
further by time; each shard pairs as the single engine does and the driver merges the
shards' co-posts with the same tie-breaks, then builds edges and clusters as before.

Shared storage. The driver writes each shard as one Parquet file under a run folder of
`shared_dir` (a local path, or an fsspec URL such as s3://bucket/prefix when the user has
installed that filesystem's package, s3fs for S3), and each worker reads only its shard's
file: the driver never ships rows through the scheduler, and the folder is removed when
the pairing ends, whatever the outcome.

Dask is an optional extra (`pip install -c constraints.txt -e ".[dask]"`), imported only
here and only when this engine is chosen.
"""

from __future__ import annotations

import logging
import resource
import sys
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import pyarrow.parquet as pq

from common.errors import Hint, InputError, LimitError
from common.progress import Progress, no_progress
from patterns.graph import (
    MAX_PAIR_ITEMS,
    CoPosts,
    _too_many,
)
from patterns.params import EngineChoice
from patterns.shards import (
    SHARED_HINT,
    Shard,
    SharedStorageError,
    merge,
    open_shared,
    pair_shard_file,
    plan_shards,
    shard_table,
)
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


def peak_memory_mb() -> float:
    """This process's peak resident memory (run on each worker after the pairing)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1 << 20) if sys.platform == "darwin" else peak / 1024


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
            # Checked before any connection: a client started on a bad address can fail
            # inside Dask's event-loop start-up instead, with no message, on a busy machine.
            from distributed.comm.addressing import get_address_host_port  # noqa: PLC0415
            from distributed.comm.registry import get_backend  # noqa: PLC0415

            get_backend(engine.scheduler.split("://")[0] if "://" in engine.scheduler else "tcp")
            get_address_host_port(engine.scheduler)
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
