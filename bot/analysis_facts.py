"""Sentences about a stored analysis, each citing its evidence: the posts behind it
(verbatim) or a fact of the analysis, stated as such. `CitedSentences` numbers the
citations in order of first use; describe_* say a cluster, its members, an account."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from common.wording import plural, plural_shown, window_text
from patterns import queries as q
from patterns.result_text import SIGNAL_LABELS, image_distance
from patterns.results import ClusterDetail, Example
from patterns.serialise import iso
from retrieval.citations import Answer, Citation, spaced_markers

SIGNAL_NOUNS = {
    "text": "identical texts",
    "near_text": "near-identical texts",
    "url": "links",
    "domain": "link domains",
    "hashtags": "hashtag sets",
    "image": "images",
    "repost": "reposted posts",
    "reply": "replied-to posts",
}
SHOWN_ACCOUNTS = 12
SHOWN_NAMESAKES = 3  # accounts described in full when several share the name asked about


def settings_phrase(ref: q.AnalysisRef) -> str:
    p = ref.params
    auto = " (estimated)" if p.window_s == "auto" else ""
    return (
        f"window {window_text(ref.window_s)}{auto}, min-shared {p.min_shared:g}, "
        f"min-accounts {p.min_accounts}{image_distance(p)}"
    )


def clip(text: str | None, width: int = 120) -> str:
    flat = " ".join((text or "").split())
    return flat if len(flat) <= width else flat[: width - 1] + "…"


def _post_fact(e: Example) -> str:
    return f"{e.account_id} post {e.post_id} at {iso(e.time)}"


@dataclass
class CitedSentences:
    """Sentences and the citations they carry, numbered in order of first use."""

    sentences: list[str] = field(default_factory=list)
    citations: list[Citation] = field(default_factory=list)

    def cite(
        self,
        ref: q.AnalysisRef,
        quote: str,
        *,
        cluster_id: str | None = None,
        post_ids: Sequence[str] = (),
    ) -> int:
        n = len(self.citations) + 1
        title = f"Analysis of dataset {ref.dataset} ({settings_phrase(ref)})"
        if cluster_id:
            title = f"Cluster {cluster_id} in dataset {ref.dataset} ({settings_phrase(ref)})"
        self.citations.append(
            Citation(
                n=n,
                source_id=f"analysis:{ref.analysis_id}",
                title=title,
                origin="",
                quote=quote,
                score=1.0,
                start=0,
                end=len(quote),
                kind="analysis",
                dataset=ref.dataset,
                cluster_id=cluster_id,
                post_ids=tuple(dict.fromkeys(post_ids)),
            )
        )
        return n

    def cite_post(self, ref: q.AnalysisRef, e: Example, cluster_id: str | None) -> int:
        """A post as evidence: its text verbatim, or (no text) the fact that it exists."""
        quote = e.text if e.text and e.text.strip() else f"Stored post: {_post_fact(e)}."
        return self.cite(ref, quote, cluster_id=cluster_id, post_ids=[e.post_id])

    def say(self, sentence: str, *marks: int) -> None:
        """A sentence, its citation markers before the closing full stop (after a space
        where the sentence ends in a link, which they would otherwise lengthen)."""
        markers = "".join(f"[{m}]" for m in marks)
        body = sentence.rstrip()
        end = body[-1] if body and body[-1] in ".?!" else "."
        self.sentences.append(spaced_markers(f"{body.rstrip('.?!')}{markers}{end}"))

    def answer(self, question: str) -> Answer:
        return Answer(
            question=question,
            answer=" ".join(self.sentences),
            mode="extractive",
            refused=False,
            citations=self.citations,
            evidence=1.0,
        )


def name_list(accounts: Sequence[str], limit: int = SHOWN_ACCOUNTS) -> str:
    shown = list(accounts[:limit])
    more = len(accounts) - len(shown)
    text = ", ".join(shown)
    return text + (f" and {more} more" if more > 0 else "")


def signals_phrase(signals: dict[str, int]) -> str:
    parts = [
        f"{n:,} {SIGNAL_NOUNS.get(s, s) if n != 1 else SIGNAL_NOUNS.get(s, s).rstrip('s')}"
        for s, n in sorted(signals.items(), key=lambda kv: (-kv[1], kv[0]))
    ]
    return ", ".join(parts) or "nothing"


def _item_phrase(item: q.SharedItem) -> str:
    label = clip(item.label, 80)
    what = SIGNAL_LABELS.get(item.signal, item.signal)
    theirs = item.post_b.text
    if item.signal == "near_text" and theirs and theirs != item.label:  # each post's own words
        return f'{what} "{label}" and "{clip(theirs, 80)}"'
    return f'{what} "{label}"'


def _measure_phrase(row: q.ClusterRow, sort: str) -> str:
    if sort == "new":
        if not row.with_dates:
            return "no account creation dates"
        return f"{row.new_accounts} of {row.with_dates} accounts new"
    if sort in ("size", "score"):
        return f"{row.size} accounts, score {row.score:g}"
    return f"{row.signals.get(sort, 0)} {SIGNAL_NOUNS.get(sort, sort)}"


def describe_cluster(
    b: CitedSentences,
    ref: q.AnalysisRef,
    detail: ClusterDetail,
    *,
    intro: str | None = None,
    sort: str = "score",
    rows: Sequence[q.ClusterRow] = (),
) -> None:
    s = detail
    share = detail.new_account_share
    new = (
        "account creation dates are not in the dataset"
        if share is None
        else f"{detail.new_accounts} of {detail.accounts_with_creation_date} accounts with a "
        f"creation date were created within {ref.params.new_account_days} days of their "
        "first post"
    )
    fact = (
        f"Analysis of dataset {ref.dataset} ({settings_phrase(ref)}): cluster {s.id} has "
        f"{s.size} accounts; it shared {signals_phrase(s.signals)}; active from "
        f"{iso(s.first_seen)} to {iso(s.last_seen)}; score {s.score:g}; {new}."
    )
    examples = list(detail.evidence_examples)
    n = b.cite(ref, fact, cluster_id=s.id, post_ids=[e.post_id for e in examples])
    head = intro + f" is {s.id}" if intro else f"Cluster {s.id} of dataset {ref.dataset}"
    b.say(
        f"{head}: {s.size} accounts that shared {signals_phrase(s.signals)}, active from "
        f"{iso(s.first_seen)} to {iso(s.last_seen)} (score {s.score:g}; {new})",
        n,
    )
    top = [t for sig in detail.top_items for t in detail.top_items[sig][:2]]
    top.sort(key=lambda t: (-t.accounts, -t.posts, t.value))
    if top:
        parts = "; ".join(
            f'{SIGNAL_LABELS.get(t.signal, t.signal)} "{clip(t.value, 80)}" '
            f"({t.accounts} accounts, {t.posts} posts)"
            for t in top[:4]
        )
        m = b.cite(
            ref,
            f"Analysis of dataset {ref.dataset}: most shared items in cluster {s.id}: {parts}.",
            cluster_id=s.id,
            post_ids=[e.post_id for e in examples],
        )
        b.say(f"Most shared: {parts}", m)
    if examples:
        first = examples[0]
        m = b.cite_post(ref, first, s.id)
        b.say(f"For example {_post_fact(first)}", m)
    b.say(f"Members include {name_list([m.account_id for m in detail.members], 8)}", n)
    if intro and len(rows) > 1:
        rest = ", ".join(f"{r.cluster_id} ({_measure_phrase(r, sort)})" for r in rows[1:3])
        facts = "; ".join(f"cluster {r.cluster_id}: {_measure_phrase(r, sort)}" for r in rows[1:3])
        m = b.cite(ref, f"Analysis of dataset {ref.dataset} ({settings_phrase(ref)}): {facts}.")
        b.say(f"Next come {rest}, of {plural(len(rows), 'cluster')}", m)


def describe_members(b: CitedSentences, ref: q.AnalysisRef, detail: ClusterDetail) -> None:
    s = detail
    ids = [m.account_id for m in detail.members]
    n = b.cite(
        ref,
        f"Analysis of dataset {ref.dataset} ({settings_phrase(ref)}): cluster {s.id} "
        f"has {s.size} members: {', '.join(ids)}.",
        cluster_id=s.id,
        post_ids=[e.post_id for e in detail.evidence_examples],
    )
    b.say(f"Cluster {s.id} of dataset {ref.dataset} has {s.size} members: {name_list(ids, 40)}", n)


def describe_account(b: CitedSentences, ref: q.AnalysisRef, view: q.AccountView) -> None:
    a = view.account
    if a.created_at is None:
        born = "its creation date is not in the dataset"
    else:
        age = (a.first_post - a.created_at) / q.DAY
        born = (
            f"created {iso(a.created_at)}, {age:.0f} days before its first post in the "
            f"dataset{' (a new account)' if view.is_new else ''}"
        )
    if view.cluster is None:
        n = b.cite(
            ref,
            f"Analysis of dataset {ref.dataset} ({settings_phrase(ref)}): account {a.label} "
            f"({plural(a.posts, 'post')}) is in none of the dataset's "
            f"{plural(ref.clusters, 'cluster')}; "
            f"{born}.",
        )
        b.say(f"{a.label} is in no cluster of dataset {ref.dataset} at {settings_phrase(ref)}", n)
    else:
        c = view.cluster
        n = b.cite(
            ref,
            f"Analysis of dataset {ref.dataset} ({settings_phrase(ref)}): account {a.label} "
            f"({plural(a.posts, 'post')}) is a member of cluster {c.cluster_id} "
            f"({c.size} accounts); "
            f"{born}.",
            cluster_id=c.cluster_id,
        )
        b.say(
            f"In dataset {ref.dataset}, {a.label} is in cluster {c.cluster_id} with "
            f"{c.size - 1} other accounts ({born})",
            n,
        )
    if not view.ties:
        if view.cluster is None:
            weighed = (
                "every item counting 1"
                if ref.params.weighting == "count"
                else "popular items counting less"
            )
            b.say(
                f"Its links to other accounts (items both posted within "
                f"{window_text(ref.window_s)}, {weighed}) reach min-shared "
                f"{ref.params.min_shared:g} with none",
                n,
            )
        return
    lead = "Its strongest ties" if view.cluster else "It is still linked to"
    parts = []
    marks = []
    for tie in view.ties:
        items = "; ".join(
            f"{_item_phrase(i)} at {iso(i.post_a.time)} and {iso(i.post_b.time)}" for i in tie.items
        )
        where = "same cluster" if tie.cluster_id else "outside the cluster"
        if view.cluster is None:
            where = "no cluster"
        fact = (
            f"Analysis of dataset {ref.dataset}: {a.account_id} and {tie.partner.account_id} "
            f"shared {plural(tie.shared, 'item')} within the window (weight {tie.weight:g}), "
            "among them "
            + "; ".join(
                f"{_item_phrase(i)}: {_post_fact(i.post_a)} and {_post_fact(i.post_b)}"
                for i in tie.items
            )
            + "."
        )
        m = b.cite(
            ref,
            fact,
            cluster_id=tie.cluster_id,
            post_ids=[p.post_id for i in tie.items for p in (i.post_a, i.post_b)],
        )
        marks.append(m)
        shared = plural_shown(tie.shared, "shared item", len(tie.items))
        parts.append(f"{tie.partner.label} ({shared}, {where}: {items}) [{m}]")
    more = view.total_ties - len(view.ties)
    tail = f"; and {plural(more, 'more linked account')}" if more > 0 else ""
    b.sentences.append(f"{lead}: " + "; ".join(parts) + tail + ".")


def say_namesakes(
    b: CitedSentences, ref: q.AnalysisRef, name: str, found: Sequence[q.Account]
) -> None:
    """Say that several accounts answer to `name` and which, so that a reader never takes
    one account's ties for another's; the first few are described after this."""
    ids = [a.account_id for a in found]
    n = b.cite(
        ref,
        f"Analysis of dataset {ref.dataset}: {len(found):,} accounts have the id or display "
        f"name {name}: {name_list(ids)}.",
    )
    shown = "" if len(found) <= SHOWN_NAMESAKES else f"; the first {SHOWN_NAMESAKES} are described"
    b.say(
        f"{len(found):,} different accounts in dataset {ref.dataset} go by {name} "
        f"(ids {name_list(ids)}){shown}; ask about one id to see only that account",
        n,
    )
