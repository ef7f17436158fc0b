"""Post datasets in: any supported file becomes canonical post rows in a DuckDB table.

`load_posts` reads CSV (DuckDB's reader, with a dialect sniffed here from a bounded
sample), Parquet (DuckDB, after a metadata check) or JSON (streamed in Python), maps
columns to the canonical fields, parses timestamps leniently, drops repeated post ids and
enforces the size limits. It leaves a temporary view of clean rows on the connection; the
caller decides where they are stored. `read_posts` returns `Post` records for small files.
"""

from __future__ import annotations

import gzip
import logging
import os
import re
import uuid
import zlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb

from corpus.errors import InputError, LimitError
from corpus.post_formats import (
    ALL_FIELDS,
    LIST_FIELDS,
    TIME_FIELDS,
    ColumnMapping,
    detect_kind,
    resolve_mapping,
    sniff_csv,
)
from corpus.post_json import (
    is_twitter_v1_tweet,
    is_twitter_v2_page,
    is_twitter_v2_tweet,
    iter_json_values,
    list_text,
    scalar_text,
    twitter_v1_record,
    twitter_v2_records,
)
from corpus.progress import Progress, no_progress

logger = logging.getLogger(__name__)

JSON_SAMPLE_RECORDS = 1000
JSON_BATCH = 20_000
BAD_EXAMPLES = 3


@dataclass(frozen=True)
class Post:
    """One post in canonical form (DESIGN.md, "Canonical post columns")."""

    post_id: str
    account_id: str
    created_at: datetime
    text: str | None = None
    urls: tuple[str, ...] = ()
    hashtags: tuple[str, ...] = ()
    image_hashes: tuple[str, ...] = ()
    repost_of: str | None = None
    reply_to: str | None = None
    account_created_at: datetime | None = None
    account_name: str | None = None
    platform: str | None = None
    domains: tuple[str, ...] = ()


@dataclass(frozen=True)
class PostLimits:
    """Bounds on one dataset file; each refusal names the limit it hit."""

    max_rows: int
    max_bytes: int
    max_field_chars: int
    max_columns: int

    @property
    def max_record_bytes(self) -> int:
        # One CSV line or JSON record: room for several fields at the limit (4 bytes a
        # character at worst), never less than 8 MiB so ordinary Twitter pages fit.
        return max(8 << 20, 8 * self.max_field_chars)


