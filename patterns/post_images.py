"""The load step for images: read the image references of stored posts (image_files,
image_urls, image_phashes), hash them (corpus.posts.image_sources), and store table
post_images(pid, phash, sha) in the dataset file, beside the posts."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa

from common.progress import Progress, no_progress
from corpus.posts.image_cache import open_cache
from corpus.posts.image_sources import ImageLimits, ImageRef, ImageReport, hash_post_images
from corpus.posts.media import MediaSource
from corpus.web.policy import FetchPolicy
from patterns.dataset_schema import create_image_tables

REF_COLUMNS = (("image_files", "file"), ("image_urls", "url"), ("image_phashes", "phash"))


def _refs(con: duckdb.DuckDBPyConnection) -> Iterator[ImageRef]:
    for column, kind in REF_COLUMNS:
        cur = con.execute(
            f"SELECT pid, unnest({column}) FROM posts WHERE {column} IS NOT NULL ORDER BY pid"
        )
        while rows := cur.fetchmany(50_000):
            for pid, ref in rows:
                if ref:
                    yield ImageRef(int(pid), kind, str(ref))  # type: ignore[arg-type]


def store_post_images(
    con: duckdb.DuckDBPyConnection,
    *,
    media: MediaSource | None,
    cache_path: Path,
    limits: ImageLimits,
    policy: FetchPolicy,
    progress: Progress = no_progress,
) -> ImageReport | None:
    """Create table post_images when any post names an image; None when none does."""
    got = con.execute(
        "SELECT count(*) FROM posts WHERE image_files IS NOT NULL OR image_urls IS NOT NULL "
        "OR image_phashes IS NOT NULL"
    ).fetchone()
    if not got or not got[0]:
        return None
    with open_cache(cache_path) as cache:
        rows, report = hash_post_images(
            _refs(con), media=media, cache=cache, limits=limits, policy=policy, progress=progress
        )
    table = pa.table(
        {
            "pid": pa.array(np.fromiter((r.pid for r in rows), np.int32, len(rows))),
            "phash": pa.array(np.fromiter((r.phash for r in rows), np.uint64, len(rows))),
            "sha": pa.array([r.sha for r in rows], pa.string()),
        }
    )
    # Window hashes once per image (not per post that shows it).
    windows: dict[int, tuple[int, ...]] = {}
    for r in rows:
        if r.windows:
            windows.setdefault(r.phash, r.windows)
    owners = [h for h, ws in windows.items() for _ in ws]
    values = [w for ws in windows.values() for w in ws]
    win_table = pa.table(
        {
            "phash": pa.array(np.asarray(owners, dtype=np.uint64)),
            "win": pa.array(np.asarray(values, dtype=np.uint64)),
        }
    )
    con.register("_post_images_in", table)
    con.register("_image_windows_in", win_table)
    try:
        create_image_tables(con, "_post_images_in", "_image_windows_in")
    finally:
        con.unregister("_post_images_in")
        con.unregister("_image_windows_in")
    return report
