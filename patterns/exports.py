"""Exports of one analysis: clusters.json, edges.csv (the evidence of every edge) and
graph.graphml (for Gephi). Each file is written under a temporary name and renamed, so a
reader never sees half a file."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path

import duckdb
import igraph

from corpus.errors import InputError, NotFoundError
from corpus.posts import literal as sql_literal
from patterns.export_cells import export_cell_sql, strip_control

EVIDENCE_LABEL_CHARS = 200


def export_analysis(con: duckdb.DuckDBPyConnection, analysis_id: str, out_dir: Path) -> list[Path]:
    row = con.execute(
        "SELECT body, meta FROM analyses WHERE analysis_id = ?", [analysis_id]
    ).fetchone()
    if row is None:
        raise NotFoundError(f"no analysis {analysis_id!r}")
    _make_folder(out_dir)
    body, meta = json.loads(row[0]), json.loads(row[1])
    details = [
        json.loads(d)
        for (d,) in con.execute(
            "SELECT detail FROM clusters WHERE analysis_id = ? ORDER BY rank", [analysis_id]
        ).fetchall()
    ]
    files: dict[str, Callable[[Path], None]] = {
        "clusters.json": lambda tmp: _write_json(
            tmp, {**body, "analysis": meta, "details": details}
        ),
        "edges.csv": lambda tmp: _write_edges_csv(con, analysis_id, tmp),
        "graph.graphml": lambda tmp: _write_graphml(con, analysis_id, tmp),
    }
    # All three under temporary names first, then renamed: a failure leaves none of this
    # export behind (and an earlier export in the folder as it was).
    pending: list[tuple[Path, Path]] = []
    try:
        for name, write in files.items():
            path = out_dir / name
            tmp = _tmp(path)
            pending.append((tmp, path))
            write(tmp)
        for tmp, path in pending:
            os.replace(tmp, path)
    except BaseException as exc:
        for tmp, _ in pending:
            tmp.unlink(missing_ok=True)
        if isinstance(exc, OSError):
            raise InputError(f"cannot write the exports to {out_dir}: {_why(exc)}") from None
        raise
    return [path for _, path in pending]


def _make_folder(out_dir: Path) -> None:
    if out_dir.exists() and not out_dir.is_dir():
        raise InputError(f"{out_dir} is a file; give --out a folder (new or existing)")
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(f"cannot create the export folder {out_dir}: {_why(exc)}") from None


def _why(exc: OSError) -> str:
    return exc.strerror or type(exc).__name__


def _tmp(path: Path) -> Path:
    return path.with_name(f".{path.name}.{os.getpid()}.tmp")


def _write_json(path: Path, data: object) -> None:
    path.write_text(json.dumps(data, ensure_ascii=False, indent=2), encoding="utf-8")


def _write_edges_csv(con: duckdb.DuckDBPyConnection, analysis_id: str, path: Path) -> None:
    """One row per edge; the evidence columns list, item by item (" | "-separated, closest
    co-post first), what was shared, by which posts, when, and how far apart."""
    aid = sql_literal(analysis_id)
    cell = export_cell_sql
    con.execute(
        f"""
        COPY (
            WITH ev AS (
                SELECT v.a, v.b, v.signal, v.n, v.t_a, v.t_b, abs(v.t_b - v.t_a) AS lag,
                       pa.post_id AS post_a, pb.post_id AS post_b,
                       left(replace(replace(coalesce(i.label, ''), chr(10), ' '), chr(13), ' '),
                            {EVIDENCE_LABEL_CHARS}) AS label
                FROM evidence v
                JOIN posts pa ON pa.pid = v.pid_a
                JOIN posts pb ON pb.pid = v.pid_b
                LEFT JOIN items i ON i.analysis_id = v.analysis_id AND i.item = v.item
                WHERE v.analysis_id = {aid}),
            agg AS (
                SELECT a, b,
                       string_agg(signal || ': ' || label, ' | ' ORDER BY lag, post_a) AS items,
                       string_agg(post_a || ' & ' || post_b, ' | ' ORDER BY lag, post_a)
                           AS post_pairs,
                       string_agg(strftime(to_timestamp(least(t_a, t_b)), '%Y-%m-%dT%H:%M:%SZ'),
                                  ' | ' ORDER BY lag, post_a) AS first_times,
                       string_agg(CAST(round(lag, 3) AS VARCHAR), ' | ' ORDER BY lag, post_a)
                           AS lags_s,
                       sum(n) AS co_posts
                FROM ev GROUP BY a, b)
            SELECT {cell("x.account_id")} AS source, {cell("y.account_id")} AS target,
                   {cell("x.name")} AS source_name, {cell("y.name")} AS target_name,
                   round(e.weight, 4) AS weight, e.shared AS shared_items, e.signals,
                   coalesce(e.cluster_id, '') AS cluster_id, g.co_posts, {cell("g.items")} AS items,
                   {cell("g.post_pairs")} AS post_pairs, g.first_times, g.lags_s
            FROM edges e
            JOIN accounts x ON x.aid = e.a JOIN accounts y ON y.aid = e.b
            JOIN agg g ON g.a = e.a AND g.b = e.b
            WHERE e.analysis_id = {aid}
            ORDER BY e.weight DESC, source, target
        ) TO {sql_literal(str(path))} (HEADER, DELIMITER ',')
        """
    )


def _write_graphml(con: duckdb.DuckDBPyConnection, analysis_id: str, path: Path) -> None:
    rows = con.execute(
        "SELECT e.a, e.b, e.weight, e.shared, e.signals, coalesce(e.cluster_id, '') "
        "FROM edges e WHERE e.analysis_id = ? ORDER BY e.a, e.b",
        [analysis_id],
    ).fetchall()
    aids = sorted({r[0] for r in rows} | {r[1] for r in rows})
    index = {a: i for i, a in enumerate(aids)}
    info = {
        int(r[0]): (str(r[1]), r[2] or "")
        for r in con.execute(
            "SELECT aid, account_id, name FROM accounts WHERE aid IN (SELECT a FROM edges "
            "WHERE analysis_id = ? UNION SELECT b FROM edges WHERE analysis_id = ?)",
            [analysis_id, analysis_id],
        ).fetchall()
    }
    clusters: dict[int, str] = {}
    for a, b, _w, _s, _sig, cid in rows:
        if cid:
            clusters[a] = clusters[b] = cid
    graph = igraph.Graph(n=len(aids), edges=[(index[r[0]], index[r[1]]) for r in rows])
    graph.vs["account_id"] = [strip_control(info[a][0]) for a in aids]
    graph.vs["label"] = [strip_control(info[a][1] or info[a][0]) for a in aids]
    graph.vs["cluster"] = [clusters.get(a, "") for a in aids]
    graph.es["weight"] = [float(r[2]) for r in rows]
    graph.es["shared"] = [int(r[3]) for r in rows]
    graph.es["signals"] = [str(r[4]) for r in rows]
    graph.es["cluster"] = [str(r[5]) for r in rows]
    graph.write_graphml(str(path))