@dataclass(frozen=True)
class LoadReport:
    """What a load read, kept, dropped and why: shown to the user and stored with the data."""

    source: str
    format: str
    layout: str
    columns_found: tuple[str, ...]
    mapping: dict[str, str]
    rows: int
    posts: int
    duplicate_rows: int = 0
    merged_rows: int = 0
    bad_timestamps: int = 0
    bad_timestamp_examples: tuple[str, ...] = ()
    missing_account: int = 0
    generated_ids: bool = False
    extra: dict[str, Any] = field(default_factory=dict)

    def notes(self) -> list[str]:
        """Plain sentences about anything dropped or assumed."""
        out = []
        if self.duplicate_rows:
            dropped = self.duplicate_rows - self.merged_rows
            parts = []
            if self.merged_rows:
                parts.append(
                    f"{self.merged_rows:,} merged into the first (one post over several rows)"
                )
            if dropped:
                parts.append(f"{dropped:,} dropped")
            out.append(
                f"{self.duplicate_rows:,} rows repeated an earlier post id: {', '.join(parts)}"
            )
        if self.bad_timestamps:
            shown = "; ".join(self.bad_timestamp_examples)
            out.append(
                f"{self.bad_timestamps:,} rows had unparseable timestamps and were skipped ({shown})"
            )
        if self.missing_account:
            out.append(f"{self.missing_account:,} rows had no account id and were skipped")
        if self.generated_ids:
            out.append("no post id column: posts are numbered by row (row-1, row-2, ...)")
        return out

    def to_json(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "format": self.format,
            "layout": self.layout,
            "columns_found": list(self.columns_found),
            "mapping": dict(self.mapping),
            "rows": self.rows,
            "posts": self.posts,
            "duplicate_rows": self.duplicate_rows,
            "merged_rows": self.merged_rows,
            "bad_timestamps": self.bad_timestamps,
            "bad_timestamp_examples": list(self.bad_timestamp_examples),
            "missing_account": self.missing_account,
            "generated_ids": self.generated_ids,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> LoadReport:
        return cls(
            source=str(data["source"]),
            format=str(data["format"]),
            layout=str(data["layout"]),
            columns_found=tuple(data["columns_found"]),
            mapping=dict(data["mapping"]),
            rows=int(data["rows"]),
            posts=int(data["posts"]),
            duplicate_rows=int(data["duplicate_rows"]),
            merged_rows=int(data["merged_rows"]),
            bad_timestamps=int(data["bad_timestamps"]),
            bad_timestamp_examples=tuple(data["bad_timestamp_examples"]),
            missing_account=int(data["missing_account"]),
            generated_ids=bool(data["generated_ids"]),
        )


# --- SQL pieces ---------------------------------------------------------------------------

# Lenient timestamps: epoch seconds, milliseconds or microseconds (told apart by size);
# ISO 8601 with or without a zone (no zone means UTC); Twitter's classic format.
EPOCH_MACRO = r"""
CREATE OR REPLACE TEMP MACRO chorus_epoch_num(d) AS (
    CASE WHEN NOT isfinite(d) THEN NULL
         WHEN abs(d) >= 1e14 THEN d / 1e6
         WHEN abs(d) >= 1e11 THEN d / 1e3
         ELSE d END);
CREATE OR REPLACE TEMP MACRO chorus_epoch(x) AS (
    coalesce(chorus_epoch_num(TRY_CAST(x AS DOUBLE)),
             epoch(TRY_CAST(x AS TIMESTAMPTZ)),
             epoch(try_strptime(trim(x), '%a %b %d %H:%M:%S %z %Y'))));
CREATE OR REPLACE TEMP MACRO chorus_list(x) AS (
    CASE WHEN x IS NULL OR trim(x) = '' THEN NULL
         ELSE list_filter(string_split(translate(x, chr(9) || chr(10) || chr(13), '   '), ' '),
                          lambda s: s <> '') END);
"""

CANON_COLUMNS = (
    "post_id",
    "account_id",
    "t",
    "created_raw",
    "text",
    "urls",
    "hashtags",
    "image_hashes",
    "domains",
    "repost_of",
    "reply_to",
    "account_created_at",
    "account_name",
    "platform",
)
TEXT_LIKE = ("text",)


def ident(name: str) -> str:
    """A SQL identifier, quoted."""
    return '"' + name.replace('"', '""') + '"'


def literal(value: str) -> str:
    """A SQL string literal."""
    return "'" + value.replace("'", "''") + "'"


def _field_expr(fld: str, src: str | None, src_is_list: bool) -> list[str]:
    """SQL select items producing canonical field `fld` from source expression `src`."""
    if fld in LIST_FIELDS:
        if src is None:
            return [f"CAST(NULL AS VARCHAR[]) AS {fld}"]
        if src_is_list:
            expr = (
                f"list_filter(list_transform({src}, lambda x: trim(CAST(x AS VARCHAR))), "
                "lambda x: x IS NOT NULL AND x <> '')"
            )
        else:
            expr = f"chorus_list(CAST({src} AS VARCHAR))"
        return [f"{expr} AS {fld}"]
    if fld in TIME_FIELDS:
        name = "t" if fld == "created_at" else fld
        if src is None:
            return [f"CAST(NULL AS DOUBLE) AS {name}"]
        items = [f"chorus_epoch(CAST({src} AS VARCHAR)) AS {name}"]
        if fld == "created_at":
            items.append(f"CAST({src} AS VARCHAR) AS created_raw")
        return items
    if src is None:
        return [f"CAST(NULL AS VARCHAR) AS {fld}"]
    if fld in TEXT_LIKE:
        return [f"nullif(CAST({src} AS VARCHAR), '') AS {fld}"]
    return [f"nullif(trim(CAST({src} AS VARCHAR)), '') AS {fld}"]


def canonical_select(sources: Mapping[str, tuple[str, bool]]) -> str:
    """Select list in CANON_COLUMNS order from field -> (source SQL, is a list type)."""
    items: list[str] = []
    for fld in ALL_FIELDS:
        src, is_list = sources.get(fld, (None, False))
        items.extend(_field_expr(fld, src, is_list))
    by_name = {item.rsplit(" AS ", 1)[1]: item for item in items}
    return ", ".join(by_name[c] for c in CANON_COLUMNS)


# --- entry points -----------------------------------------------------------------------


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
    account_name, platform. Raises InputError / LimitError naming the file, row or column.
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
            temp = _gunzip(path, shown, limits.max_bytes, scratch_dir or path.parent)
            kind = detect_kind(temp, shown).kind
            if kind == "gzip":
                raise InputError(f"{shown} is gzip inside gzip; decompress it first")
            fmt = f"{kind} (gzip)"
            path = temp
        _prepare(con)
        progress("reading", 0, None)
        if kind == "csv":
            cmap, columns = _read_csv(path, con, shown, limits, mapping)
        elif kind == "parquet":
            cmap, columns = _read_parquet(path, con, shown, limits, mapping)
        else:
            cmap, columns, fmt = _read_json(path, con, shown, limits, mapping, progress, fmt)
        progress("reading", 1, 1)
        return _finish(con, shown, fmt, cmap, columns, limits, strict, view)
    except duckdb.OutOfMemoryException:
        raise LimitError(
            f"{shown} needs more memory than Chorus allows for one load; split the file"
        ) from None
    except duckdb.Error as exc:
        raise InputError(_explain_duckdb(str(exc), shown, kind, limits)) from None
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
        "reply_to, account_created_at, account_name, platform, domains "
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
            )


