"""Readers: a post file into the temporary table _src (canonical columns) and the view
_canon (_src with the source row number). CSV and Parquet are read by DuckDB; JSON is
streamed in Python and staged through Arrow batches; gzip is unpacked with a size cap."""

from __future__ import annotations

import contextlib
import gzip
import itertools
import os
import uuid
import zlib
from array import array
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from common.errors import Hint, InputError, LimitError
from common.progress import Progress
from corpus.posts.discord_json import (
    DISCORD_EXPORT,
    discord_records,
    flatten,
    is_discord_export,
    is_discord_message,
    refuse_object_maps,
)
from corpus.posts.formats import ALL_FIELDS, LIST_FIELDS, ColumnMapping, resolve_mapping, sniff_csv
from corpus.posts.json_records import (
    is_json_lines,
    is_twitter_v1_tweet,
    is_twitter_v2_page,
    is_twitter_v2_tweet,
    iter_json_values,
    list_text,
    scalar_text,
    twitter_v1_record,
    twitter_v2_records,
)
from corpus.posts.places import Places, numbered
from corpus.posts.records import PostLimits
from corpus.posts.sql import EPOCH_MACRO, canonical_select, ident, literal
from corpus.posts.unpack import copy_bounded

JSON_SAMPLE_RECORDS = 1000
JSON_BATCH = 20_000
ID_FIELDS = frozenset({"post_id", "account_id", "repost_of", "reply_to"})


@contextlib.contextmanager
def in_file_order(con: duckdb.DuckDBPyConnection) -> Iterator[None]:
    """Rows stored in file order, so a row's position is its row number in the file."""
    got = con.execute("SELECT current_setting('preserve_insertion_order')").fetchone()
    before = bool(got and got[0])
    con.execute("SET preserve_insertion_order = true")
    try:
        yield
    finally:
        con.execute(f"SET preserve_insertion_order = {'true' if before else 'false'}")


