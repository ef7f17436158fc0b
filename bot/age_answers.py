"""The sentences of an answer about new accounts: how many of a dataset's accounts are new
by their creation dates, the newest of them with their dates, and how old the accounts
were when they first posted; or, plainly, that the dataset has no creation dates."""

from __future__ import annotations

from bot.analysis_facts import CitedSentences, settings_phrase
from common.wording import plural
from patterns import queries as q
from patterns.serialise import iso


def span(days: float) -> str:
    """A length of time in the unit people say it in: "36 hours", "7 days"."""
    if days < 2:
        return plural(round(days * 24), "hour")
    return plural(round(days), "day")


def _rule(ref: q.AnalysisRef, ages: q.AccountAges) -> str:
    if ages.period_days is None:
        return f"created within {ref.params.new_account_days} days of their first post"
    return (
        f"created in the {span(ages.period_days)} before the dataset's last post "
        f"({iso(ages.last_post)})"
    )


def _account(a: q.NewAccount) -> str:
    created = a.account.created_at or 0.0
    age = a.account.first_post - created
    when = f"{span(age / q.DAY)} before" if age >= 0 else f"{span(-age / q.DAY)} after"
    where = f", in cluster {a.cluster_id}" if a.cluster_id else ""
    return f"{a.account.label} created {iso(created)}, {when} its first post{where}"


def describe_ages(b: CitedSentences, ref: q.AnalysisRef, ages: q.AccountAges) -> None:
    name = ref.dataset
    if not ages.with_dates:
        n = b.cite(
            ref,
            f"Analysis of dataset {name}: none of its {plural(ages.accounts, 'account')} has "
            "an account creation date (the column account_created_at).",
        )
        b.say(
            f"Dataset {name} has no account-creation dates, so which of its accounts are new "
            "cannot be told from it",
            n,
        )
        return
    rule = _rule(ref, ages)
    were = "was" if ages.new == 1 else "were"
    undated = ages.accounts - ages.with_dates
    without = f"; {undated:,} of its {ages.accounts:,} accounts have none" if undated else ""
    where = "a cluster" if ages.new_in_clusters == 1 else "clusters"
    clustered = f", {ages.new_in_clusters:,} of them in {where}" if ages.new_in_clusters else ""
    n = b.cite(
        ref,
        f"Analysis of dataset {name} ({settings_phrase(ref)}): {ages.new:,} of its "
        f"{ages.with_dates:,} accounts with a creation date {were} {rule}{clustered}{without}.",
    )
    counted = f"{ages.new:,} of the {plural(ages.with_dates, 'account')} with a creation date"
    if ages.period_days is None:  # the analysis' own word for it
        b.say(
            f"In dataset {name}, {counted} {'is' if ages.new == 1 else 'are'} new ({rule}"
            f"{clustered})",
            n,
        )
    else:
        b.say(f"In dataset {name}, {counted} {were} {rule}{clustered}", n)
    if ages.shown:
        parts = "; ".join(_account(a) for a in ages.shown)
        more = ages.new - len(ages.shown)
        lead = "The newest of them" if ages.new else f"None; the newest account of {name}"
        m = b.cite(
            ref,
            f"Analysis of dataset {name}: account creation dates as loaded, newest first: {parts}.",
            post_ids=[a.first_post_id for a in ages.shown],
        )
        b.say(f"{lead}: {parts}{f' and {more:,} more' if more > 0 else ''}", m)
    if ages.oldest is not None and ages.newest is not None and ages.median_age_days is not None:
        fact = (
            f"creation dates run from {iso(ages.oldest.created_at)}, {ages.oldest.label}, to "
            f"{iso(ages.newest.created_at)}, {ages.newest.label}; at its first post the "
            f"median account was {span(ages.median_age_days)} old"
        )
        m = b.cite(ref, f"Analysis of dataset {name}: {fact}.")
        b.say(fact[0].upper() + fact[1:], m)
