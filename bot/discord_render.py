"""Discord rendering of post datasets: clusters, one cluster with example posts, and an
account's ties, as embeds within Discord's limits (bot/discord_embeds.py packs them)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import discord

from bot.discord_embeds import COLOUR_INFO, pack_embeds
from bot.discord_text import FIELD_NAME_LIMIT, neutralise, shorten
from common.wording import plural


def _when(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


def time_span(first: Any, last: Any) -> str:
    """ "2020-02-21 18:02 → 18:09 (7 min)", or the raw values when they are not timestamps."""
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


def signals_text(signals: Any) -> str:
    """{"text": 12, "url": 3} (distinct shared items per signal) or a plain list of names."""
    if isinstance(signals, dict):
        ranked = sorted(signals.items(), key=lambda kv: (-kv[1], str(kv[0])))
        return ", ".join(f"{name} ({count})" for name, count in ranked) or "none"
    return ", ".join(str(s) for s in signals or []) or "none"


def _cluster_line(c: dict[str, Any]) -> str:
    signals = signals_text(c.get("signals"))
    score = c.get("score")
    score_text = f"{score:.2f}" if isinstance(score, int | float) else str(score)
    return (
        f"`{neutralise(str(c.get('id', '?')))}` \u00b7 {c.get('size', '?')} accounts \u00b7 "
        f"{neutralise(signals)} \u00b7 {time_span(c.get('first_seen'), c.get('last_seen'))} "
        f"\u00b7 score {score_text}"
    )


NO_CLUSTERS = (
    "No coordination clusters found yet. A moderator can add a dataset with `/dataset add`."
)


def clusters_embeds(
    data: dict[str, Any], *, top: int = 15, empty: str = NO_CLUSTERS, sort: str = "score"
) -> list[discord.Embed]:
    """The top clusters in the order given (the Assistant sorts): id, size, signals, time
    span, score."""
    clusters = list(data.get("clusters", []))
    dataset = data.get("dataset")
    title = f"Clusters in {neutralise(str(dataset))}" if dataset else "Clusters"
    if not clusters:
        return pack_embeds(
            title=title, body=empty, fields=[], footer="", colour=COLOUR_INFO, more_title=""
        )
    head = []
    if data.get("posts") is not None:
        head.append(f"{data.get('posts')} posts from {data.get('accounts', '?')} accounts")
    lines = [_cluster_line(c) for c in clusters[:top]]
    footer = (
        f"Showing {min(top, len(clusters))} of {len(clusters)} by {sort}; "
        "/cluster ID shows one in full."
    )
    return pack_embeds(
        title=title,
        body="\n".join([*head, *([""] if head else []), *lines]),
        fields=[],
        footer=footer,
        colour=COLOUR_INFO,
        more_title="",
    )


def account_embeds(views: Sequence[dict[str, Any]]) -> list[discord.Embed]:
    """An account per dataset (the `chorus account --json` shape): its cluster, strongest
    ties with what they shared and when, its account date."""
    blocks = []
    for v in views:
        a = v["account"]
        params = (
            f"window {v['window_s']:g} s, min-shared {v['min_shared']:g}, "
            f"min-accounts {v['min_accounts']}"
        )
        shown = (
            a["account_id"]
            if not a.get("name") or a["name"] == a["account_id"]
            else (f"{a['name']} ({a['account_id']})")
        )
        born = a["created_at"] or "unknown (not in the dataset)"
        lines = [
            f"**{neutralise(shown)}** \u00b7 dataset {neutralise(v['dataset'])} \u00b7 "
            f"{plural(a['posts'], 'post')}",
            f"Created {born}{' (new account)' if a.get('new') else ''}; first post "
            f"{a['first_post']}",
            f"In no cluster of dataset {neutralise(v['dataset'])} at {params}"
            if v["cluster"] is None
            else f"Cluster `{v['cluster']['id']}` ({v['cluster']['size']} accounts) at {params}",
        ]
        for t in v["ties"]:
            lines.append(
                f"\u2022 {neutralise(t['account_id'])}: {plural(t['shared'], 'shared item')}, "
                f"weight {t['weight']:g}"
            )
            for i in t["items"][:2]:
                times = " and ".join(str(p["time"]) for p in i["posts"])
                lines.append(
                    f"  [{i['signal']}] {neutralise(shorten(str(i['item']), 80))} at {times}"
                )
        if v["linked_accounts"] > len(v["ties"]):
            lines.append(f"\u2026 and {v['linked_accounts'] - len(v['ties'])} more linked accounts")
        blocks.append("\n".join(lines))
    return pack_embeds(
        title="Account",
        body="\n\n".join(blocks),
        fields=[],
        footer="`chorus account NAME` shows every tie's posts.",
        colour=COLOUR_INFO,
        more_title="",
    )


def cluster_detail_embeds(
    cluster_id: str, summary: str, data: dict[str, Any], *, examples: int = 5
) -> list[discord.Embed]:
    """One cluster: the summary, then example posts (each cut to a field; the CLI has them all)."""
    fields = []
    for post in list(data.get("examples", []))[:examples]:
        name = f"{post.get('account_id', '?')} \u00b7 {post.get('time', '')}"
        fields.append(
            (
                neutralise(shorten(name, FIELD_NAME_LIMIT)),
                neutralise(str(post.get("text") or "")) or "(no text)",
            )
        )
    return pack_embeds(
        title=f"Cluster {neutralise(cluster_id)}",
        body=neutralise(summary),
        fields=fields,
        footer="Example posts are cut to fit; `chorus cluster ID` shows every post.",
        colour=COLOUR_INFO,
        more_title="Example posts (continued)",
    )
