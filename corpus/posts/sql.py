"""SQL for canonical post rows: field expressions, lenient timestamps, the checks after
reading (limits, timestamps, repeated ids) and the clean view, and DuckDB's reader errors
turned into one user-facing sentence."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import duckdb

from common.errors import Hint, InputError, LimitError
from corpus.posts.formats import ALL_FIELDS, LIST_FIELDS, TIME_FIELDS, ColumnMapping
from corpus.posts.places import Places
from corpus.posts.records import LoadReport, PostLimits

BAD_EXAMPLES = 3

# Readable timestamps lie in years 1000-9998: outside them (Go's zero time 0001-01-01, a
# placeholder for "no time"; epoch values in the wrong unit) they are counted as unreadable,
# so no date arithmetic or formatting downstream meets a year it cannot hold.
FIRST_EPOCH = -30_610_224_000  # 1000-01-01T00:00:00Z
END_EPOCH = 253_370_764_800  # 9999-01-01T00:00:00Z

# Lenient timestamps: epoch seconds, milliseconds or microseconds (told apart by size);
# ISO 8601 with or without a zone (no zone means UTC); Twitter's classic format.
EPOCH_MACRO = rf"""
CREATE OR REPLACE TEMP MACRO chorus_epoch_num(d) AS (
    CASE WHEN NOT isfinite(d) THEN NULL
         WHEN abs(d) >= 1e14 THEN d / 1e6
         WHEN abs(d) >= 1e11 THEN d / 1e3
         ELSE d END);
CREATE OR REPLACE TEMP MACRO chorus_epoch_in_range(e) AS (
    CASE WHEN e >= {FIRST_EPOCH} AND e < {END_EPOCH} THEN e ELSE NULL END);
CREATE OR REPLACE TEMP MACRO chorus_epoch(x) AS (
    chorus_epoch_in_range(coalesce(chorus_epoch_num(TRY_CAST(x AS DOUBLE)),
             epoch(TRY_CAST(x AS TIMESTAMPTZ)),
             epoch(try_strptime(trim(x), '%a %b %d %H:%M:%S %z %Y')))));
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
    "image_files",
    "image_urls",
    "image_phashes",
)


def ident(name: str) -> str:
    """A SQL identifier, quoted."""
    return '"' + name.replace('"', '""') + '"'


def literal(value: str) -> str:
    """A SQL string literal."""
    return "'" + value.replace("'", "''") + "'"


def _list_expr(src: str, src_is_list: bool) -> str:
    if src_is_list:
        return (
            f"list_filter(list_transform({src}, lambda x: trim(CAST(x AS VARCHAR))), "
            "lambda x: x IS NOT NULL AND x <> '')"
        )
    return f"chorus_list(CAST({src} AS VARCHAR))"


def _field_expr(fld: str, src: str | None, src_is_list: bool) -> list[str]:
    """SQL select items producing canonical field `fld` from source expression `src`."""
    if fld in TIME_FIELDS:
        name = "t" if fld == "created_at" else fld
        if src is None:
            return [f"CAST(NULL AS DOUBLE) AS {name}"]
        items = [f"chorus_epoch(CAST({src} AS VARCHAR)) AS {name}"]
        if fld == "created_at":
            items.append(f"CAST({src} AS VARCHAR) AS created_raw")
        return items
    if src is None:
        kind = "VARCHAR[]" if fld in LIST_FIELDS else "VARCHAR"
        expr = f"CAST(NULL AS {kind})"
    elif fld in LIST_FIELDS:
        expr = _list_expr(src, src_is_list)
    else:
        # Ids and text as written (trimming every value costs a third of the read time).
        expr = f"nullif(CAST({src} AS VARCHAR), '')"
    return [f"{expr} AS {fld}"]


def canonical_select(sources: Mapping[str, tuple[str, bool]]) -> str:
    """Select list in CANON_COLUMNS order from field -> (source SQL, is a list type)."""
    items: list[str] = []
    for fld in ALL_FIELDS:
        src, is_list = sources.get(fld, (None, False))
        items.extend(_field_expr(fld, src, is_list))
    by_name = {item.rsplit(" AS ", 1)[1]: item for item in items}
    return ", ".join(by_name[c] for c in CANON_COLUMNS)


