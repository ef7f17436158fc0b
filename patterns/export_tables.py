"""SQL and Arrow helpers that write the export tables: cells a spreadsheet shows as text,
XML character data, and rows gathered in the order the export's SQL states."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import duckdb
import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from corpus.posts.load import literal as sql_literal
from patterns.arrays import distinct


def cell_sql(expr: str) -> str:
    """SQL for a text cell a spreadsheet shows as text: control characters (C0, DEL, C1)
    become spaces, and a leading = + - @ (a formula to Excel, LibreOffice and Sheets) gets
    a ' in front.
    One regular-expression test per cell; only the rare cells that fail it are rewritten."""
    value = f"coalesce(CAST({expr} AS VARCHAR), '')"
    clean = f"regexp_replace({value}, '[\\x00-\\x1f\\x7f-\\x9f]', ' ', 'g')"
    fixed = f"(CASE WHEN regexp_matches({clean}, '^[=+@-]') THEN '''' || {clean} ELSE {clean} END)"
    risky = "'^[=+@-]|[\\x00-\\x1f\\x7f-\\x9f]'"
    return f"(CASE WHEN regexp_matches({value}, {risky}) THEN {fixed} ELSE {value} END)"


def xml_sql(expr: str) -> str:
    """SQL for XML character data: & < > " escaped, characters XML 1.0 forbids dropped."""
    forbidden = "'[\\x00-\\x08\\x0b\\x0c\\x0e-\\x1f]'"
    out = f"regexp_replace(coalesce(CAST({expr} AS VARCHAR), ''), {forbidden}, '', 'g')"
    for char, entity in (("&", "&amp;"), ("<", "&lt;"), (">", "&gt;"), ('"', "&quot;")):
        out = f"replace({out}, '{char}', '{entity}')"
    return out


# The CSV files and the GraphML are sorted and joined on narrow columns (numbers, the
# escaped ids once per account or post), then written from an Arrow table in that order:
# a sorted COPY moved the wide rows (strings) through DuckDB's sort, which was most of the
# export's time on a million posts. The order is the one the SQL below states, ties
# included; tests/patterns/test_export_order.py holds the plain sorted SQL and checks that
# the files are byte for byte what it writes.


def arrow_table(con: duckdb.DuckDBPyConnection, query: str) -> pa.Table:
    return con.sql(query).to_arrow_table()


def ints(table: pa.Table, column: str) -> npt.NDArray[np.int64]:
    return np.asarray(table.column(column).to_numpy(), dtype=np.int64)


def floats(table: pa.Table, column: str) -> npt.NDArray[np.float64]:
    return np.asarray(table.column(column).to_numpy(), dtype=np.float64)


def _want(values: npt.NDArray[np.int64]) -> pa.Table:
    """The distinct values, sorted, as a one-column table to join on."""
    return pa.table({"k": distinct(values).astype(np.int32)})


def _bytes(arr: pa.Array) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.uint8]]:
    """A string array's value offsets (relative to its first value) and UTF-8 bytes."""
    wide = pa.types.is_large_string(arr.type)
    offsets = np.frombuffer(arr.buffers()[1], dtype=np.int64 if wide else np.int32)
    offsets = offsets[arr.offset : arr.offset + len(arr) + 1].astype(np.int64)
    data = arr.buffers()[2]
    raw = np.frombuffer(data, dtype=np.uint8) if data is not None else np.empty(0, np.uint8)
    return offsets - offsets[0], raw[offsets[0] : offsets[-1]]


def _c1(raw: npt.NDArray[np.uint8]) -> bool:
    """Whether UTF-8 bytes hold a C1 control character (U+0080-U+009F: C2 80 - C2 9F)."""
    lead = np.flatnonzero(raw[:-1] == 0xC2)
    return bool(((raw[lead + 1] >= 0x80) & (raw[lead + 1] <= 0x9F)).any())


def _plain_cells(arr: pa.Array) -> bool:
    """Whether cell_sql leaves every value as it is: none starts with = + - @ and none holds
    a control character (C0, DEL, C1). A scan of the bytes, for the common case."""
    offsets, raw = _bytes(arr)
    if ((raw < 0x20) | (raw == 0x7F)).any() or _c1(raw):
        return False
    starts = offsets[:-1][offsets[1:] > offsets[:-1]]
    return not np.isin(raw[starts], np.frombuffer(b"=+-@", dtype=np.uint8)).any()


def _plain_xml(arr: pa.Array) -> bool:
    """Whether xml_sql leaves every value as it is (no & < > " nor a forbidden control)."""
    _, raw = _bytes(arr)
    bad = np.zeros(256, dtype=bool)
    bad[[0x26, 0x3C, 0x3E, 0x22, *range(0x09), 0x0B, 0x0C, *range(0x0E, 0x20)]] = True
    return not bad[raw].any()


