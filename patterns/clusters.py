"""Describe each cluster from its evidence: members, signals, top shared items, timing,
new accounts, score, examples, and a content-derived id.

Score (docs/coordination.md): score = density x 2W / n, where n is the cluster's size, W
the sum of its internal edge weights and density = edges / (n (n - 1) / 2). A clique of n
accounts in which every pair shared w items scores w (n - 1): bigger, denser clusters
that shared more distinct items rank first.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

import duckdb
import numpy as np
import numpy.typing as npt

from patterns.config import ALL_SIGNALS
from patterns.graph import Edges, Evidence
from patterns.params import AnalysisParams
from patterns.results import ClusterDetail, ClusterSummary, Example, Member, TopItem
from patterns.signals import Occurrences, item_labels

TOP_ITEMS = 5
SUMMARY_EXAMPLES = 3
DETAIL_EXAMPLES = 10
DAY = 86_400.0


@dataclass(frozen=True)
class AccountInfo:
    account_id: str
    name: str | None
    created: float | None
    first_t: float


def cluster_id(dataset: str, data_sha: str, params: AnalysisParams, members: Sequence[str]) -> str:
    """Stable for the same data, parameters and members; independent of run order or time."""
    h = hashlib.sha256()
    for part in (dataset, data_sha, params.fingerprint(), *sorted(members)):
        h.update(part.encode())
        h.update(b"\0")
    return "c" + h.hexdigest()[:12]


def score(size: int, n_edges: int, total_weight: float) -> float:
    if size < 2:
        return 0.0
    density = n_edges / (size * (size - 1) / 2)
    return round(density * 2 * total_weight / size, 2)


def _accounts(
    con: duckdb.DuckDBPyConnection, aids: npt.NDArray[np.int32]
) -> dict[int, AccountInfo]:
    import pyarrow as pa

    con.register("_want_acc", pa.table({"aid": np.unique(aids).astype(np.int32)}))
    try:
        rows = con.execute(
            "SELECT a.aid, a.account_id, a.name, a.created, a.first_t FROM accounts a "
            "JOIN _want_acc w ON w.aid = a.aid"
        ).fetchall()
    finally:
        con.unregister("_want_acc")
    return {int(r[0]): AccountInfo(str(r[1]), r[2], r[3], float(r[4])) for r in rows}


def _posts(
    con: duckdb.DuckDBPyConnection, pids: list[int]
) -> dict[int, tuple[str, str, float, str | None]]:
    import pyarrow as pa

    if not pids:
        return {}
    con.register("_want_posts", pa.table({"pid": np.unique(np.asarray(pids, dtype=np.int32))}))
    try:
        rows = con.execute(
            "SELECT p.pid, p.post_id, a.account_id, p.t, p.text FROM posts p "
            "JOIN _want_posts w ON w.pid = p.pid JOIN accounts a ON a.aid = p.aid"
        ).fetchall()
    finally:
        con.unregister("_want_posts")
    return {int(r[0]): (str(r[1]), str(r[2]), float(r[3]), r[4]) for r in rows}


@dataclass(frozen=True)
class _ClusterItems:
    """Items co-shared inside clusters: one row per (cluster, item), sorted by key
    (cluster * n_items + item), with the signal it counts under and member usage."""

    keys: npt.NDArray[np.int64]
    signal: npt.NDArray[np.int64]
    accounts: npt.NDArray[np.int64]
    posts: npt.NDArray[np.int64]
    row_start: npt.NDArray[np.int64]  # into rows: member posts carrying the item, by time
    rows: npt.NDArray[np.int64]  # indices into the occurrence arrays


def _cluster_items(
    occ: Occurrences,
    evidence: Evidence,
    v_idx: npt.NDArray[np.int64],
    v_cl: npt.NDArray[np.int64],
    label: npt.NDArray[np.int64],
    n_items: int,
) -> _ClusterItems:
    key = v_cl * n_items + evidence.item[v_idx]
    sig = evidence.signal[v_idx].astype(np.int64)
    order = np.lexsort((sig, key))  # identical text (code 0) wins over near-identical (1)
    key, sig = key[order], sig[order]
    head = np.r_[True, key[1:] != key[:-1]] if key.size else np.empty(0, dtype=bool)
    keys, signal = key[head], sig[head]

    o_cl = label[occ.aid]
    o_key = np.where(o_cl >= 0, o_cl * n_items + occ.item, -1)
    pos = np.minimum(np.searchsorted(keys, o_key), max(keys.size - 1, 0))
    inside = (o_cl >= 0) & (keys[pos] == o_key) if keys.size else np.zeros(o_key.size, dtype=bool)
    rows = np.flatnonzero(inside)
    rows = rows[np.argsort(o_key[rows], kind="stable")]  # occ order keeps (t, pid) inside a key
    rkey = o_key[rows]
    row_start = np.searchsorted(rkey, keys)
    posts = np.diff(np.r_[row_start, rkey.size])
    # Distinct accounts per key: sort (key, account) and count changes.
    ak = np.lexsort((occ.aid[rows], rkey))
    k_s, a_s = rkey[ak], occ.aid[rows][ak]
    first = (
        np.r_[True, (k_s[1:] != k_s[:-1]) | (a_s[1:] != a_s[:-1])]
        if k_s.size
        else np.empty(0, dtype=bool)
    )
    accounts = np.zeros(keys.size, dtype=np.int64)
    np.add.at(accounts, np.searchsorted(keys, k_s[first]), 1)
    return _ClusterItems(keys, signal, accounts, posts.astype(np.int64), row_start, rows)


def describe(
    con: duckdb.DuckDBPyConnection,
    *,
    dataset: str,
    data_sha: str,
    analysis_id: str,
    created_at: float,
    params: AnalysisParams,
    window: float,
    occ: Occurrences,
    edges: Edges,
    evidence: Evidence,
    groups: list[npt.NDArray[np.int32]],
    n_accounts: int,
) -> tuple[list[ClusterDetail], npt.NDArray[np.int64]]:
    """Details of every cluster, best first, and the cluster index of every account id
    (-1 outside reported clusters) in that order."""
    k = len(groups)
    label = np.full(max(n_accounts, 1), -1, dtype=np.int64)
    for c, members in enumerate(groups):
        label[members] = c
    if k == 0:
        return [], label
    n_items = max(occ.n_items, 1)

    la, lb = label[edges.a], label[edges.b]
    e_in = (la >= 0) & (la == lb)
    e_count = np.bincount(la[e_in], minlength=k)
    e_weight = np.bincount(la[e_in], weights=edges.weight[e_in], minlength=k)
    degree = np.bincount(np.r_[edges.a[e_in], edges.b[e_in]], minlength=label.size)

    ea, eb = label[evidence.a], label[evidence.b]
    v_in = np.flatnonzero((ea >= 0) & (ea == eb))
    order = np.argsort(ea[v_in], kind="stable")
    v_idx, v_cl = v_in[order], ea[v_in][order]
    v_bounds = np.searchsorted(v_cl, np.arange(k + 1))
    ci = _cluster_items(occ, evidence, v_idx, v_cl, label, n_items)
    all_lags = evidence.lag
    ci_bounds = np.searchsorted(ci.keys, np.arange(k + 1) * n_items)

    # Posts per member that carry an item co-shared inside the member's cluster.
    member_posts = np.zeros(label.size, dtype=np.int64)
    if ci.rows.size:
        pairs = np.unique(
            np.stack(
                [occ.aid[ci.rows].astype(np.int64), occ.pid[ci.rows].astype(np.int64)], axis=1
            ),
            axis=0,
        )
        np.add.at(member_posts, pairs[:, 0], 1)

    plans = []
    want_items: list[int] = []
    want_posts: list[int] = []
    for c in range(k):
        lo, hi = int(ci_bounds[c]), int(ci_bounds[c + 1])
        rank = lo + np.lexsort((ci.keys[lo:hi], -ci.posts[lo:hi], -ci.accounts[lo:hi]))
        top: dict[int, list[tuple[int, int, int]]] = {}
        for r in rank.tolist():
            lst = top.setdefault(int(ci.signal[r]), [])
            if len(lst) < TOP_ITEMS:
                item = int(ci.keys[r] % n_items)
                lst.append((item, int(ci.accounts[r]), int(ci.posts[r])))
                want_items.append(item)
        examples: list[tuple[int, int, int]] = []
        for r in rank[:DETAIL_EXAMPLES].tolist():
            item = int(ci.keys[r] % n_items)
            start = int(ci.row_start[r])
            seen: set[int] = set()
            for row in ci.rows[start : start + int(ci.posts[r])][:200].tolist():
                acc = int(occ.aid[row])
                if acc not in seen:
                    seen.add(acc)
                    examples.append((int(occ.pid[row]), item, int(ci.signal[r])))
                    if len(seen) >= 5 or len(examples) >= DETAIL_EXAMPLES:
                        break
            want_items.append(item)
            if len(examples) >= DETAIL_EXAMPLES:
                break
        want_posts.extend(p for p, _, _ in examples)
        counts = np.bincount(ci.signal[lo:hi], minlength=len(ALL_SIGNALS))
        signals = {ALL_SIGNALS[i]: int(n) for i, n in enumerate(counts.tolist()) if n}
        plans.append((top, examples, signals))

    labels = item_labels(con, np.asarray(want_items, dtype=np.int64))
    posts = _posts(con, want_posts)
    accounts = _accounts(con, np.concatenate(groups))

    details: list[ClusterDetail] = []
    for c, members in enumerate(groups):
        top, examples, signals = plans[c]
        sl = v_idx[v_bounds[c] : v_bounds[c + 1]]
        lags = all_lags[sl]
        size = int(members.size)
        n_e = int(e_count[c])
        total_w = float(e_weight[c])
        member_ids = [accounts[a].account_id for a in members.tolist()]
        ex_objs = [
            Example(post[0], post[1], post[2], post[3], ALL_SIGNALS[sg], labels.get(item, ""))
            for pid, item, sg in examples
            if (post := posts.get(pid)) is not None
        ]
        member_objs = []
        new = known = 0
        for a in members.tolist():
            info = accounts[a]
            is_new: bool | None = None
            if info.created is not None:
                known += 1
                is_new = bool(info.first_t - info.created <= params.new_account_days * DAY)
                new += int(is_new)
            member_objs.append(
                Member(
                    info.account_id,
                    info.name,
                    info.created,
                    info.first_t,
                    int(member_posts[a]),
                    int(degree[a]),
                    is_new,
                )  # fmt: skip
            )
        member_objs.sort(key=lambda m: (-m.partners, m.account_id))
        summary = ClusterSummary(
            id=cluster_id(dataset, data_sha, params, member_ids),
            size=size,
            accounts=tuple(sorted(member_ids)),
            signals=signals,
            first_seen=float(min(evidence.t_a[sl].min(), evidence.t_b[sl].min())),
            last_seen=float(max(evidence.t_a[sl].max(), evidence.t_b[sl].max())),
            score=score(size, n_e, total_w),
            examples=tuple(ex_objs[:SUMMARY_EXAMPLES]),
        )
        details.append(
            ClusterDetail(
                summary=summary,
                dataset=dataset,
                analysis_id=analysis_id,
                params=params,
                window_s=window,
                members=tuple(member_objs),
                edges=n_e,
                density=round(n_e / (size * (size - 1) / 2), 4),
                total_weight=round(total_w, 4),
                co_posts=int(evidence.n[sl].sum()),
                median_lag_s=float(np.median(lags)) if lags.size else 0.0,
                new_accounts=new,
                accounts_with_creation_date=known,
                top_items={
                    ALL_SIGNALS[sg]: tuple(
                        TopItem(ALL_SIGNALS[sg], labels.get(it, ""), acc, pc) for it, acc, pc in lst
                    )
                    for sg, lst in sorted(top.items())
                },
                examples=tuple(ex_objs),
                analysed_at=created_at,
            )
        )
    ranking = sorted(
        range(k), key=lambda c: (-details[c].summary.score, -details[c].summary.size, details[c].id)
    )
    remap = np.empty(k, dtype=np.int64)
    remap[np.asarray(ranking, dtype=np.int64)] = np.arange(k)
    new_label = np.where(label >= 0, remap[np.maximum(label, 0)], -1)
    return [details[c] for c in ranking], new_label
