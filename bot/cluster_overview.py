"""Which accounts are coordinating, in one dataset: its clusters, strongest first, each
with its members, what they shared and how close in time, citing the cluster."""

from __future__ import annotations

from collections.abc import Sequence

from bot.analysis_facts import CitedSentences, name_list, settings_phrase, signals_phrase
from common.wording import plural
from patterns import queries as q
from patterns.result_text import seconds
from patterns.results import ClusterDetail
from patterns.serialise import iso

SHOWN_CLUSTERS = 5
SHOWN_MEMBERS = 12


def describe_clusters(
    b: CitedSentences, ref: q.AnalysisRef, details: Sequence[ClusterDetail], total: int
) -> None:
    """The dataset's clusters (`details`: the first few in rank order, of `total`)."""
    where = f"dataset {ref.dataset} ({settings_phrase(ref)})"
    if total == 0:
        n = b.cite(ref, f"Analysis of {where}: no clusters.")
        b.say(f"No accounts are coordinating in {where}: it has no clusters", n)
        return
    members = sum(d.size for d in details)
    counted = "" if len(details) == total else f" (the first {len(details)} of them)"
    n = b.cite(
        ref,
        f"Analysis of {where}: {plural(total, 'cluster')} among "
        f"{plural(ref.accounts, 'account')} and {plural(ref.posts, 'post')}.",
    )
    b.say(
        f"In {where}, {plural(total, 'coordination cluster')} link accounts that posted "
        f"the same items within the window; {plural(members, 'account')} are in "
        f"{'it' if total == 1 else 'them'}{counted}",
        n,
    )
    for d in details:
        ids = [m.account_id for m in d.members]
        m = b.cite(
            ref,
            f"Analysis of dataset {ref.dataset} ({settings_phrase(ref)}): cluster {d.id} has "
            f"{d.size} members: {', '.join(ids)}; it shared {signals_phrase(d.signals)}; "
            f"median lag between linked posts {seconds(d.median_lag_s)}; active from "
            f"{iso(d.first_seen)} to {iso(d.last_seen)}.",
            cluster_id=d.id,
            post_ids=[e.post_id for e in d.evidence_examples],
        )
        b.say(
            f"Cluster {d.id}: {d.size} accounts ({name_list(ids, SHOWN_MEMBERS)}) that shared "
            f"{signals_phrase(d.signals)}, median lag {seconds(d.median_lag_s)}, active from "
            f"{iso(d.first_seen)} to {iso(d.last_seen)}",
            m,
        )
    if total > len(details):
        b.say(
            f"{plural(total - len(details), 'more cluster')}: chorus clusters --dataset "
            f"{ref.dataset}",
            n,
        )