def _text(
    con: duckdb.DuckDBPyConnection, values: pa.ChunkedArray | pa.Array, *, xml: bool = False
) -> pa.Array:
    """Values as exported (cell_sql, or xml_sql with `xml`), nulls as '': as they are when
    nothing needs rewriting, else rewritten by that SQL."""
    arr = values.combine_chunks() if isinstance(values, pa.ChunkedArray) else values
    arr = pc.fill_null(arr.cast(pa.string()), "")
    if _plain_xml(arr) if xml else _plain_cells(arr):
        return arr
    view = f"_text_{uuid.uuid4().hex}"
    con.register(view, pa.table({"i": np.arange(len(arr), dtype=np.int64), "v": arr}))
    try:
        sql = xml_sql("v") if xml else cell_sql("v")
        got = arrow_table(con, f"SELECT {sql} AS v FROM {view} ORDER BY i")
    finally:
        con.unregister(view)
    return got["v"].combine_chunks()


@dataclass(frozen=True)
class _Cells:
    """Exported text of some rows of a table (accounts, posts), sorted by their key."""

    key: npt.NDArray[np.int64]
    columns: dict[str, pa.Array]

    def index(self, keys: npt.NDArray[np.int64]) -> npt.NDArray[np.intp]:
        return np.searchsorted(self.key, keys)

    def rank(self, column: str) -> npt.NDArray[np.int64]:
        """Each value's place in the byte order of the column's texts (as ORDER BY sorts
        them); equal texts share one."""
        ranks = pc.rank(self.columns[column], sort_keys="ascending", tiebreaker="dense")
        return np.asarray(ranks.to_numpy(), dtype=np.int64)


def cells(
    con: duckdb.DuckDBPyConnection,
    table: str,
    key: str,
    keys: npt.NDArray[np.int64],
    columns: dict[str, str],
    *,
    xml: bool = False,
) -> _Cells:
    """`columns` (name: SQL over `t`) of the rows of `table` whose `key` is in `keys`, as
    exported text (see _text)."""
    view = f"_want_{uuid.uuid4().hex}"
    con.register(view, _want(keys))
    try:
        got = arrow_table(
            con,
            f"SELECT t.{key} AS k, "
            + ", ".join(f"{sql} AS {name}" for name, sql in columns.items())
            + f" FROM {table} t JOIN {view} w ON w.k = t.{key} ORDER BY t.{key}",
        )
    finally:
        con.unregister(view)
    return _Cells(ints(got, "k"), {name: _text(con, got[name], xml=xml) for name in columns})


def accounts(con: duckdb.DuckDBPyConnection, aids: npt.NDArray[np.int64]) -> _Cells:
    return cells(con, "accounts", "aid", aids, {"id": "t.account_id", "name": "t.name"})


def copy_rows(
    con: duckdb.DuckDBPyConnection,
    rows: pa.Table | pa.RecordBatchReader,
    path: Path,
    select: str = "*",
    options: str = "HEADER, DELIMITER ','",
) -> Path:
    """COPY Arrow rows (`select` over them) to a file in their order: this cursor keeps
    insertion order while it writes."""
    view = f"_out_{uuid.uuid4().hex}"
    con.execute("SET SESSION preserve_insertion_order = true")
    con.register(view, rows)
    try:
        con.execute(f"COPY (SELECT {select} FROM {view}) TO {sql_literal(str(path))} ({options})")
    finally:
        con.unregister(view)
        con.execute("RESET SESSION preserve_insertion_order")
    return path


def take(column: pa.ChunkedArray | pa.Array, idx: npt.NDArray[np.intp]) -> pa.Array:
    return pc.take(column, pa.array(idx, type=pa.int64()))


BATCH_ROWS = 65_536


def gathered(
    columns: dict[str, tuple[pa.ChunkedArray | pa.Array, npt.NDArray[np.intp]]],
) -> pa.RecordBatchReader:
    """Rows whose column `name` is values[index] for each name: (values, index), gathered
    a batch at a time as COPY reads them (the whole file's rows are never held at once)."""
    parts = {
        name: (v.combine_chunks() if isinstance(v, pa.ChunkedArray) else v, idx)
        for name, (v, idx) in columns.items()
    }
    schema = pa.schema([(name, v.type) for name, (v, _) in parts.items()])
    n = min((idx.size for _, idx in parts.values()), default=0)

    def batches() -> Iterator[pa.RecordBatch]:
        for lo in range(0, n, BATCH_ROWS):
            yield pa.record_batch(
                [take(v, idx[lo : lo + BATCH_ROWS]) for v, idx in parts.values()], schema=schema
            )

    return pa.RecordBatchReader.from_batches(schema, batches())