def _length_items() -> list[tuple[str, str]]:
    """(column, SQL for its longest value) for every text and list column."""
    out = []
    for c in CANON_COLUMNS:
        if c in {"t", "account_created_at"}:
            continue
        if c in LIST_FIELDS:
            out.append((c, f"max(list_max(list_transform({c}, lambda x: length(x))))"))
        else:
            out.append((c, f"max(length({c}))"))
    return out


def finish(
    con: duckdb.DuckDBPyConnection,
    *,
    shown: str,
    fmt: str,
    cmap: ColumnMapping,
    columns: tuple[str, ...],
    limits: PostLimits,
    strict: bool,
    view: str,
    places: Places,
) -> LoadReport:
    """The checks and the clean-rows view over _canon; a message naming rows names them by
    `places` (the file's line, a record)."""
    valid = "t IS NOT NULL AND account_id IS NOT NULL"
    lengths = _length_items()
    list_fields = sorted(LIST_FIELDS)
    # One pass for the counts, the longest values and the longest lists.
    got = con.execute(
        "SELECT count(*), count(*) FILTER (WHERE t IS NULL AND account_id IS NOT NULL), "
        f"count(*) FILTER (WHERE account_id IS NULL), count(*) FILTER (WHERE {valid}), "
        + ", ".join(sql for _, sql in lengths)
        + "".join(f", max(len({c}))" for c in list_fields)
        + " FROM _canon"
    ).fetchone()
    assert got is not None
    n_rows, bad_t, no_account, usable = (int(x) for x in got[:4])
    if n_rows == 0:
        raise InputError(f"{shown} has a header but no rows")
    if n_rows > limits.max_rows:
        raise LimitError(
            f"{shown} has more than {limits.max_rows:,} rows, over the limit (max_dataset_rows)"
        )
    for (name, _), longest in zip(lengths, got[4 : 4 + len(lengths)], strict=True):
        if longest is not None and int(longest) > limits.max_field_chars:
            limit = limits.max_field_chars
            _too_long(con, shown, name, int(longest), limit, places=places, cmap=cmap)
    for name, most in zip(list_fields, got[4 + len(lengths) :], strict=True):
        if most is not None and int(most) > limits.max_items_per_post:
            limit = limits.max_items_per_post
            _too_many_items(con, shown, name, int(most), limit, places=places, cmap=cmap)
    examples: tuple[str, ...] = ()
    if bad_t:
        found = con.execute(
            "SELECT row, created_raw FROM _canon WHERE t IS NULL AND account_id IS NOT NULL "
            f"ORDER BY row LIMIT {BAD_EXAMPLES}"
        ).fetchall()
        named = places([int(r) for r, _ in found])
        examples = tuple(f"{named[int(r)]}: {_clip(raw)!r}" for r, raw in found)
        if strict:
            first_row, first_raw = found[0]
            others = f"; {bad_t:,} rows like it" if bad_t > 1 else ""
            raise InputError(
                f"{shown} {named[int(first_row)]}, column {cmap.fields['created_at']!r}: "
                f"cannot read the timestamp {_clip(first_raw)!r}{others} "
                f"({'; '.join(examples)}); fix them, or run without ",
                Hint.option("strict"),
                " to skip them",
            )
    if usable == 0:
        reason = "no row has both an account id and a readable timestamp"
        if examples:
            reason += f" (timestamps such as {'; '.join(examples)})"
        raise InputError(f"{shown}: nothing to analyse: {reason}")
    dup_rows, merged, merge_lists = _drop_repeats(con, valid)
    scalars = ", ".join(
        f"c.{c}"
        for c in CANON_COLUMNS
        if c not in LIST_FIELDS and c not in ("post_id", "created_raw")
    )
    head = f"SELECT c.row, coalesce(c.post_id, 'row-' || c.row) AS post_id, {scalars}, "
    where = f"WHERE c.{valid.replace(' AND ', ' AND c.')}"
    if merge_lists:
        lists = ", ".join(
            f"CASE WHEN m.row IS NULL THEN c.{f} ELSE list_sort(list_distinct("
            f"list_concat(coalesce(c.{f}, []), coalesce(m.{f}, [])))) END AS {f}"
            for f in sorted(LIST_FIELDS)
        )
        body = f"{head}{lists} FROM _canon c LEFT JOIN _merged m ON m.row = c.row {where}"
    else:
        lists = ", ".join(f"c.{f}" for f in sorted(LIST_FIELDS))
        body = f"{head}{lists} FROM _canon c {where}"
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


