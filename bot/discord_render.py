"""Discord rendering: answers, checks, sources and clusters as embeds within Discord's limits.

Long text is split at paragraph, line, sentence or word boundaries, never inside a `[n]`
citation marker. Text that came from sources, models or users is neutralised so that it can
neither mention anyone nor hide a link behind other words; `AllowedMentions.none()` on every
send is what guarantees that nothing pings, this is the second belt.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

import discord

from common.wording import plural
from retrieval.catalog import SourceRecord
from retrieval.citations import MARKER, Answer, Citation
from retrieval.claim_check import CheckResult

# Discord's documented limits (characters).
MESSAGE_LIMIT = 2000
TITLE_LIMIT = 256
DESCRIPTION_LIMIT = 4096
FIELD_NAME_LIMIT = 256
FIELD_VALUE_LIMIT = 1024
FOOTER_LIMIT = 2048
EMBED_TOTAL_LIMIT = 6000
FIELDS_PER_EMBED = 25
EMBEDS_PER_MESSAGE = 10

# Our own footers stay short so that title + a full description + footer fit in 6,000.
FOOTER_BUDGET = 600

NO_MENTIONS = discord.AllowedMentions.none()

COLOUR_ANSWER = discord.Colour.blurple()
COLOUR_REFUSAL = discord.Colour.light_grey()
COLOUR_INFO = discord.Colour.dark_teal()
VERDICT_COLOURS = {
    "supported": discord.Colour.green(),
    "refuted": discord.Colour.red(),
    "conflicting": discord.Colour.orange(),
}

_ZWSP = "\u200b"
_EVERYONE = re.compile(r"@(everyone|here)", re.IGNORECASE)
_USER_OR_ROLE = re.compile(r"<@([!&]?\d+)>")
_MASKED_LINK = re.compile(r"\]\(")

# Boundaries to cut after, best first. The sentence pattern keeps the citation markers that
# close a sentence ("... accounts.[2] Next") with that sentence.
_BREAKS = (
    re.compile(r"\n[ \t]*\n\s*"),
    re.compile(r"\n\s*"),
    re.compile(r"[.!?\u2026][\"'\u201d\u2019)]*(?:[ \t]*\[\d{1,3}\])*\s+"),
    re.compile(r"\s+"),
)


# -- text ---------------------------------------------------------------------------------
def neutralise(text: str) -> str:
    """Untrusted text made inert: no @everyone/@here, user or role mentions, masked links.

    A zero-width space is the least visible change that stops Discord parsing each of them.
    """
    text = _EVERYONE.sub(lambda m: f"@{_ZWSP}{m.group(1)}", text)
    text = _USER_OR_ROLE.sub(lambda m: f"<@{_ZWSP}{m.group(1)}>", text)
    return _MASKED_LINK.sub(f"]{_ZWSP}(", text)


def shorten(text: str, limit: int) -> str:
    """`text` cut to `limit` characters with an ellipsis (for titles and labels, not quotes)."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    marker = next((m for m in MARKER.finditer(text) if m.start() < limit - 1 < m.end()), None)
    if marker is not None:
        cut = text[: marker.start()]
    return cut.rstrip() + "\u2026"


def _cut_point(text: str, limit: int) -> int:
    window = text[:limit]
    best = 0
    for pattern in _BREAKS:
        ends = [m.end() for m in pattern.finditer(window) if 0 < m.end() <= limit]
        if ends:
            # A late boundary of a weaker kind beats an early paragraph break: fewer, fuller
            # chunks. Half the limit is the line between "late" and "early".
            if max(ends) >= limit // 2:
                return max(ends)
            best = max(best, *ends)
    if best:
        return best
    cut = limit
    for m in MARKER.finditer(text, 0, limit + 8):
        if m.start() < cut < m.end():
            cut = m.start() if m.start() > 0 else m.end()
    return cut


def split_text(text: str, limit: int) -> list[str]:
    """Chunks of at most `limit` characters whose concatenation is `text`, cut at the best
    boundary available and never inside a `[n]` marker."""
    if limit < 8:
        raise ValueError("limit must leave room for a citation marker")
    chunks: list[str] = []
    rest = text
    while len(rest) > limit:
        cut = _cut_point(rest, limit)
        chunks.append(rest[:cut])
        rest = rest[cut:]
    if rest:
        chunks.append(rest)
    return chunks


def _blocks(text: str, limit: int) -> list[str]:
    """split_text without whitespace-only chunks, which Discord would reject as empty."""
    return [c for c in split_text(text, limit) if c.strip()]


# -- embeds -------------------------------------------------------------------------------
def _pack(
    *,
    title: str,
    body: str,
    fields: Sequence[tuple[str, str]],
    footer: str,
    colour: discord.Colour,
    more_title: str,
) -> list[discord.Embed]:
    """Embeds for a title, a long body and fields, each embed within every limit."""
    footer = shorten(footer, FOOTER_BUDGET)
    title = shorten(title, TITLE_LIMIT)
    chunks = _blocks(body, DESCRIPTION_LIMIT) or [""]
    embeds = [discord.Embed(title=title or None, description=chunks[0] or None, colour=colour)]
    embeds += [discord.Embed(description=c, colour=colour) for c in chunks[1:]]
    current = embeds[-1]
    for raw_name, raw_value in fields:
        name, value = shorten(raw_name, FIELD_NAME_LIMIT), shorten(raw_value, FIELD_VALUE_LIMIT)
        room = EMBED_TOTAL_LIMIT - len(current) - len(footer)
        if len(current.fields) >= FIELDS_PER_EMBED or len(name) + len(value) > room:
            current = discord.Embed(title=shorten(more_title, TITLE_LIMIT), colour=colour)
            embeds.append(current)
        current.add_field(name=name, value=value, inline=False)
    if footer:
        embeds[-1].set_footer(text=footer)
    return embeds


