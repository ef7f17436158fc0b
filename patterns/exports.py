"""Exports of one analysis: clusters.json, edges.csv (every edge at or above min-shared, with
its cluster), evidence.csv (one row per account pair and shared item) and graph.graphml (for
Gephi). All or nothing: the files are written in a staging folder and moved into place only
when every one is complete, so a failed export leaves the folder as it was."""

from __future__ import annotations

import json
import os
import shutil
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import duckdb
import numpy as np
import numpy.typing as npt
import orjson
import pyarrow as pa
import pyarrow.compute as pc

from common.errors import Hint, InputError, NotFoundError
from common.progress import Progress, no_progress
from corpus.posts.load import literal as sql_literal
from patterns.arrays import distinct

EVIDENCE_LABEL_CHARS = 200
ISO_SQL = "'%Y-%m-%dT%H:%M:%SZ'"


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


def export_analysis(
    con: duckdb.DuckDBPyConnection,
    analysis_id: str,
    out_dir: Path,
    progress: Progress = no_progress,
) -> list[Path]:
    row = con.execute(
        "SELECT body, meta FROM analyses WHERE analysis_id = ?", [analysis_id]
    ).fetchone()
    if row is None:
        raise NotFoundError(f"no analysis {analysis_id!r}")
    _make_folder(out_dir)
    body, meta = json.loads(row[0]), json.loads(row[1])
    # Stored details go out as they are (no parsing and re-encoding of each).
    details = [
        orjson.Fragment(d)
        for (d,) in con.execute(
            "SELECT detail FROM clusters WHERE analysis_id = ? ORDER BY rank", [analysis_id]
        ).fetchall()
    ]
    progress("exporting", 0, 4)
    names = ["clusters.json", "edges.csv", "evidence.csv", "graph.graphml"]
    staging = _staging(out_dir)
    try:
        staging.mkdir()
    except OSError as exc:
        what = "write the exports to" if out_dir.is_dir() else "create the export folder"
        raise InputError(f"cannot {what} {out_dir}: {_why(exc)}") from None
    try:
        # Two at a time, the longest first, each table on its own cursor (each COPY writes
        # in order on one thread). All at once held every file's rows at the same time
        # (100 MB more at the peak on a million posts) for no gain on two cores.
        cursors = [con.cursor() for _ in range(3)]
        jobs = [
            partial(_write_evidence_csv, cursors[0], analysis_id, staging / "evidence.csv"),
            partial(_write_edges_csv, cursors[1], analysis_id, staging / "edges.csv"),
            partial(
                _write_json,
                staging / "clusters.json",
                {**body, "analysis": meta, "details": details},
            ),
            partial(_write_graphml, cursors[2], analysis_id, staging / "graph.graphml"),
        ]
        try:
            with ThreadPoolExecutor(max_workers=2) as pool:
                futures = [pool.submit(job) for job in jobs]
                for k, future in enumerate(futures, start=1):
                    future.result()
                    progress("exporting", k, 4)
        finally:
            for cur in cursors:
                cur.close()
        _move_into_place(staging, out_dir, names)
    except OSError as exc:
        raise InputError(f"cannot write the exports to {out_dir}: {_why(exc)}") from None
    except duckdb.IOException as exc:  # COPY's own write errors (disk full, I/O)
        why = str(exc).splitlines()[0].replace(str(staging), str(out_dir))
        raise InputError(f"cannot write the exports to {out_dir}: {why}") from None
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return [out_dir / name for name in names]


def _staging(out_dir: Path) -> Path:
    """A folder on the same file system as out_dir, so moving out of it is a rename: beside a
    new out_dir (the whole folder is then renamed into place), inside an existing one (its
    parent, /tmp's or a home folder's, may not be writable)."""
    tag = f".chorus-export-{os.getpid()}-{uuid.uuid4().hex[:8]}"
    return out_dir / tag if out_dir.is_dir() else out_dir.with_name(f".{out_dir.name}{tag}")


def _move_into_place(staging: Path, out_dir: Path, names: list[str]) -> None:
    """Every file at once where the folder is new; else one rename each, the files they
    replace kept (hard links) until all are in, and put back if one rename fails."""
    if not out_dir.is_dir():
        os.rename(staging, out_dir)
        return
    old = staging / ".previous"
    old.mkdir()
    moved: list[str] = []
    try:
        for name in names:
            if (out_dir / name).exists():
                _keep(out_dir / name, old / name)
            os.replace(staging / name, out_dir / name)
            moved.append(name)
    except OSError:
        for name in moved:
            if (old / name).exists():
                os.replace(old / name, out_dir / name)
            else:
                (out_dir / name).unlink(missing_ok=True)
        raise


def _keep(path: Path, copy: Path) -> None:
    try:
        os.link(path, copy)
    except OSError:  # a file system without hard links
        shutil.copy2(path, copy)


