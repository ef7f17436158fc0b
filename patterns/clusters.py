"""Describe each cluster from its evidence: members, signals, top shared items, timing,
new accounts, score, examples, and a content-derived id.

Score (docs/coordination.md): W, the sum of the cluster's internal edge weights: every time
two members shared an item within the window counts once, a popular item less. A clique of
n accounts in which every pair shared w items scores w n (n - 1) / 2: clusters with more
accounts that shared more items rank first, whatever their density.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

import duckdb
import numpy as np
import numpy.typing as npt
import pyarrow as pa

from patterns.arrays import distinct
from patterns.cluster_spans import co_post_spans
from patterns.graph import Edges, Evidence
from patterns.params import ALL_SIGNALS, AnalysisParams
from patterns.result_text import distinct_posts, own_label
from patterns.results import ClusterDetail, EvidencePost, Example, TopItem
from patterns.signals import Occurrences, item_labels

TOP_ITEMS = 5
SUMMARY_EXAMPLES = 3
DETAIL_EXAMPLES = 10
DAY = 86_400.0


def cluster_id(dataset: str, data_sha: str, params: AnalysisParams, members: Sequence[str]) -> str:
    """Stable for the same data, parameters and members; independent of run order or time."""
    parts = (dataset, data_sha, params.fingerprint(), *sorted(members))
    return "c" + hashlib.sha256("\0".join(parts).encode()).hexdigest()[:12]


def score(total_weight: float) -> float:
    """The cluster's internal edge weight W (rounded): see the module docstring."""
    return round(total_weight, 2)


@dataclass(frozen=True)
class _Accounts:
    """Account facts by sorted account index: id, creation time and first post (NaN when
    unknown)."""

    aid: npt.NDArray[np.int32]
    account_id: npt.NDArray[np.object_]
    created: npt.NDArray[np.float64]
    first_t: npt.NDArray[np.float64]

    def index(self, aids: npt.NDArray[np.int32]) -> npt.NDArray[np.intp]:
        return np.searchsorted(self.aid, aids)


def _accounts(con: duckdb.DuckDBPyConnection, aids: npt.NDArray[np.int32]) -> _Accounts:
    con.register("_want_acc", pa.table({"aid": distinct(aids).astype(np.int32)}))
    try:
        got = con.execute(
            "SELECT a.aid, a.account_id, coalesce(a.created, 'NaN'::DOUBLE) AS created, "
            "a.first_t FROM accounts a JOIN _want_acc w ON w.aid = a.aid ORDER BY a.aid"
        ).fetchnumpy()
    finally:
        con.unregister("_want_acc")
    return _Accounts(
        aid=np.asarray(got["aid"], dtype=np.int32),
        account_id=np.asarray(got["account_id"], dtype=object),
        created=np.asarray(got["created"], dtype=np.float64),
        first_t=np.asarray(got["first_t"], dtype=np.float64),
    )


def _posts(
    con: duckdb.DuckDBPyConnection, pids: list[int]
) -> dict[int, tuple[str, str, float, str | None]]:
    if not pids:
        return {}
    con.register("_want_posts", pa.table({"pid": distinct(np.asarray(pids, dtype=np.int32))}))
    try:
        rows = con.execute(
            "SELECT p.pid, p.post_id, a.account_id, p.t, p.text FROM posts p "
            "JOIN _want_posts w ON w.pid = p.pid JOIN accounts a ON a.aid = p.aid"
        ).fetchall()
    finally:
        con.unregister("_want_posts")
    return {int(r[0]): (str(r[1]), str(r[2]), float(r[3]), r[4]) for r in rows}


@dataclass(frozen=True)
class _Internal:
    """What lies inside clusters: edge counts and weights per cluster, each account's
    partners, and the evidence rows (indices) grouped by cluster."""

    edge_count: npt.NDArray[np.int64]
    edge_weight: npt.NDArray[np.float64]
    degree: npt.NDArray[np.int64]
    rows: npt.NDArray[np.int64]  # evidence indices, sorted by cluster
    cluster: npt.NDArray[np.int64]  # the cluster of each of those rows
    bounds: npt.NDArray[np.int64]  # rows[bounds[c]:bounds[c + 1]] belong to cluster c