def group_embeds(embeds: Sequence[discord.Embed]) -> list[list[discord.Embed]]:
    """Embeds grouped into messages: at most 10 per message and 6,000 characters in all."""
    groups: list[list[discord.Embed]] = []
    size = 0
    for embed in embeds:
        n = len(embed)
        if not groups or len(groups[-1]) >= EMBEDS_PER_MESSAGE or size + n > EMBED_TOTAL_LIMIT:
            groups.append([])
            size = 0
        groups[-1].append(embed)
        size += n
    return groups


def _citation_fields(citations: Iterable[Citation]) -> list[tuple[str, str]]:
    fields: list[tuple[str, str]] = []
    for c in citations:
        link = c.url if c.url.startswith(("http://", "https://")) else ""
        link_line = f"<{link}>\n" if link and len(link) <= 300 else ""
        name = shorten(f"[{c.n}] {neutralise(c.title)}", FIELD_NAME_LIMIT)
        # The quote is evidence: never truncated, continued in further fields instead.
        quote = f"\u201c{neutralise(c.quote)}\u201d"
        parts = _blocks(quote, FIELD_VALUE_LIMIT - len(link_line))
        for i, part in enumerate(parts):
            fields.append(
                (name if i == 0 else f"[{c.n}] (continued)", (link_line if i == 0 else "") + part)
            )
    return fields


def mode_line(answer: Answer) -> str:
    if answer.mode == "llm":
        return f"Written by {answer.model or 'a model'}; each sentence cites its sources."
    return "Extractive: verbatim quotes from the sources, no generated text."


def answer_embeds(answer: Answer) -> list[discord.Embed]:
    """The answer with its [n] markers, then a numbered Sources list, then the mode."""
    title = neutralise(answer.question)
    footer = " \u00b7 ".join([mode_line(answer), *answer.notes])
    if answer.refused:
        return _pack(
            title=title,
            body=neutralise(answer.answer),
            fields=[],
            footer=footer,
            colour=COLOUR_REFUSAL,
            more_title="",
        )
    return _pack(
        title=title,
        body=neutralise(answer.answer),
        fields=_citation_fields(answer.citations),
        footer=footer,
        colour=COLOUR_ANSWER,
        more_title="Sources (continued)",
    )


def check_embeds(result: CheckResult) -> list[discord.Embed]:
    verdict = result.verdict.replace("_", " ")
    body = f"**Verdict: {verdict}**\n\n{neutralise(result.explanation)}"
    footer = (
        f"Judged by {result.model}; the verdict must cite the evidence."
        if result.model
        else "Evidence only: no model is configured to give a verdict."
    )
    return _pack(
        title="Claim: " + neutralise(result.claim),
        body=body,
        fields=_citation_fields(result.citations),
        footer=footer,
        colour=VERDICT_COLOURS.get(result.verdict, COLOUR_INFO),
        more_title="Evidence (continued)",
    )


def sources_embeds(sources: Sequence[SourceRecord], *, shared_scope: str) -> list[discord.Embed]:
    """The catalog as seen from one server: who added each source, and when."""
    if not sources:
        return _pack(
            title="Sources",
            body="No sources yet. A moderator can add some with `/sources add`.",
            fields=[],
            footer="",
            colour=COLOUR_INFO,
            more_title="",
        )
    blocks = []
    for s in sources:
        origin = s.url if s.url.startswith(("http://", "https://")) else s.url.split("/")[-1]
        who = "bundled demo, shared with every server" if s.scope == shared_scope else s.added_by
        blocks.append(
            f"`{s.id}` **{neutralise(shorten(s.title, 200))}**\n"
            f"{neutralise(shorten(origin, 300))} \u00b7 {plural(s.chunks, 'chunk')} \u00b7 "
            f"added by {neutralise(who)} \u00b7 {s.added_at}"
        )
    return _pack(
        title=f"Sources ({len(sources)})",
        body="\n\n".join(blocks),
        fields=[],
        footer="Remove one with /sources remove ID (moderators).",
        colour=COLOUR_INFO,
        more_title="",
    )


def notice_embed(title: str, text: str, *, colour: discord.Colour = COLOUR_INFO) -> discord.Embed:
    return _pack(title=title, body=text, fields=[], footer="", colour=colour, more_title="")[0]


# -- clusters -----------------------------------------------------------------------------
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
        return _pack(
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
    return _pack(
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
    return _pack(
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
    return _pack(
        title=f"Cluster {neutralise(cluster_id)}",
        body=neutralise(summary),
        fields=fields,
        footer="Example posts are cut to fit; `chorus cluster ID` shows every post.",
        colour=COLOUR_INFO,
        more_title="Example posts (continued)",
    )


def plain_message(text: str) -> str:
    """Untrusted text for a message's content: neutralised and within 2,000 characters."""
    return shorten(neutralise(text), MESSAGE_LIMIT)
