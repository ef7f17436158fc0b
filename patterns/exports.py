"""Exports of one analysis: clusters.json, edges.csv (the evidence of every edge) and
graph.graphml (for Gephi). Each file is written under a temporary name and renamed, so a
reader never sees half a file."""

from __future__ import annotations

import json
import os
from pathlib import Path

import duckdb
import igraph

from corpus.errors import NotFoundError
from corpus.posts import literal as sql_literal

EVIDENCE_LABEL_CHARS = 200


def export_analysis(con: duckdb.DuckDBPyConnection, analysis_id: str, out_dir: Path) -> list[Path]:
    row = con.execute(
        "SELECT body, meta FROM analyses WHERE analysis_id = ?", [analysis_id]
    ).fetchone()
    if row is None:
        raise NotFoundError(f"no analysis {analysis_id!r}")
    out_dir.mkdir(parents=True, exist_ok=True)
    body, meta = json.loads(row[0]), json.loads(row[1])
    details = [
        json.loads(d)
        for (d,) in con.execute(
            "SELECT detail FROM clusters WHERE analysis_id = ? ORDER BY rank", [analysis_id]
        ).fetchall()
    ]
    written = [
        _write_json(out_dir / "clusters.json", {**body, "analysis": meta, "details": details}),
        _write_edges_csv(con, analysis_id, out_dir / "edges.csv"),
        _write_graphml(con, analysis_id, out_dir / "graph.graphml"),
    ]
    return written


def _tmp(path: Path) -> Path:
    return path.with_name(f".{path.name}.{os.getpid()}.tmp")


def _write_json(path: Path, data: object) -> Path:
    tmp = _tmp(path)
    tmp.write_text(json.dumps(data, ensure_ascii=False, indent=2), encoding="utf-8")
    os.replace(tmp, path)
    return path


def _write_edges_csv(con: duckdb.DuckDBPyConnection, analysis_id: str, path: Path) -> Path:
    """One row per edge; the evidence columns list, item by item (" | "-separated, closest
    co-post first), what was shared, by which posts, when, and how far apart."""
    tmp = _tmp(path)
    aid = sql_literal(analysis_id)
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
            SELECT x.account_id AS source, y.account_id AS target,
                   x.name AS source_name, y.name AS target_name,
                   round(e.weight, 4) AS weight, e.shared AS shared_items, e.signals,
                   coalesce(e.cluster_id, '') AS cluster_id, g.co_posts, g.items,
                   g.post_pairs, g.first_times, g.lags_s
            FROM edges e
            JOIN accounts x ON x.aid = e.a JOIN accounts y ON y.aid = e.b
            JOIN agg g ON g.a = e.a AND g.b = e.b
            WHERE e.analysis_id = {aid}
            ORDER BY e.weight DESC, source, target
        ) TO {sql_literal(str(tmp))} (HEADER, DELIMITER ',')
        """
    )
    os.replace(tmp, path)
    return path


def _write_graphml(con: duckdb.DuckDBPyConnection, analysis_id: str, path: Path) -> Path:
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
    graph.vs["account_id"] = [info[a][0] for a in aids]
    graph.vs["label"] = [info[a][1] or info[a][0] for a in aids]
    graph.vs["cluster"] = [clusters.get(a, "") for a in aids]
    graph.es["weight"] = [float(r[2]) for r in rows]
    graph.es["shared"] = [int(r[3]) for r in rows]
    graph.es["signals"] = [str(r[4]) for r in rows]
    graph.es["cluster"] = [str(r[5]) for r in rows]
    tmp = _tmp(path)
    graph.write_graphml(str(tmp))
    os.replace(tmp, path)
    return path
