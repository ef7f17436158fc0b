"""Account ages: which accounts of a dataset are new, from the creation dates it was loaded
with (`account_created_at`), newest first, with their first posts and clusters.

"New" is the analysis' rule (created within `new_account_days` of the account's first post)
unless a period is asked for: then it is created within that many days before the dataset's
last post, the only "now" a stored dataset has.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb

from patterns.queries.rows import ACCOUNT_COLUMNS, DAY, Account, AnalysisRef, account_row


@dataclass(frozen=True)
class NewAccount:
    account: Account
    first_post_id: str
    cluster_id: str | None  # the cluster it is in, in the latest analysis


@dataclass(frozen=True)
class AccountAges:
    accounts: int
    with_dates: int  # accounts whose creation date the dataset holds
    new: int  # of those, how many count as new (the rule or the period asked)
    shown: tuple[NewAccount, ...]  # the newest of them (or the newest account, if none is new)
    new_in_clusters: int  # new accounts that are in a cluster
    oldest: Account | None
    newest: Account | None
    median_age_days: float | None  # age at the first post, over accounts with a date
    last_post: float  # the period's end, when one is asked
    period_days: float | None  # the period asked, or None for the analysis' rule


def account_ages(
    con: duckdb.DuckDBPyConnection,
    ref: AnalysisRef,
    *,
    period_days: float | None = None,
    limit: int = 12,
) -> AccountAges:
    """Who is new in the dataset, and how old its accounts were when they first posted."""
    total, dated, median, last = con.execute(
        "SELECT count(*), count(created), median(first_t - created) / ?, "
        "(SELECT max(t) FROM posts) FROM accounts",
        [DAY],
    ).fetchone() or (0, 0, None, None)
    last_post = float(last or 0.0)
    if period_days is None:
        is_new = "created IS NOT NULL AND first_t - created <= ?"
        bound = ref.params.new_account_days * DAY
    else:
        is_new = "created IS NOT NULL AND created >= ?"
        bound = last_post - period_days * DAY
    new, clustered = con.execute(
        f"SELECT count(*), count(m.aid) FROM accounts a LEFT JOIN (SELECT DISTINCT aid "
        f"FROM cluster_members WHERE analysis_id = ?) m USING (aid) WHERE {is_new}",
        [ref.analysis_id, bound],
    ).fetchone() or (0, 0)
    # The newest accounts first; ties by account id, so an answer is the same every time.
    order = f"ORDER BY created DESC, account_id LIMIT {int(limit)}"
    where = is_new if new else "created IS NOT NULL"
    rows = con.execute(
        f"SELECT {ACCOUNT_COLUMNS} FROM accounts WHERE {where} {order}",
        [bound] if new else [],
    ).fetchall()
    shown = [account_row(r) for r in rows]
    firsts = dict(
        con.execute(
            "SELECT aid, arg_min(post_id, t) FROM posts WHERE aid IN (SELECT unnest(?)) "
            "GROUP BY aid",
            [[a.aid for a in shown]],
        ).fetchall()
    )
    clusters = dict(
        con.execute(
            "SELECT aid, min(cluster_id) FROM cluster_members WHERE analysis_id = ? "
            "AND aid IN (SELECT unnest(?)) GROUP BY aid",
            [ref.analysis_id, [a.aid for a in shown]],
        ).fetchall()
    )
    ends = [
        con.execute(
            f"SELECT {ACCOUNT_COLUMNS} FROM accounts WHERE created IS NOT NULL "
            f"ORDER BY created {way}, account_id LIMIT 1"
        ).fetchone()
        for way in ("ASC", "DESC")
    ]
    oldest, newest = (None if r is None else account_row(r) for r in ends)
    return AccountAges(
        accounts=int(total),
        with_dates=int(dated),
        new=int(new),
        shown=tuple(NewAccount(a, str(firsts[a.aid]), clusters.get(a.aid)) for a in shown),
        new_in_clusters=int(clustered),
        oldest=oldest,
        newest=newest,
        median_age_days=None if median is None else float(median),
        last_post=last_post,
        period_days=period_days,
    )