def prepare(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("SET TimeZone = 'UTC'")
    con.execute(EPOCH_MACRO)
    for name in ("_src", "_stage"):
        con.execute(f"DROP TABLE IF EXISTS {name}")


def gunzip(path: Path, shown: str, limits: PostLimits, scratch: Path) -> Path:
    """Decompress to a scratch file, stopping at the unpack bound (corpus/posts/unpack.py)."""
    scratch.mkdir(parents=True, exist_ok=True)
    out = scratch / f".gunzip-{os.getpid()}-{uuid.uuid4().hex}"
    try:
        with gzip.open(path, "rb") as src, out.open("wb") as dst:
            written = copy_bounded(
                src,  # type: ignore[arg-type]  # GzipFile reads bytes like any IO[bytes]
                dst,
                shown=shown,
                packed=path.stat().st_size,
                max_bytes=limits.max_bytes,
                max_ratio=limits.max_unpack_ratio,
            )
    except (OSError, EOFError, zlib.error) as exc:
        out.unlink(missing_ok=True)
        raise InputError(
            f"{shown} is not a complete gzip file (truncated or corrupt: {exc})"
        ) from None
    except BaseException:
        out.unlink(missing_ok=True)
        raise
    if written == 0:
        out.unlink(missing_ok=True)
        raise InputError(f"{shown} is empty once decompressed")
    return out


def read_csv(
    path: Path,
    con: duckdb.DuckDBPyConnection,
    *,
    shown: str,
    limits: PostLimits,
    mapping: Mapping[str, str],
) -> tuple[ColumnMapping, tuple[str, ...]]:
    dialect = sniff_csv(path, shown, max_columns=limits.max_columns)
    cmap = resolve_mapping(dialect.columns, mapping, shown)
    columns = "{" + ", ".join(f"{literal(c)}: 'VARCHAR'" for c in dialect.columns) + "}"
    select = canonical_select({f: (ident(c), False) for f, c in cmap.fields.items()})
    # No LIMIT: it makes DuckDB read on one thread. max_bytes bounds the work, and the row
    # limit is checked right after.
    with in_file_order(con):
        con.execute(
            f"CREATE TEMP TABLE _src AS SELECT {select} FROM read_csv({literal(str(path))}, "
            f"header = true, delim = {literal(dialect.delimiter)}, quote = '\"', escape = '\"', "
            f"auto_detect = false, strict_mode = true, null_padding = false, "
            f"columns = {columns}, max_line_size = {limits.max_record_bytes})"
        )
    con.execute("CREATE OR REPLACE TEMP VIEW _canon AS SELECT rowid + 1 AS row, * FROM _src")
    return cmap, dialect.columns


def read_parquet(
    path: Path,
    con: duckdb.DuckDBPyConnection,
    *,
    shown: str,
    limits: PostLimits,
    mapping: Mapping[str, str],
) -> tuple[ColumnMapping, tuple[str, ...]]:
    try:
        meta = pq.ParquetFile(path).metadata
    except Exception as exc:  # pyarrow raises several unrelated types for a bad file
        raise InputError(
            f"{shown} is not a complete Parquet file (truncated or corrupt: {exc})"
        ) from None
    if meta.num_columns > limits.max_columns:
        raise LimitError(
            f"{shown} has {meta.num_columns:,} columns, over the limit of "
            f"{limits.max_columns:,} (max_columns)"
        )
    if meta.num_rows > limits.max_rows:
        raise LimitError(
            f"{shown} has {meta.num_rows:,} rows, over the limit of {limits.max_rows:,} "
            "(max_dataset_rows)"
        )
    unpacked = sum(meta.row_group(i).total_byte_size for i in range(meta.num_row_groups))
    if unpacked > limits.max_bytes:
        raise LimitError(
            f"{shown} holds {unpacked:,} bytes once decompressed, over the limit of "
            f"{limits.max_bytes:,} (max_dataset_bytes)"
        )
    src = f"read_parquet({literal(str(path))})"
    described = con.execute(f"DESCRIBE SELECT * FROM {src}").fetchall()
    types = {str(r[0]): str(r[1]) for r in described}
    cols = tuple(types)
    cmap = resolve_mapping(cols, mapping, shown)
    select = canonical_select(
        {f: (ident(c), types[c].endswith("[]")) for f, c in cmap.fields.items()}
    )
    with in_file_order(con):
        con.execute(f"CREATE TEMP TABLE _src AS SELECT {select} FROM {src}")
    con.execute("CREATE OR REPLACE TEMP VIEW _canon AS SELECT rowid + 1 AS row, * FROM _src")
    return cmap, cols


def _known_kind(first: Any) -> str:
    if is_twitter_v2_page(first) or is_twitter_v2_tweet(first):
        return "Twitter API v2 JSON"
    if is_twitter_v1_tweet(first):
        return "Twitter API v1.1 JSON"
    if is_discord_export(first) or is_discord_message(first):
        return DISCORD_EXPORT
    return ""


def _records(
    values: Iterator[tuple[int, Any]], known: str, shown: str, limits: PostLimits, unit: str
) -> Iterator[tuple[Mapping[str, Any], int]]:
    """Flat records and their line, record or message number: known exports flattened to
    canonical keys, other objects to dotted keys (corpus/posts/discord_json.py)."""
    for number, value in values:
        if known == "Twitter API v2 JSON":
            for rec in twitter_v2_records(value):
                yield rec, number
            continue
        if not isinstance(value, dict):
            raise InputError(f"{shown} {unit} {number}: not a JSON object")
        if known == DISCORD_EXPORT:
            # A whole export's posts are named by message, the messages list's by record.
            for rec, i in discord_records(value):
                yield rec, i if unit == "message" else number
        elif known:
            yield twitter_v1_record(value), number
        else:
            flat = flatten(value)
            _check_keys(flat, shown, f"{unit} {number}", limits)
            yield flat, number


class _Stager:
    """Canonical rows in Arrow batches, appended to the temporary table _stage."""

    def __init__(
        self, con: duckdb.DuckDBPyConnection, sources: Mapping[str, str], place: str
    ) -> None:
        self.con = con
        self.place = place  # "posts.json record", for a refusal
        self.sources = sources
        list_type = pa.list_(pa.string())
        self.schema = pa.schema(
            [("row", pa.int64())]
            + [(f, list_type if f in LIST_FIELDS else pa.string()) for f in ALL_FIELDS]
        )
        self.batch: dict[str, list[Any]] = {name: [] for name in self.schema.names}
        self.created = False
        self.rows = 0
        self.numbers = array("q")  # each row's line or record in the file

    def add(self, rec: Mapping[str, Any], number: int) -> None:
        self.rows += 1
        self.numbers.append(number)
        self.batch["row"].append(self.rows)
        for f in ALL_FIELDS:
            col = self.sources.get(f)
            value = rec.get(col) if col is not None else None
            if f in ID_FIELDS and isinstance(value, dict | list):
                # An object's JSON text would be an id that changes with any of its fields.
                raise InputError(
                    f"{self.place} {number}: {col} is a JSON "
                    f"{'object' if isinstance(value, dict) else 'list'}, not an id; "
                    f"{f} needs one value: map a column that holds one with ",
                    Hint.option("map", f"{f}=COLUMN"),
                )
            self.batch[f].append(list_text(value) if f in LIST_FIELDS else scalar_text(value))

    def flush(self) -> None:
        self.con.register("_batch", pa.table(self.batch, schema=self.schema))
        try:
            verb = "INSERT INTO _stage" if self.created else "CREATE TEMP TABLE _stage AS"
            self.con.execute(f"{verb} SELECT * FROM _batch")
            self.created = True
        finally:
            self.con.unregister("_batch")
        for v in self.batch.values():
            v.clear()


def read_json(
    path: Path,
    con: duckdb.DuckDBPyConnection,
    *,
    shown: str,
    limits: PostLimits,
    mapping: Mapping[str, str],
    progress: Progress,
    fmt: str,
) -> tuple[ColumnMapping, tuple[str, ...], str, Places]:
    unit = "line" if is_json_lines(path, max_record_bytes=limits.max_record_bytes) else "record"
    values = iter_json_values(path, shown, max_record_bytes=limits.max_record_bytes)
    sample: list[tuple[int, Any]] = []
    for item in values:
        sample.append(item)
        if len(sample) >= JSON_SAMPLE_RECORDS:
            break
    if not sample:
        raise InputError(f"{shown} has no records")
    known = _known_kind(sample[0][1])
    if is_discord_export(sample[0][1]):
        unit = "message"
    if known:
        columns: tuple[str, ...] = ALL_FIELDS
        cmap = ColumnMapping(resolve_mapping(columns, mapping, shown).fields, known)
    else:
        keys: dict[str, None] = {}
        for number, value in sample:
            if not isinstance(value, dict):
                raise InputError(f"{shown} {unit} {number}: not a JSON object")
            flat = flatten(value)
            _check_keys(flat, shown, f"{unit} {number}", limits)
            keys.update(dict.fromkeys(str(k) for k in flat))
        columns = tuple(keys)
        refuse_object_maps(mapping, columns, shown)
        cmap = resolve_mapping(columns, mapping, shown)
    stager = _Stager(con, cmap.fields, f"{shown} {unit}")
    for rec, number in _records(itertools.chain(sample, values), known, shown, limits, unit):
        if stager.rows >= limits.max_rows:
            raise LimitError(
                f"{shown} has more than {limits.max_rows:,} posts, over the limit "
                "(max_dataset_rows)"
            )
        stager.add(rec, number)
        if len(stager.batch["row"]) >= JSON_BATCH:
            stager.flush()
            progress("reading", stager.rows, None)
    if stager.batch["row"] or not stager.created:
        stager.flush()
    select = canonical_select({f: (ident(f), f in LIST_FIELDS) for f in cmap.fields})
    con.execute(f"CREATE TEMP TABLE _src AS SELECT row, {select} FROM _stage ORDER BY row")
    con.execute("DROP TABLE _stage")
    con.execute("CREATE OR REPLACE TEMP VIEW _canon AS SELECT * FROM _src")
    return cmap, columns, fmt, numbered(unit, stager.numbers)


def _check_keys(value: Mapping[str, Any], shown: str, place: str, limits: PostLimits) -> None:
    if len(value) > limits.max_columns:
        raise LimitError(
            f"{shown} {place}: {len(value):,} keys, over the limit of "
            f"{limits.max_columns:,} (max_columns)"
        )
