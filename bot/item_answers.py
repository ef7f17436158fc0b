"""The sentences of an item answer: who posted a link, hashtag, image or text in a dataset,
by how each post matches, and which of the posters the analysis linked."""

from __future__ import annotations

from collections.abc import Sequence

from bot.analysis_facts import (
    SHOWN_ACCOUNTS,
    CitedSentences,
    name_list,
    settings_phrase,
)
from common.wording import plural, window_text
from patterns import queries as q

SHOWN_CLUSTERS = 3


def _some(labels: Sequence[str], total: int, limit: int = SHOWN_ACCOUNTS) -> str:
    """The first `limit` labels, and how many more of `total` there are."""
    shown = list(labels[:limit])
    more = total - len(shown)
    return ", ".join(shown) + (f" and {more:,} more" if more > 0 else "")


def _poster_names(posters: Sequence[q.Poster], limit: int) -> list[str]:
    """Labels, the first `limit` (chosen closest match and most posts first) put in
    account-id order, so a listed group reads like a cluster's Members section."""
    head = sorted(posters[:limit], key=lambda p: p.account.account_id)
    return [p.account.label for p in (*head, *posters[limit:])]


def posters(b: CitedSentences, ref: q.AnalysisRef, r: q.ItemSharers, what: str) -> None:
    """How many accounts' stored posts carry the item: all of them, paired or not."""
    labels = _poster_names(r.posters, 40)
    n = b.cite(
        ref,
        f"Analysis of dataset {ref.dataset}: {r.posted_by:,} of its {ref.accounts:,} accounts "
        f"{_have(r.posted_by)} posts that carry {what}: {_some(labels, r.posted_by, 40)}.",
        post_ids=[p.example.post_id for p in r.posters[:40]],
    )
    b.say(f"In dataset {ref.dataset}, {plural(r.posted_by, 'account')} shared {what}", n)


MATCH_PHRASES = {
    "exact": "with that very text",
    "contains": "with a post that contains it",
    "near-identical": "with a near-identical text",
}


def _have(count: int) -> str:
    """The verb after "N of its accounts": one account has, several have."""
    return "has" if count == 1 else "have"


def text_posters(b: CitedSentences, ref: q.AnalysisRef, r: q.ItemSharers, what: str) -> None:
    """Who posted a text: every account whose posts hold it, by how each matches (the whole
    text, a part of a longer post, or near-identical), one post of each kind quoted."""
    labels = _poster_names(r.posters, 40)
    n = b.cite(
        ref,
        f"Analysis of dataset {ref.dataset}: {r.posted_by:,} of its {ref.accounts:,} accounts "
        f"{_have(r.posted_by)} posts that hold {what} (case, punctuation and spacing aside), "
        f"in whole, in part or near-identically: {_some(labels, r.posted_by, 40)}.",
        post_ids=[p.example.post_id for p in r.posters[:40]],
    )
    parts = []
    for match in q.TEXT_MATCHES:
        count = r.by_match.get(match, 0)
        if not count:
            continue
        mine = [p for p in r.posters if p.match == match]
        m = b.cite_post(ref, mine[0].example, None) if mine else n
        names = _some(_poster_names(mine, SHOWN_ACCOUNTS), count)
        parts.append(f"{count:,} {MATCH_PHRASES[match]} ({names})[{m}]")
    b.say(
        f"In dataset {ref.dataset}, {plural(r.posted_by, 'account')} posted {what} "
        f"(case, punctuation and spacing aside)[{n}]: " + "; ".join(parts)
    )


def paired(b: CitedSentences, ref: q.AnalysisRef, r: q.ItemSharers) -> None:
    """Which of the posters shared it within the window in pairs the analysis linked, and
    in which clusters; how many did not."""
    window = window_text(ref.window_s)
    if not r.sharers:
        n = b.cite(
            ref,
            f"Analysis of dataset {ref.dataset} ({settings_phrase(ref)}): no linked pair of "
            "accounts shared it within the window.",
        )
        who = "None of them posted it" if r.posted_by > 1 else "That account did not post it"
        b.say(
            f"{who} within {window} of another account as part of a link the analysis found",
            n,
        )
        return
    # Names listed as the cluster's Members section lists them (r.sharers runs by paired
    # posts, which reads as no order at all).
    by_member = sorted(r.sharers, key=lambda s: s.member_order)
    labels = [s.account.label for s in by_member]
    fact = (
        f"Analysis of dataset {ref.dataset} ({settings_phrase(ref)}): {len(r.sharers)} of the "
        f"{r.posted_by:,} accounts posted it within the window of another account's post of "
        f"it, in pairs of accounts the analysis linked: {name_list(labels, 40)}."
    )
    n = b.cite(ref, fact, post_ids=[e.post_id for s in r.sharers for e in s.posts])
    them = f"All {len(r.sharers)} of them" if not r.unpaired else f"{len(r.sharers)} of them"
    b.say(f"{them} posted it within {window} of another account, in pairs the analysis linked", n)
    # Clusters in sharer order (most paired posts first), each one's names in member order.
    clusters: dict[str | None, list[str]] = {s.cluster_id: [] for s in r.sharers}
    for s in by_member:
        clusters[s.cluster_id].append(s.account.label)
    in_clusters = [c for c in clusters if c is not None]
    for cid in in_clusters[:SHOWN_CLUSTERS]:
        example = next(s.posts[0] for s in r.sharers if s.cluster_id == cid)
        m = b.cite_post(ref, example, cid)
        b.say(f"In cluster {cid}: {name_list(clusters[cid])}", m)
    if len(in_clusters) > SHOWN_CLUSTERS:
        b.say(f"They are spread over {plural(len(in_clusters), 'cluster')} in all")
    loose = clusters.get(None, [])
    if loose:
        b.say(f"In no cluster: {name_list(loose)}", n)
    if r.unpaired:
        others = "account is" if r.unpaired == 1 else f"{r.unpaired:,} accounts are"
        b.say(
            f"The other {others} in no linked pair that posted it within {window} "
            f"(a link needs min-shared {ref.params.min_shared:g} distinct items)",
            n,
        )