def _make_folder(out_dir: Path) -> None:
    """Check out_dir can be made (or is a folder) and make its parents; not out_dir itself,
    which appears with the files in it."""
    if out_dir.exists() and not out_dir.is_dir():
        raise InputError(
            f"{out_dir} is a file; give ", Hint.option("out"), " a folder (new or existing)"
        )
    try:
        out_dir.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(f"cannot create the export folder {out_dir}: {_why(exc)}") from None


def _why(exc: OSError) -> str:
    return exc.strerror or type(exc).__name__


def _write_json(path: Path, data: object) -> Path:
    # orjson: the json module falls back to pure Python when it indents (4 s of a 1M-post
    # analysis' exports went there).
    path.write_bytes(orjson.dumps(data, option=orjson.OPT_INDENT_2) + b"\n")
    return path


# The CSV files and the GraphML are sorted and joined on narrow columns (numbers, the
# escaped ids once per account or post), then written from an Arrow table in that order:
# a sorted COPY moved the wide rows (strings) through DuckDB's sort, which was most of the
# export's time on a million posts. The order is the one the SQL below states, ties
# included; tests/patterns/test_export_order.py holds the plain sorted SQL and checks that
# the files are byte for byte what it writes.


def _table(con: duckdb.DuckDBPyConnection, query: str) -> pa.Table:
    return con.sql(query).to_arrow_table()


def _ints(table: pa.Table, column: str) -> npt.NDArray[np.int64]:
    return np.asarray(table.column(column).to_numpy(), dtype=np.int64)


def _floats(table: pa.Table, column: str) -> npt.NDArray[np.float64]:
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
    """Whether _xml_sql leaves every value as it is (no & < > " nor a forbidden control)."""
    _, raw = _bytes(arr)
    bad = np.zeros(256, dtype=bool)
    bad[[0x26, 0x3C, 0x3E, 0x22, *range(0x09), 0x0B, 0x0C, *range(0x0E, 0x20)]] = True
    return not bad[raw].any()


def _text(
    con: duckdb.DuckDBPyConnection, values: pa.ChunkedArray | pa.Array, *, xml: bool = False
) -> pa.Array:
    """Values as exported (cell_sql, or _xml_sql with `xml`), nulls as '': as they are when
    nothing needs rewriting, else rewritten by that SQL."""
    arr = values.combine_chunks() if isinstance(values, pa.ChunkedArray) else values
    arr = pc.fill_null(arr.cast(pa.string()), "")
    if _plain_xml(arr) if xml else _plain_cells(arr):
        return arr
    view = f"_text_{uuid.uuid4().hex}"
    con.register(view, pa.table({"i": np.arange(len(arr), dtype=np.int64), "v": arr}))
    try:
        sql = _xml_sql("v") if xml else cell_sql("v")
        got = _table(con, f"SELECT {sql} AS v FROM {view} ORDER BY i")
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


