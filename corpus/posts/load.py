"""Post datasets in: any supported file becomes canonical post rows in a DuckDB table.

`load_posts` reads CSV (DuckDB's reader, with a dialect sniffed here from a bounded
sample), Parquet (DuckDB, after a metadata check) or JSON (streamed in Python), maps
columns to the canonical fields, parses timestamps leniently, drops repeated post ids and
enforces the size limits. It leaves a temporary view of clean rows on the connection; the
caller decides where they are stored. `read_posts` returns `Post` records for small files.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from common.errors import InputError, LimitError
from common.progress import Progress, no_progress
from corpus.posts.formats import CANONICAL_FIELDS, detect_kind
from corpus.posts.readers import gunzip, prepare, read_csv, read_json, read_parquet
from corpus.posts.records import LoadReport, Post, PostLimits
from corpus.posts.sql import explain_duckdb, finish, ident, literal

__all__ = [
    "CANONICAL_FIELDS",
    "LoadReport",
    "Post",
    "PostLimits",
    "ident",
    "iter_posts",
    "literal",
    "load_posts",
    "read_posts",
]

logger = logging.getLogger(__name__)


def load_posts(
    path: Path,
    con: duckdb.DuckDBPyConnection,
    *,
    limits: PostLimits,
    mapping: Mapping[str, str] | None = None,
    strict: bool = False,
    progress: Progress = no_progress,
    shown: str | None = None,
    scratch_dir: Path | None = None,
    view: str = "clean_posts",
) -> LoadReport:
    """Read `path` into temporary objects on `con`; leave a view `view` of clean posts.

    The view has columns: row (source row, 1-based), post_id, account_id, t (epoch seconds),
    text, urls, hashtags, image_hashes, domains, repost_of, reply_to, account_created_at,
    account_name, platform, image_files, image_urls, image_phashes. Raises InputError /
    LimitError naming the file, row or column.
    """
    shown = shown or path.name
    mapping = dict(mapping or {})
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise InputError(f"cannot read {shown}: {exc.strerror or exc}") from None
    if size == 0:
        raise InputError(f"{shown} is empty")
    if size > limits.max_bytes:
        raise LimitError(
            f"{shown} is {size:,} bytes, over the limit of {limits.max_bytes:,} (max_dataset_bytes)"
        )
    kind = detect_kind(path, shown).kind
    temp: Path | None = None
    try:
        fmt = kind
        if kind == "gzip":
            temp = gunzip(path, shown, limits, scratch_dir or path.parent)
            kind = detect_kind(temp, shown).kind
            if kind == "gzip":
                raise InputError(f"{shown} is gzip inside gzip; decompress it first")
            fmt = f"{kind} (gzip)"
            path = temp
        prepare(con)
        progress("reading", 0, None)
        if kind == "csv":
            cmap, columns = read_csv(path, con, shown=shown, limits=limits, mapping=mapping)
        elif kind == "parquet":
            cmap, columns = read_parquet(path, con, shown=shown, limits=limits, mapping=mapping)
        else:
            cmap, columns, fmt = read_json(
                path, con, shown=shown, limits=limits, mapping=mapping, progress=progress, fmt=fmt
            )
        progress("reading", 1, 1)
        return finish(
            con,
            shown=shown,
            fmt=fmt,
            cmap=cmap,
            columns=columns,
            limits=limits,
            strict=strict,
            view=view,
        )
    except duckdb.OutOfMemoryException:
        raise LimitError(
            f"{shown} needs more memory than Chorus allows for one load; split the file"
        ) from None
    except duckdb.Error as exc:
        raise InputError(explain_duckdb(str(exc), shown, kind, limits)) from None
    finally:
        if temp is not None:
            temp.unlink(missing_ok=True)


def read_posts(
    path: Path,
    *,
    limits: PostLimits,
    mapping: Mapping[str, str] | None = None,
    strict: bool = False,
) -> tuple[list[Post], LoadReport]:
    """Every post of a (small) file as `Post` records, in file order."""
    con = duckdb.connect()
    try:
        report = load_posts(path, con, limits=limits, mapping=mapping, strict=strict)
        return list(iter_posts(con, "clean_posts")), report
    finally:
        con.close()


def iter_posts(con: duckdb.DuckDBPyConnection, relation: str) -> Iterator[Post]:
    """Posts of a relation with the canonical columns, in source order."""
    cur = con.execute(
        "SELECT post_id, account_id, t, text, urls, hashtags, image_hashes, repost_of, "
        "reply_to, account_created_at, account_name, platform, domains, image_files, "
        "image_urls "
        f"FROM {relation} ORDER BY row"
    )
    while rows := cur.fetchmany(10_000):
        for r in rows:
            yield Post(
                post_id=r[0],
                account_id=r[1],
                created_at=datetime.fromtimestamp(r[2], UTC),
                text=r[3],
                urls=tuple(r[4] or ()),
                hashtags=tuple(r[5] or ()),
                image_hashes=tuple(r[6] or ()),
                repost_of=r[7],
                reply_to=r[8],
                account_created_at=None if r[9] is None else datetime.fromtimestamp(r[9], UTC),
                account_name=r[10],
                platform=r[11],
                domains=tuple(r[12] or ()),
                image_files=tuple(r[13] or ()),
                image_urls=tuple(r[14] or ()),
            )
