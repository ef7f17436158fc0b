"""Coordination questions answered from the stored analysis, every sentence citing its
evidence: the posts behind it (verbatim) or a fact of the analysis, stated as such.

`CoordinationAnswerer.answer` returns None when a question is not about the analysed
datasets (the Assistant then answers it from reporting), and otherwise the answer with the
question's route (patterns/questions.py): whether the reporting may answer it too. Names
are matched exactly against the stored data; another scope's datasets are never opened.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from bot.age_answers import describe_ages
from bot.analysis_facts import (
    SHOWN_NAMESAKES,
    SIGNAL_NOUNS,
    CitedSentences,
    describe_account,
    describe_cluster,
    describe_members,
    say_namesakes,
    settings_phrase,
)
from bot.cluster_overview import SHOWN_CLUSTERS, describe_clusters
from bot.item_answers import paired, posters, text_posters
from bot.profile_answers import describe_account_fact
from common.errors import NotFoundError
from common.wording import plural
from patterns import queries as q
from patterns.queries.accounts import account_posts
from patterns.question_kinds import COORDINATING_WORDS
from patterns.questions import Intent, Question, Route, parse
from retrieval.citations import Answer

if TYPE_CHECKING:
    from patterns.reader import AnalysisReader

SORT_WORDS = {
    "size": "biggest",
    "score": "highest-scoring",
    "new": "newest-account",
}
ITEM_NOUNS = {"url": "link", "hashtag": "hashtag", "text": "text", "image": "image", "post": "post"}
# Dataset names that are also words questions use: they count only beside "dataset".
COMMON_WORDS = frozenset(
    "a an the in on of at to by for from with and or is are was be it its this that who "
    "what which how many most all any one new top set data posts accounts cluster "
    "clusters group".split()
)


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


def _not_ours(question: Question, names: Sequence[str]) -> Answer:
    """No answer, only a note of what the datasets do hold, for a question only the
    reporting answers (who paid for or ran something)."""
    if question.intent == "item" and question.subject:
        value = question.subject
        shown = f"#{value.lstrip('#')}" if question.item_kind == "hashtag" else value
        ask = f"Which accounts posted {shown}?"
    elif question.intent == "account" and question.subject:
        ask = f"Who is {question.subject} coordinating with?"
    else:
        ask = "Which accounts are coordinating?"
    held = f"dataset {names[0]} shows" if len(names) == 1 else f"datasets {', '.join(names)} show"
    note = (
        f"{held} who posted what and when, not who paid for or ran it; for the accounts, ask: {ask}"
    )
    return Answer(question.text, "", "extractive", refused=True, citations=[], notes=[note])


def _routed(question: Question, chosen: Sequence[str]) -> Question:
    """The facts of one account are in the dataset and may be in the reporting too; a
    question naming a dataset asks it which of its accounts coordinate."""
    if question.account_fact is not None:
        return replace(question, route="either")
    if question.intent == "members" and not question.cluster_ids and chosen:
        return replace(question, route="dataset")
    return question


@dataclass(frozen=True)
class DatasetAnswer:
    answer: Answer
    route: Route  # "dataset": this is the answer; otherwise the reporting may answer too
    found: bool  # False when an item asked about was shared by no linked accounts


class CoordinationAnswerer:
    def __init__(self, reader: AnalysisReader) -> None:
        self.patterns = reader

    def answer(self, text: str, scope: str) -> DatasetAnswer | None:
        names = self.patterns.dataset_names(scope)
        if not names:
            return None
        asked = self._asked(text, scope, names)
        if asked is None:
            return None
        question, chosen = asked
        targets = chosen or names
        if question.route == "reporting_only":  # "Who paid for #X?": who posted it is no answer
            return DatasetAnswer(_not_ours(question, targets), "reporting_only", found=False)
        question = _routed(question, chosen)
        b = CitedSentences()
        found = True  # an item shared by linked accounts, or any other answer
        if question.intent == "account":
            self._account(b, question, scope, targets)
        elif question.intent == "item":
            found = self._item(b, question, scope, targets)
        elif question.intent == "members" and not question.cluster_ids:
            self._coordinating(b, scope, targets)
        elif question.intent in ("cluster", "members"):
            self._cluster(b, question, scope, targets)
        elif question.intent == "top":
            self._top(b, question, scope, targets)
        elif question.intent == "ages":
            self._ages(b, question, scope, targets)
        else:
            self._count(b, scope, targets)
        # A question about ages that names a dataset asks it: "harbor" in "Which accounts in
        # harbor are new?" is no word of ages, but it is not a fact the reporting holds.
        route: Route = "dataset" if chosen and question.intent == "ages" else question.route
        return DatasetAnswer(b.answer(text), route, found)

    # -- helpers ----------------------------------------------------------------------
    def _asked(
        self, text: str, scope: str, names: Sequence[str]
    ) -> tuple[Question, list[str]] | None:
        """What the question asks of these datasets, and the ones it names; None when it
        is not about them."""
        question = parse(text)
        chosen = named_datasets(question, names)
        if question.intent is None and not (chosen and question.about_coordination):
            account = self._mentioned_account(question, scope, chosen or names)
            if account is None:
                return None
            question = replace(question, intent="account", subject=account)
        if question.intent is None:  # "show me the clusters": the best ones, by score
            intent: Intent = "top" if re.search(r"\bclusters?\b", question.text, re.I) else "count"
            question = replace(question, intent=intent, sort="score")
        if question.intent == "members" and not question.cluster_ids:
            # "Which accounts posted together with kb_voice01?" asks for that account's ties.
            account = self._mentioned_account(question, scope, chosen or names, COORDINATING_WORDS)
            if account is not None:
                question = replace(question, intent="account", subject=account, route="dataset")
        return question, chosen

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
        self, b: CitedSentences, scope: str, names: Sequence[str]
    ) -> Iterator[tuple[str, q.AnalysisRef]]:
        """The analysed datasets among `names`; the others are said to be unanalysed."""
        for name, ref in self._analysed(scope, names):
            if ref is None:
                self._not_analysed(b, name)
            else:
                yield name, ref

    def _mentioned_account(
        self,
        question: Question,
        scope: str,
        names: Sequence[str],
        skip: frozenset[str] = frozenset(),
    ) -> str | None:
        """A token of the question that is an account name exactly: any token when the
        question is about coordination, otherwise only tokens that cannot be ordinary
        words (an @handle, a digit or _ inside, mixed case like BigSeanBeast), so that
        "What did Bloomberg say?" stays a reporting question; never the words in `skip`."""
        candidates = [
            w
            for w in question.words
            if len(w) >= 2
            and (question.about_coordination or _name_like(w))
            and w.lower() not in skip
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

    def _not_analysed(self, b: CitedSentences, name: str) -> None:
        b.say(f"Dataset {name} has not been analysed yet; run chorus analyze {name}")

    # -- intents ----------------------------------------------------------------------
    def _account(
        self, b: CitedSentences, question: Question, scope: str, names: Sequence[str]
    ) -> None:
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
                if len(found) > 1:  # a display name many accounts share: never pick one
                    say_namesakes(b, ref, subject, found)
                for account in found[:SHOWN_NAMESAKES]:
                    if question.account_fact is not None:  # when created, what it posted
                        posts = account_posts(con, account)
                        describe_account_fact(b, ref, posts, question.account_fact)
                        continue
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

    def _item(
        self, b: CitedSentences, question: Question, scope: str, names: Sequence[str]
    ) -> bool:
        """Who shared the item, in each dataset; whether any linked accounts did."""
        kind = question.item_kind or "text"
        value = question.subject or ""
        noun = ITEM_NOUNS[kind]
        shown_value = f"#{value.lstrip('#')}" if kind == "hashtag" else value
        if kind == "text":
            shown_value = f'"{value}"'
        results = []
        for name, ref in self._each(b, scope, names):
            with self.patterns.reading(scope, name) as (con, _):
                results.append((name, ref, q.item_sharers(con, ref, kind, value)))
        found = any(r.sharers for _, _, r in results)  # linked accounts shared it
        if any(r.posted_by for _, _, r in results):  # say nothing of datasets without it
            results = [(n, ref, r) for n, ref, r in results if r.posted_by]
        for name, ref, result in results:
            what = f"the {noun} {shown_value}"
            if not result.posted_by:
                if kind == "text":
                    what += " (in whole, in part or near-identically)"
                n = b.cite(
                    ref,
                    f"Analysis of dataset {name}: none of its {ref.posts:,} posts carries {what}.",
                )
                b.say(f"No post in dataset {name} has {what}", n)
                continue
            if kind == "text":
                text_posters(b, ref, result, what)
            else:
                posters(b, ref, result, what)
            paired(b, ref, result)
        return found

    def _cluster(
        self, b: CitedSentences, question: Question, scope: str, names: Sequence[str]
    ) -> None:
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

    def _coordinating(self, b: CitedSentences, scope: str, names: Sequence[str]) -> None:
        """Which accounts are coordinating: each dataset's clusters, strongest first."""
        for name, ref in self._each(b, scope, names):
            with self.patterns.reading(scope, name) as (con, _):
                rows = q.cluster_rows(con, ref)
                details = [
                    self.patterns.detail(con, ref, r.cluster_id) for r in rows[:SHOWN_CLUSTERS]
                ]
            shown = [d for d in details if d is not None]
            describe_clusters(b, ref, shown, len(rows))

    def _top(self, b: CitedSentences, question: Question, scope: str, names: Sequence[str]) -> None:
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

    def _ages(
        self, b: CitedSentences, question: Question, scope: str, names: Sequence[str]
    ) -> None:
        for name, ref in self._each(b, scope, names):
            with self.patterns.reading(scope, name) as (con, _):
                ages = q.account_ages(con, ref, period_days=question.period_days)
            describe_ages(b, ref, ages)

    def _count(self, b: CitedSentences, scope: str, names: Sequence[str]) -> None:
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
