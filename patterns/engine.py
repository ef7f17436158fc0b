"""One analysis, start to finish, on an open dataset file: signals -> window -> evidence ->
edges -> clusters -> descriptions. Saving is separate (and atomic): see `save_analysis`.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Any

import duckdb
import numpy as np
import numpy.typing as npt
import pyarrow as pa

from common.progress import Progress, no_progress
from corpus.posts.load import LoadReport
from patterns.arrays import distinct
from patterns.clusters import ClusterRecord, DescribeInput, describe
from patterns.dataset_schema import TABLES
from patterns.graph import (
    CoPosts,
    Edges,
    Evidence,
    build_edges,
    collect_co_posts,
    communities,
    item_weights,
)
from patterns.params import ALL_SIGNALS, AnalysisParams, EngineChoice
from patterns.results import AnalysisResult, PopularDiscount
from patterns.signals import SIGNAL_CODE, Occurrences, build_occurrences
from patterns.store import KEEP_ANALYSES
from patterns.windows import auto_window

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Analysis:
    """A finished analysis: the result, each cluster in full, and the graph with evidence."""

    result: AnalysisResult
    details: list[ClusterRecord]
    edges: Edges
    evidence: Evidence
    weights: npt.NDArray[np.float64]
    item_signal: npt.NDArray[np.int8]
    item_accounts: npt.NDArray[np.int32]
    cluster_of: npt.NDArray[np.int64]  # by account id: index into details, or -1


def run_analysis(
    con: duckdb.DuckDBPyConnection,
    *,
    dataset: str,
    data_sha: str,
    posts: int,
    accounts: int,
    params: AnalysisParams,
    load: LoadReport | None = None,
    progress: Progress = no_progress,
    engine: EngineChoice | None = None,
) -> Analysis:
    """Analyse the posts of an open dataset file with `params`; nothing is written. The
    pairing runs where `engine` says (here by default); the output is the same."""
    created_at = time.time()
    occ = build_occurrences(con, params, progress)
    auto = None
    if params.window_s == "auto":
        auto = auto_window(occ.item, occ.t, p=params.auto_p, q=params.auto_q)
        window = auto.window
    else:
        window = float(params.window_s)
    progress("pairing", 0, None)
    if engine is not None and engine.name == "dask":
        from patterns.distributed import dask_co_posts  # noqa: PLC0415  (optional extra)

        chunks = dask_co_posts(occ, window, engine, progress=progress)
    else:
        chunks = collect_co_posts(occ, window, progress=progress)
    if params.weighting == "count":
        weights = np.ones(occ.n_items, dtype=np.float64)
    else:
        weights = item_weights(
            occ.item_accounts, accounts, params.popular_share, params.popular_min_accounts
        )
    edges, evidence = build_edges(occ, chunks, weights, params.min_shared)
    progress("clustering", 0, 2)
    nodes, groups, largest = communities(edges, min_size=params.min_accounts, seed=params.seed)
    discount = PopularDiscount() if groups else popular_discount(occ, chunks, weights, params)
    del chunks
    progress("clustering", 1, 2)
    # Ids follow the window used, so `--window auto` that settles on 60 s gives the ids of
    # `--window 60`.
    effective = params.resolved(window)
    analysis_id = effective.fingerprint()
    details, cluster_of = describe(
        con,
        DescribeInput(
            dataset=dataset,
            data_sha=data_sha,
            analysis_id=analysis_id,
            created_at=created_at,
            params=effective,
            window=window,
            occ=occ,
            edges=edges,
            evidence=evidence,
            groups=groups,
            n_accounts=accounts,
        ),
    )
    progress("clustering", 2, 2)
    notes = []
    if auto is not None:
        notes.append(auto.note())
    if load is not None:
        notes.extend(load.notes())
    result = AnalysisResult(
        dataset=dataset,
        posts=posts,
        accounts=accounts,
        clusters=tuple(d.detail.summary for d in details),
        analysis_id=analysis_id,
        params=params,
        window_s=window,
        created_at=created_at,
        edges=len(edges),
        linked_accounts=int(nodes.size),
        largest_group=largest,
        repeated_pairs=edges.repeated_below,
        popular=discount,
        load=load,
        notes=tuple(notes),
    )
    return Analysis(
        result, details, edges, evidence, weights, occ.item_signal, occ.item_accounts, cluster_of
    )


def popular_discount(
    occ: Occurrences,
    chunks: list[CoPosts],
    weights: npt.NDArray[np.float64],
    params: AnalysisParams,
) -> PopularDiscount:
    """Where the down-weighting of popular items left no cluster, what counting every item
    in full would link (a large raid in a small export is "popular"); empty otherwise."""
    if params.weighting != "discounted" or not bool((weights < 1).any()):
        return PopularDiscount()
    edges, ev = build_edges(occ, chunks, np.ones_like(weights), params.min_shared)
    _, groups, _ = communities(edges, min_size=params.min_accounts, seed=params.seed)
    items = np.unique(ev.item)
    items = items[weights[items] < 1]
    if not groups or not items.size:
        return PopularDiscount()
    top = int(items[np.argmax(occ.item_accounts[items])])
    near = ev.item == top
    return PopularDiscount(
        group=max(int(g.size) for g in groups),
        item_accounts=int(occ.item_accounts[top]),
        item_linked=int(np.unique(np.r_[ev.a[near], ev.b[near]]).size),
        item_weight=round(float(weights[top]), 2),
    )


def _cat(parts: list[npt.NDArray[Any]], dtype: type[np.generic]) -> npt.NDArray[Any]:
    return np.concatenate(parts).astype(dtype) if parts else np.empty(0, dtype=dtype)


def save_analysis(
    con: duckdb.DuckDBPyConnection, analysis: Analysis, progress: Progress = no_progress
) -> None:
    """Write the analysis in one transaction: readers see the previous results until the
    commit, and a process killed before it leaves them untouched."""
    res = analysis.result
    aid = res.analysis_id
    ed, ev = analysis.edges, analysis.evidence
    cl = analysis.cluster_of
    edge_cluster = np.where((cl[ed.a] >= 0) & (cl[ed.a] == cl[ed.b]), cl[ed.a], -1)
    # Columns go over as numpy-backed Arrow arrays; names and strings are made in SQL.
    edge_table = pa.table(
        {"a": ed.a, "b": ed.b, "weight": ed.weight, "shared": ed.shared, "cluster": edge_cluster}
        | {f"c{i}": ed.signal_counts[:, i] for i in range(len(ALL_SIGNALS))}
    )
    evidence_table = pa.table(
        {
            "a": ev.a,
            "b": ev.b,
            "item": ev.item.astype(np.int32),
            "sig": ev.signal,
            "pid_a": ev.pid_a,
            "pid_b": ev.pid_b,
            "t_a": ev.t_a,
            "t_b": ev.t_b,
            "n": ev.n,
        }
    )
    used = distinct(ev.item)
    item_table = pa.table(
        {
            "item": used.astype(np.int32),
            "sig": analysis.item_signal[used],
            "accounts": analysis.item_accounts[used],
            "weight": analysis.weights[used],
        }
    )
    ids_table = pa.table(
        {
            "cluster": np.arange(len(analysis.details), dtype=np.int64),
            "cluster_id": pa.array([d.id for d in analysis.details], pa.string()),
            "detail": pa.array(
                # pydantic writes the JSON text itself, with no dicts in between.
                [d.detail.stored_text() for d in analysis.details],
                pa.string(),
            ),
        }
    )
    sizes = [d.member_aid.size for d in analysis.details]
    members_table = pa.table(
        {
            "cluster": np.repeat(np.arange(len(sizes), dtype=np.int64), sizes),
            "aid": _cat([d.member_aid for d in analysis.details], np.int32),
            "posts": _cat([d.member_posts for d in analysis.details], np.int64),
            "partners": _cat([d.member_partners for d in analysis.details], np.int64),
        }
    )
    names = "[" + ", ".join(f"'{n}'" for n in ALL_SIGNALS) + "]"
    signals_sql = (
        "concat_ws(',', "
        + ", ".join(
            f"CASE WHEN e.c{i} > 0 THEN '{n}:' || e.c{i} END" for i, n in enumerate(ALL_SIGNALS)
        )
        + ")"
    )
    steps = 6
    views = {
        "_edges_in": edge_table,
        "_evidence_in": evidence_table,
        "_items_in": item_table,
        "_ids_in": ids_table,
        "_members_in": members_table,
    }
    for view, table in views.items():
        con.register(view, table)
    con.execute("BEGIN TRANSACTION")
    try:
        progress("saving", 0, steps)
        for table in TABLES:
            con.execute(f"DELETE FROM {table} WHERE analysis_id = ?", [aid])
        progress("saving", 1, steps)
        con.execute(
            f"INSERT INTO edges SELECT ?, e.a, e.b, e.weight, e.shared, {signals_sql}, "
            "i.cluster_id FROM _edges_in e LEFT JOIN _ids_in i ON i.cluster = e.cluster",
            [aid],
        )
        progress("saving", 2, steps)
        con.execute(
            f"INSERT INTO evidence SELECT ?, a, b, item, {names}[sig + 1], pid_a, pid_b, "
            "t_a, t_b, n FROM _evidence_in",
            [aid],
        )
        # Labels come from this run's items (temp table _items on this connection).
        con.execute(
            f"INSERT INTO items SELECT ?, n.item, {names}[n.sig + 1], "
            "CASE WHEN n.sig IN (?, ?) THEN coalesce(p.text, i.key) "
            "WHEN n.sig = ? THEN '#' || replace(i.key, ' ', ' #') ELSE i.key END, "
            "n.accounts, n.weight FROM _items_in n JOIN _items i ON i.item = n.item "
            "LEFT JOIN posts p ON p.pid = i.first_pid",
            [aid, SIGNAL_CODE["text"], SIGNAL_CODE["near_text"], SIGNAL_CODE["hashtags"]],
        )
        progress("saving", 3, steps)
        con.execute(
            "INSERT INTO clusters SELECT ?, cluster_id, cluster, detail FROM _ids_in", [aid]
        )
        con.execute(
            "INSERT INTO cluster_members SELECT ?, i.cluster_id, m.aid, m.posts, m.partners "
            "FROM _members_in m JOIN _ids_in i ON i.cluster = m.cluster",
            [aid],
        )
        progress("saving", 4, steps)
        con.execute(
            "INSERT INTO analyses VALUES (?, ?, ?, ?)",
            [aid, res.created_at, *res.stored_text()],
        )
        stale = con.execute(
            "SELECT analysis_id FROM analyses ORDER BY created_at DESC OFFSET ?", [KEEP_ANALYSES]
        ).fetchall()
        for (old,) in stale:
            for table in TABLES:
                con.execute(f"DELETE FROM {table} WHERE analysis_id = ?", [old])
        progress("saving", 5, steps)
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    finally:
        for view in views:
            con.unregister(view)
    con.execute("CHECKPOINT")
    progress("saving", steps, steps)
