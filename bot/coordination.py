"""Coordination questions answered from the stored analysis, every sentence citing its
evidence: the posts behind it (verbatim) or a fact of the analysis, stated as such.

`CoordinationAnswerer.answer` returns None when a question is not about the analysed
datasets (the Assistant then answers it from reporting). Names are matched exactly
against the stored data; another scope's datasets are never opened.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from common.errors import NotFoundError
from common.wording import plural
from patterns import queries as q
from patterns.questions import Intent, Question, parse
from patterns.results import SIGNAL_LABELS, ClusterDetail, Example, image_distance, iso
from retrieval.citations import Answer, Citation

if TYPE_CHECKING:
    from patterns.reader import AnalysisReader

SORT_WORDS = {
    "size": "biggest",
    "score": "highest-scoring",
    "new": "newest-account",
}
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
ITEM_NOUNS = {"url": "link", "hashtag": "hashtag", "text": "text", "image": "image", "post": "post"}
# Dataset names that are also words questions use: they count only beside "dataset".
COMMON_WORDS = frozenset(
    "a an the in on of at to by for from with and or is are was be it its this that who "
    "what which how many most all any one new top set data posts accounts cluster "
    "clusters group".split()
)
SHOWN_ACCOUNTS = 12
SHOWN_CLUSTERS = 3


def _seconds(x: float) -> str:
    return f"{x:g} s"


def settings_phrase(ref: q.AnalysisRef) -> str:
    p = ref.params
    auto = " (estimated)" if p.window_s == "auto" else ""
    return (
        f"window {_seconds(ref.window_s)}{auto}, min-shared {p.min_shared:g}, "
        f"min-accounts {p.min_accounts}{image_distance(p)}"
    )


def _clip(text: str | None, width: int = 120) -> str:
    flat = " ".join((text or "").split())
    return flat if len(flat) <= width else flat[: width - 1] + "…"


def _post_fact(e: Example) -> str:
    return f"{e.account_id} post {e.post_id} at {iso(e.time)}"


@dataclass
class _Builder:
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
                url="",
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
        """A sentence, its citation markers before the closing full stop."""
        markers = "".join(f"[{m}]" for m in marks)
        body = sentence.rstrip()
        end = body[-1] if body and body[-1] in ".?!" else "."
        self.sentences.append(f"{body.rstrip('.?!')}{markers}{end}")

    def answer(self, question: str) -> Answer:
        return Answer(
            question=question,
            answer=" ".join(self.sentences),
            mode="extractive",
            refused=False,
            citations=self.citations,
            evidence=1.0,
        )


def _names(accounts: Sequence[str], limit: int = SHOWN_ACCOUNTS) -> str:
    shown = list(accounts[:limit])
    more = len(accounts) - len(shown)
    text = ", ".join(shown)
    return text + (f" and {more} more" if more > 0 else "")


def _signals(signals: dict[str, int]) -> str:
    parts = [
        f"{n:,} {SIGNAL_NOUNS.get(s, s) if n != 1 else SIGNAL_NOUNS.get(s, s).rstrip('s')}"
        for s, n in sorted(signals.items(), key=lambda kv: (-kv[1], kv[0]))
    ]
    return ", ".join(parts) or "nothing"


def _item_phrase(item: q.SharedItem) -> str:
    label = _clip(item.label, 80)
    what = SIGNAL_LABELS.get(item.signal, item.signal)
    return f'{what} "{label}"'


def _name_like(word: str) -> bool:
    return (
        word.startswith("@")
        or any(c.isdigit() or c == "_" for c in word)
        or any(c.isupper() for c in word[1:])
    )


def _dataset_words(name: str) -> set[str]:
    return {p for p in re.split(r"[_\-. ]+", name.lower()) if p}


def _beside_dataset(name: str, text: str) -> bool:
    n = re.escape(name)
    return bool(re.search(rf"\b(?:dataset|data set) {n}(?![\w/])|(?<![\w/]){n} dataset\b", text))


def named_datasets(question: Question, names: Sequence[str]) -> list[str]:
    """Datasets the question names: a whole name written in it, or (only beside the word
    "dataset" or "set") one part of exactly one name, like "german" for german_elections."""
    flat = question.text
    exact = [
        n
        for n in names
        if (re.search(rf"(?<![\w/]){re.escape(n)}(?![\w/])", flat) or n in question.words)
        and (n.lower() not in COMMON_WORDS or _beside_dataset(n, flat))  # "a": as "dataset a"
    ]
    if exact:
        longest = max(len(n) for n in exact)  # "a/cluster/b" over "a" when both appear
        return [n for n in exact if len(n) == longest or not any(n in m for m in exact if m != n)]
    near = re.findall(r"\b(\w+) (?:dataset|data set|set|data)\b", flat, re.I)
    near += re.findall(r"\b(?:dataset|data set) (\w+)", flat, re.I)
    hits = {n for n in names for w in near if w.lower() in _dataset_words(n)}
    return sorted(hits) if len(hits) == 1 else []


class CoordinationAnswerer:
    def __init__(self, reader: AnalysisReader) -> None:
        self.patterns = reader

    def answer(self, text: str, scope: str) -> Answer | None:
        names = self.patterns.dataset_names(scope)
        if not names:
            return None
        question = parse(text)
        chosen = named_datasets(question, names)
        if question.intent is None and not (chosen and question.about_coordination):
            found = self._mentioned_account(question, scope, chosen or names)
            if found is None:
                return None
            question = Question(question.text, "account", subject=found, words=question.words)
        if question.intent is None:  # "show me the clusters": the best ones, by score
            intent: Intent = "top" if re.search(r"\bclusters?\b", question.text, re.I) else "count"
            question = Question(question.text, intent, sort="score", words=question.words)
        targets = chosen or names
        b = _Builder()
        if question.intent == "account":
            self._account(b, question, scope, targets)
        elif question.intent == "item":
            self._item(b, question, scope, targets)
        elif question.intent in ("cluster", "members"):
            self._cluster(b, question, scope, targets)
        elif question.intent == "top":
            self._top(b, question, scope, targets)
        else:
            self._count(b, scope, targets)
        return b.answer(text)

    # -- helpers ----------------------------------------------------------------------
    def _analysed(self, scope: str, names: Sequence[str]) -> list[tuple[str, q.AnalysisRef | None]]:
        out = []
        for name in names:
            try:
                with self.patterns.reading(scope, name) as (_, ref):
                    out.append((name, ref))
            except NotFoundError:
                continue
        return out

    def _each(
        self, b: _Builder, scope: str, names: Sequence[str]
    ) -> Iterator[tuple[str, q.AnalysisRef]]:
        """The analysed datasets among `names`; the others are said to be unanalysed."""
        for name, ref in self._analysed(scope, names):
            if ref is None:
                self._not_analysed(b, name)
            else:
                yield name, ref

    def _mentioned_account(
        self, question: Question, scope: str, names: Sequence[str]
    ) -> str | None:
        """A token of the question that is an account name exactly: any token when the
        question is about coordination, otherwise only tokens that cannot be ordinary
        words (an @handle, a digit or _ inside, mixed case like BigSeanBeast), so that
        "What did Bloomberg say?" stays a reporting question."""
        candidates = [
            w
            for w in question.words
            if len(w) >= 2 and (question.about_coordination or _name_like(w))
        ]
        if not candidates:
            return None
        for name in names:
            with self.patterns.reading(scope, name) as (con, ref):
                if ref is None:
                    continue
                found = q.find_accounts(con, candidates)
                if found:
                    by = {a.account_id: a for a in found} | {a.name or "": a for a in found}
                    for w in candidates:
                        if w in by or w.removeprefix("@") in by:
                            return w
        return None

    def _not_analysed(self, b: _Builder, name: str) -> None:
        b.say(f"Dataset {name} has not been analysed yet; run chorus analyze {name}")

    # -- intents ----------------------------------------------------------------------
    def _account(self, b: _Builder, question: Question, scope: str, names: Sequence[str]) -> None:
        subject = question.subject or ""
        seen_any = False
        missing: list[str] = []
        for name in names:
            with self.patterns.reading(scope, name) as (con, ref):
                if ref is None:
                    continue
                found = q.find_accounts(con, [subject])
                if not found:
                    missing.append(name)
                    continue
                seen_any = True
                for account in found[:3]:
                    view = q.account_view(con, ref, account)
                    describe_account(b, ref, view)
        if not seen_any:
            for name, ref in self._each(b, scope, missing or names):
                n = b.cite(
                    ref,
                    f"Analysis of dataset {name}: no account id or display name in its "
                    f"{ref.accounts:,} accounts is {subject}.",
                )
                b.say(f"There is no account named {subject} in dataset {name}", n)

    def _item(self, b: _Builder, question: Question, scope: str, names: Sequence[str]) -> None:
        kind = question.item_kind or "text"
        value = question.subject or ""
        noun = ITEM_NOUNS[kind]
        shown_value = f"#{value.lstrip('#')}" if kind == "hashtag" else value
        results = []
        for name, ref in self._each(b, scope, names):
            with self.patterns.reading(scope, name) as (con, _):
                results.append((name, ref, q.item_sharers(con, ref, kind, value)))
        if any(r.sharers for _, _, r in results):  # say nothing of datasets without it
            results = [(n, ref, r) for n, ref, r in results if r.sharers]
        for name, ref, result in results:
            if not result.sharers:
                if not result.posted_by and kind in ("url", "hashtag", "image"):
                    n = b.cite(
                        ref,
                        f"Analysis of dataset {name}: none of its {ref.posts:,} posts carries "
                        f"the {noun} {shown_value}.",
                    )
                    b.say(f"No post in dataset {name} has the {noun} {shown_value}", n)
                    continue
                posted = (
                    f"{result.posted_by:,} accounts posted it, but " if result.posted_by else ""
                )
                n = b.cite(
                    ref,
                    f"Analysis of dataset {name} ({settings_phrase(ref)}): {posted}no linked "
                    f"pair of accounts shared the {noun} {shown_value} within the window.",
                )
                b.say(
                    f"In dataset {name}, {posted}no accounts shared the {noun} {shown_value} "
                    f"within {_seconds(ref.window_s)} of each other as part of a link the "
                    "analysis found",
                    n,
                )
                continue
            clusters: dict[str | None, list[str]] = {}
            for s in result.sharers:
                clusters.setdefault(s.cluster_id, []).append(s.account.label)
            in_clusters = [c for c in clusters if c is not None]
            fact = (
                f"Analysis of dataset {name} ({settings_phrase(ref)}): {len(result.sharers)} "
                f"accounts shared the {noun} {shown_value} within the window of another "
                f"account's post of it: {_names([s.account.label for s in result.sharers], 40)}."
            )
            post_ids = [e.post_id for s in result.sharers for e in s.posts]
            n = b.cite(ref, fact, post_ids=post_ids)
            b.say(
                f"In dataset {name}, {len(result.sharers)} accounts shared the {noun} "
                f"{shown_value} within {_seconds(ref.window_s)} of another account",
                n,
            )
            for cid in in_clusters[:SHOWN_CLUSTERS]:
                members = clusters[cid]
                example = next(s.posts[0] for s in result.sharers if s.cluster_id == cid)
                m = b.cite_post(ref, example, cid)
                b.say(f"In cluster {cid}: {_names(members)}", m)
            if len(in_clusters) > SHOWN_CLUSTERS:
                b.say(f"They are spread over {plural(len(in_clusters), 'cluster')} in all")
            loose = clusters.get(None, [])
            if loose:
                b.say(f"In no cluster: {_names(loose)}", n)

    def _cluster(self, b: _Builder, question: Question, scope: str, names: Sequence[str]) -> None:
        cid = question.subject or ""
        for name, ref in self._analysed(scope, names):
            if ref is None:
                continue
            with self.patterns.reading(scope, name) as (con, _):
                detail = self.patterns.detail(con, ref, cid)
            if detail is None:
                continue
            if question.intent == "members":
                describe_members(b, ref, detail)
            else:
                describe_cluster(b, ref, detail)
            return
        b.say(f"There is no cluster {cid} in the latest analysis of any dataset here")

    def _top(self, b: _Builder, question: Question, scope: str, names: Sequence[str]) -> None:
        sort = question.sort or "score"
        for name, ref in self._each(b, scope, names):
            with self.patterns.reading(scope, name) as (con, _):
                rows = q.ranked(q.cluster_rows(con, ref), sort)
                if rows and rows[0].measure(sort) > 0:
                    detail = self.patterns.detail(con, ref, rows[0].cluster_id)
                else:
                    detail = None
            if detail is None:
                what = "clusters" if not rows else f"clusters with {SIGNAL_NOUNS.get(sort, sort)}"
                n = b.cite(ref, f"Analysis of dataset {name} ({settings_phrase(ref)}): no {what}.")
                b.say(f"Dataset {name} has no {what} at {settings_phrase(ref)}", n)
                continue
            intro = (
                f"The {SORT_WORDS[sort]} cluster of dataset {name}"
                if sort in SORT_WORDS
                else f"The cluster of dataset {name} with the most {SIGNAL_NOUNS.get(sort, sort)}"
            )
            describe_cluster(b, ref, detail, intro=intro, sort=sort, rows=rows)

    def _count(self, b: _Builder, scope: str, names: Sequence[str]) -> None:
        for name, ref in self._each(b, scope, names):
            n = b.cite(
                ref,
                f"Analysis of dataset {name} ({settings_phrase(ref)}): "
                f"{plural(ref.clusters, 'cluster')} "
                f"among {plural(ref.accounts, 'account')} and {plural(ref.posts, 'post')}.",
            )
            b.say(
                f"Dataset {name} has {plural(ref.clusters, 'coordination cluster')} at "
                f"{settings_phrase(ref)}",
                n,
            )


def _measure_phrase(row: q.ClusterRow, sort: str) -> str:
    if sort == "new":
        if not row.with_dates:
            return "no account creation dates"
        return f"{row.new_accounts} of {row.with_dates} accounts new"
    if sort in ("size", "score"):
        return f"{row.size} accounts, score {row.score:g}"
    return f"{row.signals.get(sort, 0)} {SIGNAL_NOUNS.get(sort, sort)}"


def describe_cluster(
    b: _Builder,
    ref: q.AnalysisRef,
    detail: ClusterDetail,
    *,
    intro: str | None = None,
    sort: str = "score",
    rows: Sequence[q.ClusterRow] = (),
) -> None:
    s = detail.summary
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
        f"{s.size} accounts; it shared {_signals(s.signals)}; active from "
        f"{iso(s.first_seen)} to {iso(s.last_seen)}; score {s.score:g}; {new}."
    )
    examples = list(detail.examples)
    n = b.cite(ref, fact, cluster_id=s.id, post_ids=[e.post_id for e in examples])
    head = intro + f" is {s.id}" if intro else f"Cluster {s.id} of dataset {ref.dataset}"
    b.say(
        f"{head}: {s.size} accounts that shared {_signals(s.signals)}, active from "
        f"{iso(s.first_seen)} to {iso(s.last_seen)} (score {s.score:g}; {new})",
        n,
    )
    top = [t for sig in detail.top_items for t in detail.top_items[sig][:2]]
    top.sort(key=lambda t: (-t.accounts, -t.posts, t.value))
    if top:
        parts = "; ".join(
            f'{SIGNAL_LABELS.get(t.signal, t.signal)} "{_clip(t.value, 80)}" '
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
    b.say(f"Members include {_names([m.account_id for m in detail.members], 8)}", n)
    if intro and len(rows) > 1:
        rest = ", ".join(f"{r.cluster_id} ({_measure_phrase(r, sort)})" for r in rows[1:3])
        facts = "; ".join(f"cluster {r.cluster_id}: {_measure_phrase(r, sort)}" for r in rows[1:3])
        m = b.cite(ref, f"Analysis of dataset {ref.dataset} ({settings_phrase(ref)}): {facts}.")
        b.say(f"Next come {rest}, of {plural(len(rows), 'cluster')}", m)


def describe_members(b: _Builder, ref: q.AnalysisRef, detail: ClusterDetail) -> None:
    s = detail.summary
    ids = [m.account_id for m in detail.members]
    n = b.cite(
        ref,
        f"Analysis of dataset {ref.dataset} ({settings_phrase(ref)}): cluster {s.id} "
        f"has {s.size} members: {', '.join(ids)}.",
        cluster_id=s.id,
        post_ids=[e.post_id for e in detail.examples],
    )
    b.say(f"Cluster {s.id} of dataset {ref.dataset} has {s.size} members: {_names(ids, 40)}", n)


def describe_account(b: _Builder, ref: q.AnalysisRef, view: q.AccountView) -> None:
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
            b.say(
                f"Its links to other accounts (items both posted within "
                f"{_seconds(ref.window_s)}, popular items counting less) reach min-shared "
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
        shared = plural(tie.shared, "shared item")
        parts.append(f"{tie.partner.label} ({shared}, {where}: {items}) [{m}]")
    more = view.total_ties - len(view.ties)
    tail = f"; and {plural(more, 'more linked account')}" if more > 0 else ""
    b.sentences.append(f"{lead}: " + "; ".join(parts) + tail + ".")
