"""Exports of one analysis: clusters.json, edges.csv (every edge at or above min-shared, with
its cluster), evidence.csv (one row per account pair and shared item) and graph.graphml (for
Gephi). All or nothing: the files are written in a staging folder and moved into place only
when every one is complete, so a failed export leaves the folder as it was."""

from __future__ import annotations

import json
import shutil
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from pathlib import Path

import duckdb
import numpy as np
import orjson
import pyarrow as pa
import pyarrow.compute as pc

from common.errors import InputError, NotFoundError
from common.progress import Progress, no_progress
from corpus.posts.load import literal as sql_literal
from patterns.export_folder import (
    make_folder,
    move_into_place,
    reason,
    remove_stale_staging,
    staging_folder,
)
from patterns.export_tables import (
    accounts,
    arrow_table,
    cells,
    copy_rows,
    floats,
    gathered,
    ints,
    take,
    xml_sql,
)
from patterns.result_text import TEXT_SIGNALS

EVIDENCE_LABEL_CHARS = 200
ISO_SQL = "'%Y-%m-%dT%H:%M:%SZ'"


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
    make_folder(out_dir)
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
    remove_stale_staging(out_dir)
    staging = staging_folder(out_dir)
    try:
        staging.mkdir()
    except OSError as exc:
        what = "write the exports to" if out_dir.is_dir() else "create the export folder"
        raise InputError(f"cannot {what} {out_dir}: {reason(exc)}") from None
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
        move_into_place(staging, out_dir, names)
    except OSError as exc:
        raise InputError(f"cannot write the exports to {out_dir}: {reason(exc)}") from None
    except duckdb.IOException as exc:  # COPY's own write errors (disk full, I/O)
        why = str(exc).splitlines()[0].replace(str(staging), str(out_dir))
        raise InputError(f"cannot write the exports to {out_dir}: {why}") from None
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return [out_dir / name for name in names]


def _write_json(path: Path, data: object) -> Path:
    # orjson: the json module falls back to pure Python when it indents (4 s of a 1M-post
    # analysis' exports went there).
    path.write_bytes(orjson.dumps(data, option=orjson.OPT_INDENT_2) + b"\n")
    return path


