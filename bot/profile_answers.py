"""The fact asked about one account, from a dataset's stored posts: when it was created,
what it posted (a few posts, with their times), its first or last post. Its cluster and
ties are the answer to other questions (bot/analysis_facts.py `describe_account`)."""

from __future__ import annotations

from bot.analysis_facts import CitedSentences, clip
from common.wording import plural
from patterns import queries as q
from patterns.queries.accounts import AccountPosts
from patterns.question_kinds import AccountFact
from patterns.results import Example
from patterns.serialise import iso


def _span(p: AccountPosts) -> str:
    first = p.earliest[0].time if p.earliest else p.account.first_post
    last = p.last.time if p.last is not None else first
    if p.count <= 1:
        return f"{plural(p.count, 'post')}, at {iso(first)}"
    return f"{plural(p.count, 'post')}, from {iso(first)} to {iso(last)}"


def _post(b: CitedSentences, ref: q.AnalysisRef, e: Example, lead: str) -> None:
    """A post, its text shortened in the sentence and verbatim in the citation."""
    n = b.cite_post(ref, e, None)
    said = f': "{clip(e.text)}"' if e.text and e.text.strip() else ""
    b.say(f"{lead} post {e.post_id} at {iso(e.time)}{said}", n)


def describe_account_fact(
    b: CitedSentences, ref: q.AnalysisRef, posts: AccountPosts, fact: AccountFact
) -> None:
    a = posts.account
    where = f"in dataset {ref.dataset}"
    if a.created_at is None:
        born = "its creation date is not in the dataset"
    else:
        age = a.first_post - a.created_at
        new = age <= ref.params.new_account_days * q.DAY  # as `chorus account` decides
        born = (
            f"created {iso(a.created_at)}, {age / q.DAY:.0f} days before its first post"
            f"{' (a new account)' if new else ''}"
        )
    fact_text = f"Analysis of dataset {ref.dataset}: account {a.label} has {_span(posts)}; {born}."
    ids = [e.post_id for e in posts.earliest]
    one = posts.earliest[0] if fact == "first_post" and posts.earliest else None
    if fact == "last_post" and posts.last is not None:
        one = posts.last
    if one is not None:  # the post asked for, then the account's span of posts
        which = "first" if fact == "first_post" else "last"
        _post(b, ref, one, f"The {which} post of {a.label} {where} is")
        b.say(f"It has {_span(posts)}", b.cite(ref, fact_text, post_ids=ids))
        return
    n = b.cite(ref, fact_text, post_ids=ids)
    if fact == "created":
        if a.created_at is None:
            b.say(f"Dataset {ref.dataset} has no creation date for {a.label}", n)
        else:
            b.say(f"In dataset {ref.dataset}, {a.label} was {born}", n)
        return
    b.say(f"In dataset {ref.dataset}, {a.label} has {_span(posts)}", n)
    for e in posts.earliest:
        _post(b, ref, e, "Its")
    more = posts.count - len(posts.earliest)
    if more > 0:
        b.say(
            f"Those are its first {len(posts.earliest)}; {plural(more, 'later post')} not shown", n
        )
