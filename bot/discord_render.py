"""Discord rendering of post datasets: clusters, one cluster with example posts, and an
account's ties, as embeds within Discord's limits (bot/discord_embeds.py packs them)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import discord

from bot.discord_embeds import COLOUR_INFO, pack_embeds
from bot.discord_text import FIELD_NAME_LIMIT, neutralise, shorten
from common.wording import plural, plural_shown, window_text

if TYPE_CHECKING:
    from patterns.queries import AccountView
    from patterns.results import ClusterDetail, ClusterListing, ClusterSummary


def _iso(t: float | None) -> str | None:
    from patterns.serialise import iso  # noqa: PLC0415 - patterns loads only when used

    return iso(t)


def _when(value: object) -> datetime | None:
    if isinstance(value, int | float) and not isinstance(value, bool):
        try:
            return datetime.fromtimestamp(value, UTC)
        except (OverflowError, OSError, ValueError):
            return None
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None


def time_span(first: object, last: object) -> str:
    """ "2020-02-21 18:02 → 18:09 (7 min)" for two times (epoch seconds or ISO 8601), or
    the raw values when they are not times."""
    start, end = _when(first), _when(last)
    if start is None or end is None:
        return f"{first} \u2192 {last}"
    seconds = max(0, int((end - start).total_seconds()))
    length = (
        f"{seconds} s"
        if seconds < 120
        else f"{seconds // 60} min"
        if seconds < 7200
        else f"{seconds / 3600:.1f} h"
        if seconds < 172800
        else f"{seconds / 86400:.1f} days"
    )
    shown_end = end.strftime("%H:%M") if end.date() == start.date() else f"{end:%Y-%m-%d %H:%M}"
    return f"{start:%Y-%m-%d %H:%M} \u2192 {shown_end} ({length})"


def signals_text(signals: dict[str, int]) -> str:
    """{"text": 12, "url": 3} (distinct shared items per signal), strongest first."""
    ranked = sorted(signals.items(), key=lambda kv: (-kv[1], str(kv[0])))
    return ", ".join(f"{name} ({count})" for name, count in ranked) or "none"


def _cluster_line(c: ClusterSummary) -> str:
    return (
        f"`{neutralise(c.id)}` \u00b7 {c.size} accounts \u00b7 "
        f"{neutralise(signals_text(c.signals))} \u00b7 {time_span(c.first_seen, c.last_seen)} "
        f"\u00b7 score {c.score:.2f}"
    )


NO_CLUSTERS = (
    "No coordination clusters found yet. A moderator can add a dataset with `/dataset add`."
)


def clusters_embeds(
    listing: ClusterListing, *, top: int = 15, empty: str = NO_CLUSTERS, sort: str = "score"
) -> list[discord.Embed]:
    """The top clusters in the order given (the Assistant sorts): id, size, signals, time
    span, score."""
    clusters = listing.clusters
    title = f"Clusters in {neutralise(listing.dataset)}" if listing.dataset else "Clusters"
    if not clusters:
        return pack_embeds(
            title=title, body=empty, fields=[], footer="", colour=COLOUR_INFO, more_title=""
        )
    head = [f"{listing.posts} posts from {listing.accounts} accounts"]
    lines = [_cluster_line(c) for c in clusters[:top]]
    footer = (
        f"Showing {min(top, len(clusters))} of {len(clusters)} by {sort}; "
        "/cluster ID shows one in full."
    )
    return pack_embeds(
        title=title,
        body="\n".join([*head, "", *lines]),
        fields=[],
        footer=footer,
        colour=COLOUR_INFO,
        more_title="",
    )


def account_embeds(views: Sequence[AccountView]) -> list[discord.Embed]:
    """An account per dataset: its cluster, strongest ties with what they shared and when,
    its account date."""
    blocks = []
    for v in views:
        a, ref = v.account, v.ref
        params = (
            f"window {window_text(ref.window_s)}, min-shared {ref.params.min_shared:g}, "
            f"min-accounts {ref.params.min_accounts}"
        )
        born = _iso(a.created_at) or "unknown (not in the dataset)"
        dataset = neutralise(ref.dataset)
        lines = [
            f"**{neutralise(a.label)}** \u00b7 dataset {dataset} \u00b7 {plural(a.posts, 'post')}",
            f"Created {born}{' (new account)' if v.is_new else ''}; first post "
            f"{_iso(a.first_post)}",
            f"In no cluster of dataset {dataset} at {params}"
            if v.cluster is None
            else f"Cluster `{v.cluster.cluster_id}` ({v.cluster.size} accounts) at {params}",
        ]
        for t in v.ties:
            lines.append(
                f"\u2022 {neutralise(t.partner.account_id)}: "
                f"{plural_shown(t.shared, 'shared item', len(t.items[:2]))}, weight {t.weight:g}"
            )
            for i in t.items[:2]:
                times = " and ".join(str(_iso(p.time)) for p in (i.post_a, i.post_b))
                lines.append(f"  [{i.signal}] {neutralise(shorten(i.label, 80))} at {times}")
        if v.total_ties > len(v.ties):
            lines.append(f"\u2026 and {v.total_ties - len(v.ties)} more linked accounts")
        blocks.append("\n".join(lines))
    return pack_embeds(
        title="Account",
        body="\n\n".join(blocks),
        fields=[],
        footer="`chorus account NAME` shows every tie's posts.",
        colour=COLOUR_INFO,
        more_title="",
    )


def cluster_detail_embeds(detail: ClusterDetail, *, examples: int = 5) -> list[discord.Embed]:
    """One cluster: the summary, then example posts (each cut to a field; the CLI has them all)."""
    fields = []
    for post in detail.examples[:examples]:
        name = f"{post.account_id} \u00b7 {_iso(post.time)}"
        fields.append(
            (
                neutralise(shorten(name, FIELD_NAME_LIMIT)),
                neutralise(post.text or "") or "(no text)",
            )
        )
    return pack_embeds(
        title=f"Cluster {neutralise(detail.id)}",
        body=neutralise(detail.summary_text()),
        fields=fields,
        footer="Example posts are cut to fit; `chorus cluster ID` shows every post.",
        colour=COLOUR_INFO,
        more_title="Example posts (continued)",
    )