def _write_edges_csv(con: duckdb.DuckDBPyConnection, analysis_id: str, path: Path) -> Path:
    """One row per edge: the two accounts, weight, distinct shared items (per signal), how
    many co-posts they made, and the cluster both are in (empty when none). In the order
    of `ORDER BY e.weight DESC, source, target, e.a, e.b`."""
    aid = sql_literal(analysis_id)
    e = arrow_table(
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
    a, b = ints(e, "a"), ints(e, "b")
    acc = accounts(con, np.concatenate([a, b]))
    ia, ib = acc.index(a), acc.index(b)
    rank = acc.rank("id")
    order = np.lexsort((b, a, rank[ib], rank[ia], -floats(e, "w")))
    ia, ib = ia[order], ib[order]
    ids, names = acc.columns["id"], acc.columns["name"]
    out = gathered(
        {"source": (ids, ia), "target": (ids, ib), "source_name": (names, ia)}
        | {"target_name": (names, ib)}
        | {c: (e[c], order) for c in ("weight", "shared_items", "signals", "cluster_id")}
        | {"co_posts": (e["co_posts"], order)}
    )
    return copy_rows(con, out, path)


def _write_evidence_csv(con: duckdb.DuckDBPyConnection, analysis_id: str, path: Path) -> Path:
    """One row per (account pair, shared item): the closest co-post of that item (both
    posts, their times, the lag) and how many co-posts of it the pair made. The order is
    total (a post that carried several shared items ties on every shown key), so the file
    is the same from run to run: `ORDER BY e.weight DESC, source, target, lag_s,
    source_post, v.a, v.b, v.item`."""
    aid = sql_literal(analysis_id)
    v = arrow_table(
        con,
        f"""
        SELECT v.a, v.b, v.item, v.pid_a, v.pid_b, e.weight AS w,
               coalesce(e.cluster_id, '') AS cluster_id, v.signal, v.t_a, v.t_b,
               round(abs(v.t_b - v.t_a), 3) AS lag_s, v.n AS co_posts
        FROM evidence v
        JOIN edges e ON e.analysis_id = v.analysis_id AND e.a = v.a AND e.b = v.b
        WHERE v.analysis_id = {aid}""",
    )
    a, b, item = ints(v, "a"), ints(v, "b"), ints(v, "item")
    pid_a, pid_b = ints(v, "pid_a"), ints(v, "pid_b")
    acc = accounts(con, np.concatenate([a, b]))
    ia, ib = acc.index(a), acc.index(b)
    rank = acc.rank("id")
    posts = cells(con, "posts", "pid", np.concatenate([pid_a, pid_b]), {"id": "t.post_id"})
    pa_, pb_ = posts.index(pid_a), posts.index(pid_b)
    label = f"left(t.label, {EVIDENCE_LABEL_CHARS})"
    items = cells(
        con,
        f"(SELECT * FROM items WHERE analysis_id = {aid})",
        "item",
        item,
        {"label": label},
    )
    found = items.index(item)
    known = found < items.key.size
    known[known] = items.key[found[known]] == item[known]
    # A text row names the source post's own text: an item of near-identical texts is
    # named by its first post, whose text the two posts of the row need not hold.
    is_text = pc.is_in(v["signal"], value_set=pa.array(TEXT_SIGNALS)).to_numpy(zero_copy_only=False)
    own = cells(
        con, "posts", "pid", pid_a[is_text], {"text": f"left(t.text, {EVIDENCE_LABEL_CHARS})"}
    )
    has_own = np.zeros(is_text.size, dtype=bool)
    own_at = np.zeros(is_text.size, dtype=np.intp)
    if own.key.size:
        at = np.minimum(own.index(pid_a[is_text]), own.key.size - 1)
        hit = own.key[at] == pid_a[is_text]
        has_own[is_text] = hit & (pc.utf8_length(own.columns["text"]).to_numpy()[at] > 0)
        own_at[is_text] = at
    n_labels = items.key.size
    pool = pa.concat_arrays(
        [items.columns["label"], own.columns["text"], pa.array([""], pa.string())]
    )
    label_at = np.where(known, found, n_labels + own.key.size)  # no label: ''
    label_at = np.where(has_own, n_labels + own_at, label_at)
    order = np.lexsort(
        (
            item,
            b,
            a,
            posts.rank("id")[pa_],
            floats(v, "lag_s"),
            rank[ib],
            rank[ia],
            -floats(v, "w"),
        )
    )
    ids, post_ids = acc.columns["id"], posts.columns["id"]
    out = gathered(
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
    return copy_rows(con, out, path, select)


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


def _data(key: str, expr: str, *, text: bool = True) -> str:
    """concat() arguments for one <data> line (no value is NULL: text is coalesced, the
    others never are)."""
    value = xml_sql(expr) if text else expr
    return f"""'      <data key="{key}">', {value}, '</data>', chr(10)"""


def _write_graphml(con: duckdb.DuckDBPyConnection, analysis_id: str, path: Path) -> Path:
    """The account graph as GraphML (the attributes igraph would write): nodes are the
    accounts of the edges by account id, edges by (a, b). Each element is one line of a
    raw COPY (no quoting), built with one concat() (igraph's writer took 4 s of a
    million-post export)."""
    aid = sql_literal(analysis_id)
    e = arrow_table(
        con,
        f"SELECT a, b, weight, shared, signals, coalesce(cluster_id, '') AS cid "
        f"FROM edges WHERE analysis_id = {aid}",
    )
    a, b = ints(e, "a"), ints(e, "b")
    order = np.lexsort((b, a))
    nodes = arrow_table(
        con,
        f"""SELECT aid, max(cid) AS cid FROM (
                SELECT a AS aid, coalesce(cluster_id, '') AS cid FROM edges
                WHERE analysis_id = {aid}
                UNION ALL SELECT b, coalesce(cluster_id, '') FROM edges
                WHERE analysis_id = {aid}) GROUP BY aid ORDER BY aid""",
    )
    node_aid = ints(nodes, "aid")
    label = "coalesce(nullif(t.name, ''), t.account_id)"
    acc = cells(con, "accounts", "aid", node_aid, {"id": "t.account_id", "label": label}, xml=True)
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
            "weight": rows(take(e["weight"], order), n + 1),
            "shared": rows(take(e["shared"], order), n + 1),
            "signals": rows(take(e["signals"], order), n + 1),
            "ecid": rows(take(e["cid"], order), n + 1),
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
    return copy_rows(con, table, path, line, "FORMAT csv, HEADER false, QUOTE '', ESCAPE ''")
