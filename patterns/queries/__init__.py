"""Questions answered from a stored analysis: who an account is linked to and by what
(`accounts`), which accounts are new (`ages`), which accounts shared an item within the
window (`items`), which cluster is biggest by any measure and what the analysis holds
(`rows`).

Everything reads the rows an analysis stores (accounts, posts, edges, evidence, items,
clusters, cluster_members) of one open dataset file, through bind parameters only: a
name with quotes, slashes, `%` or `_` is matched as written, never as a pattern.
Results are typed; wording is the caller's.
"""

from patterns.queries.accounts import AccountView, SharedItem, Tie, account_view
from patterns.queries.ages import AccountAges, NewAccount, account_ages
from patterns.queries.items import (
    ITEM_SIGNALS,
    TEXT_MATCHES,
    ItemKind,
    ItemMatch,
    ItemSharers,
    Poster,
    Sharer,
    item_keys,
    item_sharers,
    match_items,
)
from patterns.queries.rows import (
    DAY,
    SORTS,
    Account,
    AnalysisRef,
    ClusterRow,
    cluster_row,
    cluster_rows,
    find_accounts,
    latest_ref,
    ranked,
)

__all__ = [
    "DAY",
    "ITEM_SIGNALS",
    "SORTS",
    "TEXT_MATCHES",
    "Account",
    "AccountAges",
    "AccountView",
    "AnalysisRef",
    "ClusterRow",
    "ItemKind",
    "ItemMatch",
    "ItemSharers",
    "NewAccount",
    "Poster",
    "SharedItem",
    "Sharer",
    "Tie",
    "account_ages",
    "account_view",
    "cluster_row",
    "cluster_rows",
    "find_accounts",
    "item_keys",
    "item_sharers",
    "latest_ref",
    "match_items",
    "ranked",
]
