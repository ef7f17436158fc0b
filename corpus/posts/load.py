"""Post datasets in: any supported file becomes canonical post rows in a DuckDB table.

`load_posts` reads CSV (DuckDB's reader, with a dialect sniffed here from a bounded
sample), Parquet (DuckDB, after a metadata check) or JSON (streamed in Python), maps
columns to the canonical fields, parses timestamps leniently, drops repeated post ids and
enforces the size limits. It leaves a temporary view of clean rows on the connection; the
caller decides where they are stored.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path

import duckdb

from common.errors import InputError, LimitError
from common.progress import Progress, no_progress
from corpus.posts.formats import CANONICAL_FIELDS, ColumnMapping, detect_kind, refuse_documents
from corpus.posts.line_endings import crlf_to_lf, first_differing_ending
from corpus.posts.places import Places, csv_places, numbered
from corpus.posts.readers import gunzip, prepare, read_csv, read_json, read_parquet
from corpus.posts.records import LoadReport, PostLimits
from corpus.posts.sql import explain_duckdb, finish, ident, literal
from corpus.posts.text_items import fill_from_text

__all__ = [
    "CANONICAL_FIELDS",
    "LoadReport",
    "PostLimits",
    "ident",
    "literal",
    "load_posts",
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
    refuse_documents(path.name, shown)
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
    temps: list[Path] = []
    scratch = scratch_dir or path.parent
    try:
        fmt = kind
        if kind == "gzip":
            temp = gunzip(path, shown, limits, scratch)
            temps.append(temp)
            kind = detect_kind(temp, shown).kind
            if kind == "gzip":
                raise InputError(f"{shown} is gzip inside gzip; decompress it first")
            fmt = f"{kind} (gzip)"
            path = temp
        prepare(con)
        progress("reading", 0, None)
        places: Places
        if kind == "csv":
            cmap, columns, fmt, places = _read_csv(
                path,
                con,
                shown=shown,
                limits=limits,
                mapping=mapping,
                fmt=fmt,
                scratch=scratch,
                temps=temps,
            )
        elif kind == "parquet":
            cmap, columns = read_parquet(path, con, shown=shown, limits=limits, mapping=mapping)
            places = numbered("row")
        else:
            cmap, columns, fmt, places = read_json(
                path, con, shown=shown, limits=limits, mapping=mapping, progress=progress, fmt=fmt
            )
        # No urls or hashtags column (given, matched or mapped): read them from the text, as
        # a Discord export writes them; a dataset with the column keeps its own.
        wanted = {f for f in ("urls", "hashtags") if f not in cmap.fields}
        from_text = (
            fill_from_text(con, wanted, max_items=limits.max_items_per_post)
            if "text" in cmap.fields
            else {}
        )
        progress("reading", 1, 1)
        report = finish(
            con,
            shown=shown,
            fmt=fmt,
            cmap=cmap,
            columns=columns,
            limits=limits,
            strict=strict,
            view=view,
            places=places,
        )
        return replace(report, from_text=from_text)
    except duckdb.OutOfMemoryException:
        raise LimitError(
            f"{shown} needs more memory than Chorus allows for one load; split the file"
        ) from None
    except duckdb.Error as exc:
        raise InputError(explain_duckdb(str(exc), shown, kind, limits)) from None
    finally:
        for temp in temps:
            temp.unlink(missing_ok=True)


def _read_csv(
    path: Path,
    con: duckdb.DuckDBPyConnection,
    *,
    shown: str,
    limits: PostLimits,
    mapping: Mapping[str, str],
    fmt: str,
    scratch: Path,
    temps: list[Path],
) -> tuple[ColumnMapping, tuple[str, ...], str, Places]:
    """read_csv, and when DuckDB refuses a file with mixed CRLF/LF row endings, read_csv of
    a copy with LF only (added to `temps`; its lines are the file's lines)."""
    try:
        cmap, columns = read_csv(path, con, shown=shown, limits=limits, mapping=mapping)
        return cmap, columns, fmt, csv_places(path)
    except duckdb.InvalidInputException:
        # Checked only after a failure, so a clean file is read once.
        mixed = first_differing_ending(path)
        if mixed is None:
            raise
    logger.info("%s: line %d ends in %s, earlier rows in %s", shown, *mixed)
    fixed = crlf_to_lf(path, scratch)
    temps.append(fixed)
    prepare(con)
    cmap, columns = read_csv(fixed, con, shown=shown, limits=limits, mapping=mapping)
    return cmap, columns, f"{fmt}, mixed line endings", csv_places(fixed)