def _internal(edges: Edges, evidence: Evidence, label: npt.NDArray[np.int64], k: int) -> _Internal:
    la, lb = label[edges.a], label[edges.b]
    inside = (la >= 0) & (la == lb)
    ea, eb = label[evidence.a], label[evidence.b]
    rows = np.flatnonzero((ea >= 0) & (ea == eb))
    order = np.argsort(ea[rows], kind="stable")
    rows, cluster = rows[order], ea[rows][order]
    return _Internal(
        edge_count=np.bincount(la[inside], minlength=k),
        edge_weight=np.asarray(
            np.bincount(la[inside], weights=edges.weight[inside], minlength=k), dtype=np.float64
        ),
        degree=np.bincount(np.r_[edges.a[inside], edges.b[inside]], minlength=label.size),
        rows=rows,
        cluster=cluster,
        bounds=np.searchsorted(cluster, np.arange(k + 1)),
    )


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
    occ: Occurrences, evidence: Evidence, inside: _Internal, label: npt.NDArray[np.int64]
) -> _ClusterItems:
    n_items = max(occ.n_items, 1)
    key = inside.cluster * n_items + evidence.item[inside.rows]
    sig = evidence.signal[inside.rows].astype(np.int64)
    order = np.lexsort((sig, key))  # identical text (code 0) wins over near-identical (1)
    key, sig = key[order], sig[order]
    head = np.r_[True, key[1:] != key[:-1]] if key.size else np.empty(0, dtype=bool)
    keys, signal = key[head], sig[head]

    o_cl = label[occ.aid]
    o_key = np.where(o_cl >= 0, o_cl * n_items + occ.item, -1)
    found = np.zeros(o_key.size, dtype=bool)
    if keys.size:
        pos = np.minimum(np.searchsorted(keys, o_key), keys.size - 1)
        found = (o_cl >= 0) & (keys[pos] == o_key)
    rows = np.flatnonzero(found)
    rows = rows[np.argsort(o_key[rows], kind="stable")]  # occ order keeps (t, pid) in a key
    rkey = o_key[rows]
    row_start = np.searchsorted(rkey, keys)
    posts = np.diff(np.r_[row_start, rkey.size]).astype(np.int64)
    # Distinct accounts per key: sort (key, account) and count the changes.
    by_account = np.lexsort((occ.aid[rows], rkey))
    k_s, a_s = rkey[by_account], occ.aid[rows][by_account]
    first = np.r_[True, (k_s[1:] != k_s[:-1]) | (a_s[1:] != a_s[:-1])] if k_s.size else k_s > 0
    accounts = np.zeros(keys.size, dtype=np.int64)
    np.add.at(accounts, np.searchsorted(keys, k_s[first]), 1)
    return _ClusterItems(keys, signal, accounts, posts, row_start, rows)