def _cells(
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
        got = _table(
            con,
            f"SELECT t.{key} AS k, "
            + ", ".join(f"{sql} AS {name}" for name, sql in columns.items())
            + f" FROM {table} t JOIN {view} w ON w.k = t.{key} ORDER BY t.{key}",
        )
    finally:
        con.unregister(view)
    return _Cells(_ints(got, "k"), {name: _text(con, got[name], xml=xml) for name in columns})


def _accounts(con: duckdb.DuckDBPyConnection, aids: npt.NDArray[np.int64]) -> _Cells:
    return _cells(con, "accounts", "aid", aids, {"id": "t.account_id", "name": "t.name"})


def _copy(
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


def _take(column: pa.ChunkedArray | pa.Array, idx: npt.NDArray[np.intp]) -> pa.Array:
    return pc.take(column, pa.array(idx, type=pa.int64()))


BATCH_ROWS = 65_536


def _gathered(
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
                [_take(v, idx[lo : lo + BATCH_ROWS]) for v, idx in parts.values()], schema=schema
            )

    return pa.RecordBatchReader.from_batches(schema, batches())


def _write_edges_csv(con: duckdb.DuckDBPyConnection, analysis_id: str, path: Path) -> Path:
    """One row per edge: the two accounts, weight, distinct shared items (per signal), how
    many co-posts they made, and the cluster both are in (empty when none). In the order
    of `ORDER BY e.weight DESC, source, target, e.a, e.b`."""
    aid = sql_literal(analysis_id)
    e = _table(
        con,
        f"""
        WITH co AS (SELECT a, b, sum(n) AS co_posts FROM evidence
                    WHERE analysis_id = {aid} GROUP BY a, b)
        SELECT e.a, e.b, e.weight AS w, round(e.weight, 4) AS weight, e.shared AS shared_items,
               e.signals, coalesce(e.cluster_id, '') AS cluster_id,
               CAST(coalesce(co.co_posts, 0) AS BIGINT) AS co_posts
        FROM edges e LEFT JOIN co ON co.a = e.a AND co.b = e.b
        WHERE e.analysis_id = {aid}""",
    )
    a, b = _ints(e, "a"), _ints(e, "b")
    acc = _accounts(con, np.concatenate([a, b]))
    ia, ib = acc.index(a), acc.index(b)
    rank = acc.rank("id")
    order = np.lexsort((b, a, rank[ib], rank[ia], -_floats(e, "w")))
    ia, ib = ia[order], ib[order]
    ids, names = acc.columns["id"], acc.columns["name"]
    out = _gathered(
        {"source": (ids, ia), "target": (ids, ib), "source_name": (names, ia)}
        | {"target_name": (names, ib)}
        | {c: (e[c], order) for c in ("weight", "shared_items", "signals", "cluster_id")}
        | {"co_posts": (e["co_posts"], order)}
    )
    return _copy(con, out, path)


def _write_evidence_csv(con: duckdb.DuckDBPyConnection, analysis_id: str, path: Path) -> Path:
    """One row per (account pair, shared item): the closest co-post of that item (both
    posts, their times, the lag) and how many co-posts of it the pair made. The order is
    total (a post that carried several shared items ties on every shown key), so the file
    is the same from run to run: `ORDER BY e.weight DESC, source, target, lag_s,
    source_post, v.a, v.b, v.item`."""
    aid = sql_literal(analysis_id)
    v = _table(
        con,
        f"""
        SELECT v.a, v.b, v.item, v.pid_a, v.pid_b, e.weight AS w,
               coalesce(e.cluster_id, '') AS cluster_id, v.signal, v.t_a, v.t_b,
               round(abs(v.t_b - v.t_a), 3) AS lag_s, v.n AS co_posts
        FROM evidence v
        JOIN edges e ON e.analysis_id = v.analysis_id AND e.a = v.a AND e.b = v.b
        WHERE v.analysis_id = {aid}""",
    )
    a, b, item = _ints(v, "a"), _ints(v, "b"), _ints(v, "item")
    pid_a, pid_b = _ints(v, "pid_a"), _ints(v, "pid_b")
    acc = _accounts(con, np.concatenate([a, b]))
    ia, ib = acc.index(a), acc.index(b)
    rank = acc.rank("id")
    posts = _cells(con, "posts", "pid", np.concatenate([pid_a, pid_b]), {"id": "t.post_id"})
    pa_, pb_ = posts.index(pid_a), posts.index(pid_b)
    label = f"left(t.label, {EVIDENCE_LABEL_CHARS})"
    items = _cells(
        con,
        f"(SELECT * FROM items WHERE analysis_id = {aid})",
        "item",
        item,
        {"label": label},
    )
    found = items.index(item)
    known = found < items.key.size
    known[known] = items.key[found[known]] == item[known]
    pool = pa.concat_arrays([items.columns["label"], pa.array([""], pa.string())])
    label_at = np.where(known, found, items.key.size)  # no label: ''
    order = np.lexsort(
        (
            item,
            b,
            a,
            posts.rank("id")[pa_],
            _floats(v, "lag_s"),
            rank[ib],
            rank[ia],
            -_floats(v, "w"),
        )
    )
    ids, post_ids = acc.columns["id"], posts.columns["id"]
    out = _gathered(
        {"source": (ids, ia[order]), "target": (ids, ib[order])}
        | {c: (v[c], order) for c in ("cluster_id", "signal")}
        | {"item": (pool, label_at[order])}
        | {"source_post": (post_ids, pa_[order]), "target_post": (post_ids, pb_[order])}
        | {c: (v[c], order) for c in ("t_a", "t_b", "lag_s", "co_posts")}
    )
    select = (
        "source, target, cluster_id, signal, item, source_post, target_post, "
        f"strftime(to_timestamp(t_a), {ISO_SQL}) AS source_time, "
        f"strftime(to_timestamp(t_b), {ISO_SQL}) AS target_time, lag_s, co_posts"
    )
    return _copy(con, out, path, select)


GRAPHML_HEAD = """<?xml version="1.0" encoding="UTF-8"?>
<graphml xmlns="http://graphml.graphdrawing.org/xmlns"
         xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
         xsi:schemaLocation="http://graphml.graphdrawing.org/xmlns
         http://graphml.graphdrawing.org/xmlns/1.0/graphml.xsd">
  <key id="v_account_id" for="node" attr.name="account_id" attr.type="string"/>
  <key id="v_label" for="node" attr.name="label" attr.type="string"/>
  <key id="v_cluster" for="node" attr.name="cluster" attr.type="string"/>
  <key id="e_weight" for="edge" attr.name="weight" attr.type="double"/>
  <key id="e_shared" for="edge" attr.name="shared" attr.type="double"/>
  <key id="e_signals" for="edge" attr.name="signals" attr.type="string"/>
  <key id="e_cluster" for="edge" attr.name="cluster" attr.type="string"/>
  <graph id="G" edgedefault="undirected">
"""
GRAPHML_TAIL = "  </graph>\n</graphml>\n"


def _xml_sql(expr: str) -> str:
    """SQL for XML character data: & < > " escaped, characters XML 1.0 forbids dropped."""
    forbidden = "'[\\x00-\\x08\\x0b\\x0c\\x0e-\\x1f]'"
    out = f"regexp_replace(coalesce(CAST({expr} AS VARCHAR), ''), {forbidden}, '', 'g')"
    for char, entity in (("&", "&amp;"), ("<", "&lt;"), (">", "&gt;"), ('"', "&quot;")):
        out = f"replace({out}, '{char}', '{entity}')"
    return out


def _data(key: str, expr: str, *, text: bool = True) -> str:
    """concat() arguments for one <data> line (no value is NULL: text is coalesced, the
    others never are)."""
    value = _xml_sql(expr) if text else expr
    return f"""'      <data key="{key}">', {value}, '</data>', chr(10)"""


def _write_graphml(con: duckdb.DuckDBPyConnection, analysis_id: str, path: Path) -> Path:
    """The account graph as GraphML (the attributes igraph would write): nodes are the
    accounts of the edges by account id, edges by (a, b). Each element is one line of a
    raw COPY (no quoting), built with one concat() (igraph's writer took 4 s of a
    million-post export)."""
    aid = sql_literal(analysis_id)
    e = _table(
        con,
        f"SELECT a, b, weight, shared, signals, coalesce(cluster_id, '') AS cid "
        f"FROM edges WHERE analysis_id = {aid}",
    )
    a, b = _ints(e, "a"), _ints(e, "b")
    order = np.lexsort((b, a))
    nodes = _table(
        con,
        f"""SELECT aid, max(cid) AS cid FROM (
                SELECT a AS aid, coalesce(cluster_id, '') AS cid FROM edges
                WHERE analysis_id = {aid}
                UNION ALL SELECT b, coalesce(cluster_id, '') FROM edges
                WHERE analysis_id = {aid}) GROUP BY aid ORDER BY aid""",
    )
    node_aid = _ints(nodes, "aid")
    label = "coalesce(nullif(t.name, ''), t.account_id)"
    acc = _cells(con, "accounts", "aid", node_aid, {"id": "t.account_id", "label": label}, xml=True)
    n, m = node_aid.size, order.size
    # One line per row: the head, the nodes, the edges, the tail (kind 0-3).
    kind = np.r_[np.zeros(1, np.int8), np.ones(n, np.int8), np.full(m, 2, np.int8), 3]

    def rows(column: pa.Array | pa.ChunkedArray, first: int) -> pa.Array:
        """`column` at the rows of its kind (nodes from row 1, edges after them)."""
        col = column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column
        before = pa.nulls(first, col.type)
        after = pa.nulls(n + m + 2 - first - len(col), col.type)
        return pa.concat_arrays([before, col, after])

    table = pa.table(
        {
            "kind": kind,
            "i": rows(pa.array(np.arange(n, dtype=np.int64)), 1),
            "id": rows(acc.columns["id"], 1),
            "label": rows(acc.columns["label"], 1),
            "cid": rows(nodes["cid"], 1),
            "na": rows(pa.array(np.searchsorted(node_aid, a[order])), n + 1),
            "nb": rows(pa.array(np.searchsorted(node_aid, b[order])), n + 1),
            "weight": rows(_take(e["weight"], order), n + 1),
            "shared": rows(_take(e["shared"], order), n + 1),
            "signals": rows(_take(e["signals"], order), n + 1),
            "ecid": rows(_take(e["cid"], order), n + 1),
        }
    )
    # Signals need no escaping: the engine writes them ("repost:2,url:1").
    line = f"""CASE kind
        WHEN 1 THEN concat('    <node id="n', i, '">', chr(10),
             {_data("v_account_id", "id", text=False)}, {_data("v_label", "label", text=False)},
             {_data("v_cluster", "cid", text=False)}, '    </node>')
        WHEN 2 THEN concat('    <edge source="n', na, '" target="n', nb, '">', chr(10),
             {_data("e_weight", "weight", text=False)}, {_data("e_shared", "shared", text=False)},
             {_data("e_signals", "signals", text=False)}, {_data("e_cluster", "ecid", text=False)},
             '    </edge>')
        WHEN 0 THEN {sql_literal(GRAPHML_HEAD[:-1])}
        ELSE {sql_literal(GRAPHML_TAIL[:-1])} END"""
    return _copy(con, table, path, line, "FORMAT csv, HEADER false, QUOTE '', ESCAPE ''")
