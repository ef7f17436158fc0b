"""Stored analyses read back for PatternService: a dataset file's latest analysis and its
clusters in full, one cluster looked for across a scope's files, and a check of every
file's cluster references. Questions read through patterns.reader instead."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from pathlib import Path

import duckdb

from common.errors import NotFoundError
from corpus.posts.image_hash import phash_hex
from patterns.nearimage import image_matches
from patterns.params import AnalysisParams
from patterns.reader import members as cluster_members
from patterns.results import AnalysisResult, ClusterDetail, ImageMatch
from patterns.store import BusyError, ScopeStore, all_dataset_files, connect, read_meta

CLUSTER_ID = re.compile(r"^c[0-9a-f]{12}$")


def latest_analysis(con: duckdb.DuckDBPyConnection) -> AnalysisResult | None:
    """The open dataset's latest analysis (None: never analysed)."""
    row = con.execute("SELECT body, meta FROM analyses ORDER BY created_at DESC LIMIT 1").fetchone()
    if row is None:
        return None
    return AnalysisResult.from_parts(json.loads(row[0]), json.loads(row[1]))


def cluster_details(con: duckdb.DuckDBPyConnection, limit: int | None) -> list[ClusterDetail]:
    """The clusters of the open dataset's latest analysis, best first, in full."""
    latest = latest_analysis(con)
    if latest is None:
        return []
    rows = con.execute(
        "SELECT cluster_id, detail FROM clusters WHERE analysis_id = ? ORDER BY rank "
        + ("" if limit is None else f"LIMIT {int(limit)}"),
        [latest.analysis_id],
    ).fetchall()
    out = []
    for cid, blob in rows:
        members = cluster_members(con, latest.analysis_id, str(cid), latest.params)
        out.append(
            ClusterDetail.from_stored(json.loads(blob), params=latest.params, members=members)
        )
    return out


def _image_matches(con: duckdb.DuckDBPyConnection, detail: ClusterDetail) -> tuple[ImageMatch, ...]:
    return tuple(
        ImageMatch(a, b, phash_hex(ha), phash_hex(hb), dist)
        for a, b, ha, hb, dist in image_matches(con, detail.analysis_id, detail.id)
    )


def find_cluster(store: ScopeStore, cluster_id: str) -> tuple[str, ClusterDetail]:
    """The dataset holding `cluster_id` in its latest analysis among the store's, and the
    cluster in full (its image matches read too). NotFoundError when absent."""
    missing = NotFoundError(f"no cluster {cluster_id!r}")
    if not isinstance(cluster_id, str) or not CLUSTER_ID.match(cluster_id):
        raise missing
    best: tuple[float, str, ClusterDetail] | None = None
    for found in store.all_current():
        con = store.connect(found.path)
        try:
            row = con.execute(
                "SELECT c.detail, a.created_at, a.analysis_id, a.meta FROM clusters c "
                "JOIN analyses a ON a.analysis_id = c.analysis_id WHERE c.cluster_id = ? "
                "ORDER BY a.created_at DESC LIMIT 1",
                [cluster_id],
            ).fetchone()
            if row is not None and (best is None or float(row[1]) > best[0]):
                params = AnalysisParams.from_json(json.loads(row[3])["params"])
                members = cluster_members(con, str(row[2]), cluster_id, params)
                detail = ClusterDetail.from_stored(
                    json.loads(row[0]), params=params, members=members
                )
                detail = replace(detail, image_matches=_image_matches(con, detail))
                best = (float(row[1]), str(read_meta(con)["name"]), detail)
        finally:
            con.close()
    if best is None:
        raise missing
    return best[1], best[2]


def reference_problems(root: Path, memory_limit: str) -> list[str]:
    """Problems with the cluster references of every dataset's latest analysis (every
    scope): each cluster listed has its stored row and exactly its size in members, and
    every member is an account of the dataset. Answers cite (dataset, analysis, cluster)
    through these rows."""
    problems: list[str] = []
    for path in all_dataset_files(root):
        try:
            con = connect(path, memory_limit=memory_limit)
        except BusyError:
            continue  # in use by a running analysis: checked next time
        try:
            latest = latest_analysis(con)
            if latest is None:
                continue
            name = str(read_meta(con).get("name", path.name))
            got = dict(
                con.execute(
                    "SELECT c.cluster_id, (SELECT count(*) FROM cluster_members m "
                    "JOIN accounts a ON a.aid = m.aid WHERE m.analysis_id = c.analysis_id "
                    "AND m.cluster_id = c.cluster_id) FROM clusters c WHERE c.analysis_id = ?",
                    [latest.analysis_id],
                ).fetchall()
            )
            bad = [c.id for c in latest.clusters if got.get(c.id) != c.size]
            if bad or len(got) != len(latest.clusters):
                problems.append(
                    f"dataset {name!r}: {len(bad)} of {len(latest.clusters)} clusters of its "
                    "latest analysis lack their stored members (run `chorus analyze "
                    f"{name}` again)"
                )
        finally:
            con.close()
    return problems