# --- readers ----------------------------------------------------------------------------


def _prepare(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("SET TimeZone = 'UTC'")
    con.execute(EPOCH_MACRO)
    for name in ("_src", "_stage"):
        con.execute(f"DROP TABLE IF EXISTS {name}")


def _gunzip(path: Path, shown: str, max_bytes: int, scratch: Path) -> Path:
    """Decompress to a scratch file, refusing more than max_bytes of output (bombs)."""
    scratch.mkdir(parents=True, exist_ok=True)
    out = scratch / f".gunzip-{os.getpid()}-{uuid.uuid4().hex}"
    written = 0
    try:
        with gzip.open(path, "rb") as src, out.open("wb") as dst:
            while chunk := src.read(1 << 20):
                written += len(chunk)
                if written > max_bytes:
                    raise LimitError(
                        f"{shown} decompresses to more than {max_bytes:,} bytes, over the "
                        "limit (max_dataset_bytes)"
                    )
                dst.write(chunk)
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


def _read_csv(
    path: Path,
    con: duckdb.DuckDBPyConnection,
    shown: str,
    limits: PostLimits,
    mapping: Mapping[str, str],
) -> tuple[ColumnMapping, tuple[str, ...]]:
    dialect = sniff_csv(path, shown, max_columns=limits.max_columns)
    cmap = resolve_mapping(dialect.columns, mapping, shown)
    columns = "{" + ", ".join(f"{literal(c)}: 'VARCHAR'" for c in dialect.columns) + "}"
    select = canonical_select({f: (ident(c), False) for f, c in cmap.fields.items()})
    con.execute(
        f"CREATE TEMP TABLE _src AS SELECT {select} FROM read_csv({literal(str(path))}, "
        f"header = true, delim = {literal(dialect.delimiter)}, quote = '\"', escape = '\"', "
        f"auto_detect = false, strict_mode = true, null_padding = false, "
        f"columns = {columns}, max_line_size = {limits.max_record_bytes}) "
        f"LIMIT {limits.max_rows + 1}"
    )
    con.execute("CREATE OR REPLACE TEMP VIEW _canon AS SELECT rowid + 1 AS row, * FROM _src")
    return cmap, dialect.columns


def _read_parquet(
    path: Path,
    con: duckdb.DuckDBPyConnection,
    shown: str,
    limits: PostLimits,
    mapping: Mapping[str, str],
) -> tuple[ColumnMapping, tuple[str, ...]]:
    import pyarrow.parquet as pq  # only Parquet needs it

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
    con.execute(f"CREATE TEMP TABLE _src AS SELECT {select} FROM {src} LIMIT {limits.max_rows + 1}")
    con.execute("CREATE OR REPLACE TEMP VIEW _canon AS SELECT rowid + 1 AS row, * FROM _src")
    return cmap, cols


def _read_json(
    path: Path,
    con: duckdb.DuckDBPyConnection,
    shown: str,
    limits: PostLimits,
    mapping: Mapping[str, str],
    progress: Progress,
    fmt: str,
) -> tuple[ColumnMapping, tuple[str, ...], str]:
    import pyarrow as pa  # only JSON staging needs it

    values = iter_json_values(path, shown, max_record_bytes=limits.max_record_bytes)
    sample: list[tuple[int, Any]] = []
    for item in values:
        sample.append(item)
        if len(sample) >= JSON_SAMPLE_RECORDS:
            break
    if not sample:
        raise InputError(f"{shown} has no records")
    first = sample[0][1]
    twitter = ""
    if is_twitter_v2_page(first) or is_twitter_v2_tweet(first):
        twitter = "Twitter API v2 JSON"
    elif is_twitter_v1_tweet(first):
        twitter = "Twitter API v1.1 JSON"
    if twitter:
        columns: tuple[str, ...] = ALL_FIELDS
        cmap = resolve_mapping(columns, mapping, shown)
        cmap = ColumnMapping(cmap.fields, twitter)
    else:
        keys: dict[str, None] = {}
        for number, value in sample:
            if not isinstance(value, dict):
                raise InputError(f"{shown}: record {number} is not a JSON object")
            _check_keys(value, shown, number, limits)
            for k in value:
                keys.setdefault(str(k), None)
        columns = tuple(keys)
        cmap = resolve_mapping(columns, mapping, shown)

    def records() -> Iterator[tuple[int, Mapping[str, Any]]]:
        def expand(number: int, value: Any) -> Iterator[tuple[int, Mapping[str, Any]]]:
            if twitter == "Twitter API v2 JSON":
                for rec in twitter_v2_records(value):
                    yield number, rec
            elif twitter:
                if not isinstance(value, dict):
                    raise InputError(f"{shown}: record {number} is not a JSON object")
                yield number, twitter_v1_record(value)
            else:
                if not isinstance(value, dict):
                    raise InputError(f"{shown}: record {number} is not a JSON object")
                _check_keys(value, shown, number, limits)
                yield number, value

        for number, value in sample:
            yield from expand(number, value)
        for number, value in values:
            yield from expand(number, value)

    list_type = pa.list_(pa.string())
    schema = pa.schema(
        [("row", pa.int64())]
        + [(f, list_type if f in LIST_FIELDS else pa.string()) for f in ALL_FIELDS]
    )
    sources = {f: c for f, c in cmap.fields.items()}
    created = False
    batch: dict[str, list[Any]] = {name: [] for name in schema.names}
    count = 0

    def flush() -> None:
        nonlocal created
        con.register("_batch", pa.table(batch, schema=schema))
        try:
            if not created:
                con.execute("CREATE TEMP TABLE _stage AS SELECT * FROM _batch")
                created = True
            else:
                con.execute("INSERT INTO _stage SELECT * FROM _batch")
        finally:
            con.unregister("_batch")
        for v in batch.values():
            v.clear()

    for _number, rec in records():
        count += 1
        if count > limits.max_rows:
            raise LimitError(
                f"{shown} has more than {limits.max_rows:,} posts, over the limit "
                "(max_dataset_rows)"
            )
        batch["row"].append(count)
        for f in ALL_FIELDS:
            col = sources.get(f)
            value = rec.get(col) if col is not None else None
            batch[f].append(list_text(value) if f in LIST_FIELDS else scalar_text(value))
        if len(batch["row"]) >= JSON_BATCH:
            flush()
            progress("reading", count, None)
    if batch["row"] or not created:
        flush()
    select = canonical_select({f: (ident(f), f in LIST_FIELDS) for f in cmap.fields})
    con.execute(f"CREATE TEMP TABLE _src AS SELECT row, {select} FROM _stage ORDER BY row")
    con.execute("DROP TABLE _stage")
    con.execute("CREATE OR REPLACE TEMP VIEW _canon AS SELECT * FROM _src")
    label = "json" if fmt == "json" else fmt
    return cmap, columns, label


def _check_keys(value: Mapping[str, Any], shown: str, number: int, limits: PostLimits) -> None:
    if len(value) > limits.max_columns:
        raise LimitError(
            f"{shown}: record {number} has {len(value):,} keys, over the limit of "
            f"{limits.max_columns:,} (max_columns)"
        )


# --- checks and the clean view ----------------------------------------------------------


def _finish(
    con: duckdb.DuckDBPyConnection,
    shown: str,
    fmt: str,
    cmap: ColumnMapping,
    columns: tuple[str, ...],
    limits: PostLimits,
    strict: bool,
    view: str,
) -> LoadReport:
    rows = con.execute("SELECT count(*) FROM _canon").fetchone()
    n_rows = int(rows[0]) if rows else 0
    if n_rows == 0:
        raise InputError(f"{shown} has a header but no rows")
    if n_rows > limits.max_rows:
        raise LimitError(
            f"{shown} has more than {limits.max_rows:,} rows, over the limit (max_dataset_rows)"
        )
    _check_field_lengths(con, shown, limits.max_field_chars)
    valid = "t IS NOT NULL AND account_id IS NOT NULL"
    # Repeated ids are rare: find them once (a small table), then the clean view is a
    # cheap anti-join against it rather than a second pass over every row.
    con.execute(
        "CREATE OR REPLACE TEMP TABLE _dups AS SELECT post_id, min(row) AS first_row, "
        f"count(*) AS n FROM _canon WHERE {valid} AND post_id IS NOT NULL "
        "GROUP BY post_id HAVING count(*) > 1"
    )
    stats = con.execute(
        "SELECT count(*) FILTER (WHERE t IS NULL AND account_id IS NOT NULL), "
        "count(*) FILTER (WHERE account_id IS NULL), "
        f"count(*) FILTER (WHERE {valid}), "
        "(SELECT coalesce(sum(n - 1), 0) FROM _dups) FROM _canon"
    ).fetchone()
    assert stats is not None
    bad_t, no_account, usable, dup_rows = (int(x) for x in stats)
    examples: tuple[str, ...] = ()
    if bad_t:
        found = con.execute(
            "SELECT row, created_raw FROM _canon WHERE t IS NULL AND account_id IS NOT NULL "
            f"ORDER BY row LIMIT {BAD_EXAMPLES}"
        ).fetchall()
        examples = tuple(f"row {r}: {_clip(raw)!r}" for r, raw in found)
        if strict:
            raise InputError(
                f"{shown}: {bad_t:,} rows have timestamps that cannot be read "
                f"(column {cmap.fields['created_at']!r}; {'; '.join(examples)}); "
                "fix them, or run without --strict to skip them"
            )
    if usable == 0:
        reason = "no row has both an account id and a readable timestamp"
        if examples:
            reason += f" (timestamps such as {'; '.join(examples)})"
        raise InputError(f"{shown}: nothing to analyse: {reason}")
    merged = 0
    scalars = ", ".join(
        f"c.{c}"
        for c in CANON_COLUMNS
        if c not in LIST_FIELDS and c not in ("post_id", "created_raw")
    )
    if dup_rows:
        merged = _create_merges(con, valid)
        lists = ", ".join(
            f"CASE WHEN m.row IS NULL THEN c.{f} ELSE list_sort(list_distinct("
            f"list_concat(coalesce(c.{f}, []), coalesce(m.{f}, [])))) END AS {f}"
            for f in sorted(LIST_FIELDS)
        )
        body = (
            f"SELECT c.row, c.post_id, {scalars}, {lists} FROM _canon c "
            "LEFT JOIN _dups d ON c.post_id = d.post_id "
            "LEFT JOIN _merged m ON m.row = c.row "
            f"WHERE c.{valid.replace(' AND ', ' AND c.')} "
            "AND (d.post_id IS NULL OR c.row = d.first_row)"
        )
    else:
        lists = ", ".join(f"c.{f}" for f in sorted(LIST_FIELDS))
        body = (
            f"SELECT c.row, coalesce(c.post_id, 'row-' || c.row) AS post_id, {scalars}, "
            f"{lists} FROM _canon c WHERE c.{valid.replace(' AND ', ' AND c.')}"
        )
    if dup_rows:
        body = body.replace(
            "c.row, c.post_id,", "c.row, coalesce(c.post_id, 'row-' || c.row) AS post_id,"
        )
    con.execute(f"CREATE OR REPLACE TEMP VIEW {ident(view)} AS {body}")
    return LoadReport(
        source=shown,
        format=fmt,
        layout=cmap.layout,
        columns_found=columns,
        mapping=dict(cmap.fields),
        rows=n_rows,
        posts=usable - dup_rows,
        duplicate_rows=dup_rows,
        merged_rows=merged,
        bad_timestamps=bad_t,
        bad_timestamp_examples=examples,
        missing_account=no_account,
        generated_ids="post_id" not in cmap.fields,
    )


def _create_merges(con: duckdb.DuckDBPyConnection, valid: str) -> int:
    """Later rows with a repeated post id from the same account at the same time are the
    same post split over several rows (one per link, hashtag or image: CooRTweet's layout):
    their list fields are merged into the first row. Other repeats are dropped."""
    merge_lists = ", ".join(
        f"list_sort(list_distinct(flatten(list(x.{f}) FILTER (WHERE x.{f} IS NOT NULL)))) AS {f}"
        for f in sorted(LIST_FIELDS)
    )
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE _merged AS
        WITH heads AS (
            SELECT c.row, c.post_id, c.account_id, c.t
            FROM _canon c JOIN _dups d ON c.row = d.first_row)
        SELECT h.row, count(*) AS n, {merge_lists}
        FROM heads h
        JOIN (SELECT x.* FROM _canon x JOIN _dups d2 ON x.post_id = d2.post_id
              WHERE x.{valid.replace(" AND ", " AND x.")}) x
          ON x.post_id = h.post_id AND x.row > h.row
         AND x.account_id = h.account_id AND x.t = h.t
        GROUP BY h.row
        """
    )
    got = con.execute("SELECT coalesce(sum(n), 0) FROM _merged").fetchone()
    return int(got[0]) if got else 0


def _check_field_lengths(con: duckdb.DuckDBPyConnection, shown: str, limit: int) -> None:
    parts = []
    for c in CANON_COLUMNS:
        if c == "t" or c == "account_created_at":
            continue
        if c in LIST_FIELDS:
            parts.append(f"max(list_max(list_transform({c}, lambda x: length(x))))")
        else:
            parts.append(f"max(length({c}))")
    names = [c for c in CANON_COLUMNS if c not in ("t", "account_created_at")]
    got = con.execute(f"SELECT {', '.join(parts)} FROM _canon").fetchone()
    assert got is not None
    for name, longest in zip(names, got, strict=True):
        if longest is not None and int(longest) > limit:
            if name in LIST_FIELDS:
                cond = f"list_max(list_transform({name}, lambda x: length(x))) > {limit}"
            else:
                cond = f"length({name}) > {limit}"
            row = con.execute(f"SELECT min(row) FROM _canon WHERE {cond}").fetchone()
            where = f"row {row[0]}, " if row and row[0] is not None else ""
            label = "created_at" if name == "created_raw" else name
            raise LimitError(
                f"{shown}: {where}field {label} is {int(longest):,} characters long, over "
                f"the limit of {limit:,} (max_field_chars)"
            )


def _clip(value: Any, width: int = 40) -> str:
    text = "" if value is None else str(value)
    return text if len(text) <= width else text[: width - 1] + "…"


_LINE = re.compile(r"CSV Error on Line: (\d+)")


def _explain_duckdb(message: str, shown: str, kind: str, limits: PostLimits) -> str:
    """A DuckDB reader error as one user-facing sentence (never the whole offending line)."""
    m = _LINE.search(message)
    where = f"line {m.group(1)}" if m else "a row"
    low = message.lower()
    if "invalid unicode" in low or "utf-8" in low or "utf8" in low:
        return f"{shown} is not UTF-8 text ({where}); save it as UTF-8"
    if "unterminated quote" in low:
        return (
            f"{shown}: {where} has a quoted field that never ends: the file looks truncated, "
            f"or a field is longer than the limit of {limits.max_field_chars:,} characters "
            "(max_field_chars)"
        )
    if "maximum line size" in low:
        return (
            f"{shown}: {where} is longer than {limits.max_record_bytes:,} bytes, over the "
            f"limit for one row (max_field_chars={limits.max_field_chars:,})"
        )
    if "expected number of columns" in low:
        found = re.search(r"Expected Number of Columns: (\d+) Found: (\d+)", message)
        detail = f" ({found.group(2)} fields, the header has {found.group(1)})" if found else ""
        return f"{shown}: {where} has the wrong number of fields{detail}: the file looks truncated or malformed"
    first = message.strip().splitlines()[0] if message.strip() else "unknown error"
    return f"{shown} could not be read as {kind}: {_clip(first, 160)}"