def _segment_medians(
    values: npt.NDArray[np.float64], bounds: npt.NDArray[np.int64]
) -> npt.NDArray[np.float64]:
    """Median of values[bounds[c]:bounds[c + 1]] for every c, in one sort (0 when empty)."""
    seg = np.repeat(np.arange(bounds.size - 1), np.diff(bounds))
    ordered = values[np.lexsort((values, seg))]
    lo, n = bounds[:-1], np.diff(bounds)
    out = np.zeros(n.size, dtype=np.float64)
    has = n > 0
    left = ordered[lo[has] + (n[has] - 1) // 2]
    right = ordered[lo[has] + n[has] // 2]
    out[has] = (left + right) / 2
    return out


_TEXT = ALL_SIGNALS.index("text")
_NEAR = ALL_SIGNALS.index("near_text")


def _copied_texts(occ: Occurrences, rows: npt.NDArray[np.int64]) -> set[int] | None:
    """The exact texts (occ.sub) of a near-identical item that two or more member accounts
    posted word for word; None when the item is not a group of near-identical texts."""
    if not occ.split_near:
        return None
    subs = occ.sub[rows].astype(np.int64)
    if subs.size == 0 or int(subs.min()) < 0:
        return None
    pairs = distinct(subs * (int(occ.aid.max()) + 1) + occ.aid[rows].astype(np.int64))
    per_sub = pairs // (int(occ.aid.max()) + 1)
    values, counts = np.unique(per_sub, return_counts=True)
    return {int(v) for v in values[counts >= 2]}


@dataclass
class _Plan:
    """One cluster's top items and example posts, before labels and texts are fetched."""

    top: dict[int, list[tuple[int, int, int]]]  # signal -> [(item, accounts, posts)]
    examples: list[tuple[int, int, int]]  # (pid, item, signal)
    signals: dict[str, int]


def _plan(ci: _ClusterItems, lo: int, hi: int, occ: Occurrences) -> _Plan:
    n_items = max(occ.n_items, 1)
    rank = lo + np.lexsort((ci.keys[lo:hi], -ci.posts[lo:hi], -ci.accounts[lo:hi]))
    top: dict[int, list[tuple[int, int, int]]] = {}
    for r in rank.tolist():
        lst = top.setdefault(int(ci.signal[r]), [])
        if len(lst) < TOP_ITEMS:
            lst.append((int(ci.keys[r] % n_items), int(ci.accounts[r]), int(ci.posts[r])))
    examples: list[tuple[int, int, int]] = []
    for r in rank[:DETAIL_EXAMPLES].tolist():
        start = int(ci.row_start[r])
        item_rows = ci.rows[start : start + int(ci.posts[r])]
        copied = _copied_texts(occ, item_rows) if int(ci.signal[r]) == _TEXT else None
        seen: set[int] = set()
        # The earliest posts of different accounts carrying the item (5 at most per item).
        for row in item_rows[:200].tolist():
            account = int(occ.aid[row])
            if account not in seen:
                seen.add(account)
                # Each post labelled by what it matched: under an item of identical copies
                # that also holds near-identical variants, a variant is near-identical text.
                sig = int(ci.signal[r])
                if copied is not None and int(occ.sub[row]) not in copied:
                    sig = _NEAR
                examples.append((int(occ.pid[row]), int(ci.keys[r] % n_items), sig))
                if len(seen) >= 5 or len(examples) >= DETAIL_EXAMPLES:
                    break
        if len(examples) >= DETAIL_EXAMPLES:
            break
    counts = np.bincount(ci.signal[lo:hi], minlength=len(ALL_SIGNALS)).tolist()
    signals = {ALL_SIGNALS[i]: int(n) for i, n in enumerate(counts) if n}
    return _Plan(top, examples, signals)


@dataclass(frozen=True)
class ClusterRecord:
    """A described cluster as an analysis keeps it: the detail without its member list
    (members are stored as rows, not as objects) and the members as arrays."""

    detail: ClusterDetail  # members == ()
    member_aid: npt.NDArray[np.int32]
    member_posts: npt.NDArray[np.int64]  # distinct posts carrying items co-shared in the cluster
    member_partners: npt.NDArray[np.int64]  # linked accounts inside the cluster

    @property
    def id(self) -> str:
        return self.detail.id


@dataclass(frozen=True)
class DescribeInput:
    """Everything `describe` needs about one finished graph."""

    dataset: str
    data_sha: str
    analysis_id: str
    created_at: float
    params: AnalysisParams
    window: float
    occ: Occurrences
    edges: Edges
    evidence: Evidence
    groups: list[npt.NDArray[np.int32]]
    n_accounts: int


def describe(
    con: duckdb.DuckDBPyConnection, d: DescribeInput
) -> tuple[list[ClusterRecord], npt.NDArray[np.int64]]:
    """Every cluster described, best first, and the cluster index of every account id
    (-1 outside reported clusters) in that order."""
    k = len(d.groups)
    label = np.full(max(d.n_accounts, 1), -1, dtype=np.int64)
    for c, group in enumerate(d.groups):
        label[group] = c
    if k == 0:
        return [], label
    inside = _internal(d.edges, d.evidence, label, k)
    ci = _cluster_items(d.occ, d.evidence, inside, label)
    bounds = np.searchsorted(ci.keys, np.arange(k + 1) * max(d.occ.n_items, 1))
    member_posts = np.zeros(label.size, dtype=np.int64)
    if ci.rows.size:  # distinct member posts carrying an item co-shared in their cluster
        owner = np.zeros(int(d.occ.pid.max()) + 1, dtype=np.int64)
        owner[d.occ.pid[ci.rows]] = d.occ.aid[ci.rows] + 1  # a post has one account
        member_posts = np.bincount(owner[owner > 0] - 1, minlength=label.size)
    medians = _segment_medians(d.evidence.lag[inside.rows], inside.bounds)
    span_first, span_last = co_post_spans(ci.rows, d.occ, label, d.window, k)
    plans = [_plan(ci, int(bounds[c]), int(bounds[c + 1]), d.occ) for c in range(k)]
    wanted = [it for p in plans for lst in p.top.values() for it, _, _ in lst]
    wanted += [it for p in plans for _, it, _ in p.examples]
    labels = item_labels(con, np.asarray(wanted, dtype=np.int64))
    posts = _posts(con, [pid for p in plans for pid, _, _ in p.examples])
    accounts = _accounts(con, np.concatenate(d.groups))
    horizon = d.params.new_account_days * DAY
    # Every member's account facts, looked up once and split by cluster.
    member_at = np.split(
        accounts.index(np.concatenate(d.groups)), np.cumsum([g.size for g in d.groups])[:-1]
    )
    ids_by_cluster = [accounts.account_id[at].tolist() for at in member_at]
    records: list[ClusterRecord] = []
    for c, group in enumerate(d.groups):
        plan = plans[c]
        sl = inside.rows[inside.bounds[c] : inside.bounds[c + 1]]
        size = int(group.size)
        n_e = int(inside.edge_count[c])
        total_w = float(inside.edge_weight[c])
        at = member_at[c]
        member_ids = sorted(ids_by_cluster[c])
        created = accounts.created[at]
        known = ~np.isnan(created)
        new = known & (accounts.first_t[at] - np.where(known, created, 0.0) <= horizon)
        examples = [
            EvidencePost(
                post[0],
                post[1],
                post[2],
                post[3],
                ALL_SIGNALS[sg],
                own_label(ALL_SIGNALS[sg], labels.get(item, ""), post[3]),
            )
            for pid, item, sg in plan.examples
            if (post := posts.get(pid)) is not None
        ]
        detail = ClusterDetail(
            id=cluster_id(d.dataset, d.data_sha, d.params, member_ids),
            size=size,
            accounts=tuple(member_ids),
            signals=plan.signals,
            # The kept co-posts lie inside the span: min/max with them guards the empty case.
            first_seen=float(
                np.fmin(span_first[c], min(d.evidence.t_a[sl].min(), d.evidence.t_b[sl].min()))
            ),
            last_seen=float(
                np.fmax(span_last[c], max(d.evidence.t_a[sl].max(), d.evidence.t_b[sl].max()))
            ),
            score=score(total_w),
            examples=tuple(
                Example(e.post_id, e.account_id, e.time, e.text)
                for e in distinct_posts(examples)[:SUMMARY_EXAMPLES]
            ),
            dataset=d.dataset,
            analysis_id=d.analysis_id,
            params=d.params,
            window_s=d.window,
            members=(),
            edges=n_e,
            density=round(n_e / (size * (size - 1) / 2), 4),
            total_weight=round(total_w, 4),
            co_posts=int(d.evidence.n[sl].sum()),
            median_lag_s=float(medians[c]),
            new_accounts=int(new.sum()),
            accounts_with_creation_date=int(known.sum()),
            top_items={
                ALL_SIGNALS[sg]: tuple(
                    TopItem(ALL_SIGNALS[sg], labels.get(it, ""), acc, pc) for it, acc, pc in lst
                )
                for sg, lst in sorted(plan.top.items())
            },
            evidence_examples=tuple(sorted(examples, key=lambda e: (e.time, e.post_id))),
            analysed_at=d.created_at,
        )
        records.append(ClusterRecord(detail, group, member_posts[group], inside.degree[group]))
    ranking = sorted(
        range(k),
        key=lambda c: (
            -records[c].detail.score,
            -records[c].detail.size,
            records[c].id,
        ),
    )
    remap = np.empty(k, dtype=np.int64)
    remap[np.asarray(ranking, dtype=np.int64)] = np.arange(k)
    new_label = np.where(label >= 0, remap[np.maximum(label, 0)], -1)
    return [records[c] for c in ranking], new_label