def _drop_repeats(con: duckdb.DuckDBPyConnection, valid: str) -> tuple[int, int, bool]:
    """Keep the first row of each repeated post id; delete the others from _src (a delete
    keeps the other rows' positions, so row numbers stay true). Returns the repeats, how
    many were merged into their first row, and whether merging added list values."""
    con.execute(
        "CREATE OR REPLACE TEMP TABLE _dups AS SELECT post_id, min(row) AS first_row, "
        f"count(*) AS n FROM _canon WHERE {valid} AND post_id IS NOT NULL "
        "GROUP BY post_id HAVING count(*) > 1"
    )
    got = con.execute("SELECT coalesce(sum(n - 1), 0) FROM _dups").fetchone()
    dup_rows = int(got[0]) if got else 0
    if not dup_rows:
        return 0, 0, False
    merged = _create_merges(con, valid)
    has_row = any(r[0] == "row" for r in con.execute("DESCRIBE _src").fetchall())
    position = "row" if has_row else "rowid + 1"
    con.execute(
        f"DELETE FROM _src WHERE {position} IN (SELECT c.row FROM _canon c "
        "JOIN _dups d ON c.post_id = d.post_id "
        f"WHERE c.row <> d.first_row AND c.{valid.replace(' AND ', ' AND c.')})"
    )
    adds = " OR ".join(f"len(coalesce({f}, [])) > 0" for f in sorted(LIST_FIELDS))
    found = con.execute(f"SELECT count(*) FROM _merged WHERE {adds}").fetchone()
    return dup_rows, merged, bool(found and found[0])


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


def _where(
    con: duckdb.DuckDBPyConnection,
    cond: str,
    shown: str,
    name: str,
    *,
    places: Places,
    cmap: ColumnMapping,
) -> str:
    """'posts.csv line 5, column 'text'': the first row where `cond` holds, and the file's
    column for canonical field `name` (the field's name when it has no one column)."""
    row = con.execute(f"SELECT min(row) FROM _canon WHERE {cond}").fetchone()
    field = "created_at" if name == "created_raw" else name
    column = cmap.fields.get(field)
    label = f"column {column!r}" if column else f"field {field}"
    if row and row[0] is not None:
        return f"{shown} {places([int(row[0])])[int(row[0])]}, {label}"
    return f"{shown}, {label}"


def _too_many_items(
    con: duckdb.DuckDBPyConnection,
    shown: str,
    name: str,
    most: int,
    limit: int,
    *,
    places: Places,
    cmap: ColumnMapping,
) -> None:
    where = _where(con, f"len({name}) > {limit}", shown, name, places=places, cmap=cmap)
    raise LimitError(
        f"{where}: {most:,} items, over the limit of {limit:,} per post "
        "(CHORUS_LIMITS__MAX_ITEMS_PER_POST)"
    )


def _too_long(
    con: duckdb.DuckDBPyConnection,
    shown: str,
    name: str,
    longest: int,
    limit: int,
    *,
    places: Places,
    cmap: ColumnMapping,
) -> None:
    if name in LIST_FIELDS:
        cond = f"list_max(list_transform({name}, lambda x: length(x))) > {limit}"
    else:
        cond = f"length({name}) > {limit}"
    where = _where(con, cond, shown, name, places=places, cmap=cmap)
    raise LimitError(
        f"{where}: {longest:,} characters long, over the limit of {limit:,} (max_field_chars)"
    )


def _clip(value: Any, width: int = 40) -> str:
    text = "" if value is None else str(value)
    return text if len(text) <= width else text[: width - 1] + "…"


_LINE = re.compile(r"CSV Error on Line: (\d+)")


def explain_duckdb(message: str, shown: str, kind: str, limits: PostLimits) -> str:
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
        return (
            f"{shown}: {where} has the wrong number of fields{detail}: the file looks "
            "truncated or malformed"
        )
    first = message.strip().splitlines()[0] if message.strip() else "unknown error"
    return f"{shown} could not be read as {kind}: {_clip(first, 160)}"
