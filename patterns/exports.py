"""Exports of one analysis: clusters.json, edges.csv (every edge at or above min-shared, with
its cluster), evidence.csv (one row per account pair and shared item) and graph.graphml (for
Gephi). All or nothing: the files are written in a staging folder and moved into place only
when every one is complete, so a failed export leaves the folder as it was."""

from __future__ import annotations

import json
import os
import shutil
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import duckdb
import orjson

from common.errors import InputError, NotFoundError
from common.progress import Progress, no_progress
from corpus.posts.load import literal as sql_literal

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
    tables = (
        ("edges.csv", _write_edges_csv),
        ("evidence.csv", _write_evidence_csv),
        ("graph.graphml", _write_graphml),
    )
    names = ["clusters.json", *(n for n, _ in tables)]
    staging = _staging(out_dir)
    try:
        staging.mkdir()
    except OSError as exc:
        what = "write the exports to" if out_dir.is_dir() else "create the export folder"
        raise InputError(f"cannot {what} {out_dir}: {_why(exc)}") from None
    try:
        _write_json(staging / "clusters.json", {**body, "analysis": meta, "details": details})
        progress("exporting", 1, 4)
        # The three tables are written side by side, each on its own cursor: DuckDB runs a
        # sorted COPY partly on one thread, and the GraphML text is joined in Python.
        cursors = [con.cursor() for _ in tables]
        try:
            with ThreadPoolExecutor(max_workers=len(tables)) as pool:
                futures = [
                    pool.submit(write, cur, analysis_id, staging / name)
                    for cur, (name, write) in zip(cursors, tables, strict=True)
                ]
                for k, future in enumerate(futures, start=2):
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
        raise InputError(f"{out_dir} is a file; give --out a folder (new or existing)")
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


def _copy(con: duckdb.DuckDBPyConnection, query: str, path: Path) -> Path:
    con.execute(f"COPY ({query}) TO {sql_literal(str(path))} (HEADER, DELIMITER ',')")
    return path


def _write_edges_csv(con: duckdb.DuckDBPyConnection, analysis_id: str, path: Path) -> Path:
    """One row per edge: the two accounts, weight, distinct shared items (per signal), how
    many co-posts they made, and the cluster both are in (empty when none)."""
    aid = sql_literal(analysis_id)
    query = f"""
        WITH co AS (SELECT a, b, sum(n) AS co_posts FROM evidence
                    WHERE analysis_id = {aid} GROUP BY a, b)
        SELECT {cell_sql("x.account_id")} AS source, {cell_sql("y.account_id")} AS target,
               {cell_sql("x.name")} AS source_name, {cell_sql("y.name")} AS target_name,
               round(e.weight, 4) AS weight, e.shared AS shared_items, e.signals,
               coalesce(e.cluster_id, '') AS cluster_id, coalesce(co.co_posts, 0) AS co_posts
        FROM edges e
        JOIN accounts x ON x.aid = e.a JOIN accounts y ON y.aid = e.b
        LEFT JOIN co ON co.a = e.a AND co.b = e.b
        WHERE e.analysis_id = {aid}
        ORDER BY e.weight DESC, source, target, e.a, e.b"""
    return _copy(con, query, path)


def _write_evidence_csv(con: duckdb.DuckDBPyConnection, analysis_id: str, path: Path) -> Path:
    """One row per (account pair, shared item): the closest co-post of that item (both
    posts, their times, the lag) and how many co-posts of it the pair made. The order is
    total (a post that carried several shared items ties on every shown key), so the file
    is the same from run to run."""
    aid = sql_literal(analysis_id)
    label = f"left(i.label, {EVIDENCE_LABEL_CHARS})"
    query = f"""
        SELECT {cell_sql("x.account_id")} AS source, {cell_sql("y.account_id")} AS target,
               coalesce(e.cluster_id, '') AS cluster_id, v.signal, {cell_sql(label)} AS item,
               {cell_sql("pa.post_id")} AS source_post, {cell_sql("pb.post_id")} AS target_post,
               strftime(to_timestamp(v.t_a), {ISO_SQL}) AS source_time,
               strftime(to_timestamp(v.t_b), {ISO_SQL}) AS target_time,
               round(abs(v.t_b - v.t_a), 3) AS lag_s, v.n AS co_posts
        FROM evidence v
        JOIN edges e ON e.analysis_id = v.analysis_id AND e.a = v.a AND e.b = v.b
        JOIN accounts x ON x.aid = v.a JOIN accounts y ON y.aid = v.b
        JOIN posts pa ON pa.pid = v.pid_a
        JOIN posts pb ON pb.pid = v.pid_b
        LEFT JOIN items i ON i.analysis_id = v.analysis_id AND i.item = v.item
        WHERE v.analysis_id = {aid}
        ORDER BY e.weight DESC, source, target, lag_s, source_post, v.a, v.b, v.item"""
    return _copy(con, query, path)


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
    """The account graph as GraphML (the attributes igraph would write), each node and edge
    element built in SQL with one concat() (igraph's writer took 4 s of a million-post
    export; chained || made a string per step)."""
    aid = sql_literal(analysis_id)
    graph = f"""
        WITH e AS (SELECT a, b, weight, shared, signals, coalesce(cluster_id, '') AS cid
                   FROM edges WHERE analysis_id = {aid}),
        ends AS (SELECT a AS aid, cid FROM e UNION ALL SELECT b, cid FROM e),
        nodes AS (SELECT aid, max(cid) AS cid,
                         row_number() OVER (ORDER BY aid) - 1 AS i FROM ends GROUP BY aid)"""
    node_rows = con.execute(
        f"""{graph}
        SELECT concat('    <node id="n', n.i, '">', chr(10),
               {_data("v_account_id", "ac.account_id")},
               {_data("v_label", "coalesce(nullif(ac.name, ''), ac.account_id)")},
               {_data("v_cluster", "n.cid", text=False)}, '    </node>') AS x
        FROM nodes n JOIN accounts ac ON ac.aid = n.aid ORDER BY n.i"""
    ).fetchnumpy()["x"]
    # Signals need no escaping: the engine writes them ("repost:2,url:1").
    edge_rows = con.execute(
        f"""{graph}
        SELECT concat('    <edge source="n', na.i, '" target="n', nb.i, '">', chr(10),
               {_data("e_weight", "e.weight", text=False)},
               {_data("e_shared", "e.shared", text=False)},
               {_data("e_signals", "e.signals", text=False)},
               {_data("e_cluster", "e.cid", text=False)}, '    </edge>') AS x
        FROM e JOIN nodes na ON na.aid = e.a JOIN nodes nb ON nb.aid = e.b
        ORDER BY e.a, e.b"""
    ).fetchnumpy()["x"]
    with path.open("w", encoding="utf-8") as f:
        f.write(GRAPHML_HEAD)
        for rows in (node_rows, edge_rows):
            if len(rows):
                f.write("\n".join(rows.tolist()))
                f.write("\n")
        f.write(GRAPHML_TAIL)
    return path
