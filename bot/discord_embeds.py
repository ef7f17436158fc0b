"""Discord embeds for answers, checks, sources and notices, each within every limit, and
grouped into as few messages as Discord allows."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import discord

from bot.discord_text import (
    DESCRIPTION_LIMIT,
    EMBED_TOTAL_LIMIT,
    EMBEDS_PER_MESSAGE,
    FIELD_NAME_LIMIT,
    FIELD_VALUE_LIMIT,
    FIELDS_PER_EMBED,
    TITLE_LIMIT,
    neutralise,
    nonblank_pieces,
    shorten,
)
from common.wording import plural
from prompts.phrases import REPORTS_LABEL
from retrieval.catalog_records import SourceRecord
from retrieval.citations import Answer, Citation, spaced_markers
from retrieval.claim_check import CheckResult

# Our own footers stay short so that title + a full description + footer fit in 6,000.
FOOTER_BUDGET = 600

COLOUR_ANSWER = discord.Colour.blurple()
COLOUR_REFUSAL = discord.Colour.light_grey()
COLOUR_INFO = discord.Colour.dark_teal()
VERDICT_COLOURS = {
    "supported": discord.Colour.green(),
    "refuted": discord.Colour.red(),
    "conflicting": discord.Colour.orange(),
}


def pack_embeds(
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
    chunks = nonblank_pieces(body, DESCRIPTION_LIMIT) or [""]
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


def _citation_fields(
    citations: Iterable[Citation], reporting: Sequence[int] = ()
) -> list[tuple[str, str]]:
    fields: list[tuple[str, str]] = []
    for c in citations:
        link = c.origin if c.origin.startswith(("http://", "https://")) else ""
        link_line = f"<{link}>\n" if link and len(link) <= 300 else ""
        label = f" ({REPORTS_LABEL})" if c.n in reporting else ""
        name = shorten(f"[{c.n}]{label} {neutralise(c.title)}", FIELD_NAME_LIMIT)
        # The quote is evidence: never truncated, continued in further fields instead.
        quote = f"\u201c{neutralise(c.quote)}\u201d"
        parts = nonblank_pieces(quote, FIELD_VALUE_LIMIT - len(link_line))
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
        return pack_embeds(
            title=title,
            body=neutralise(spaced_markers(answer.answer)),
            fields=[],
            footer=footer,
            colour=COLOUR_REFUSAL,
            more_title="",
        )
    return pack_embeds(
        title=title,
        body=neutralise(spaced_markers(answer.answer)),
        fields=_citation_fields(answer.citations),
        footer=footer,
        colour=COLOUR_ANSWER,
        more_title="Sources (continued)",
    )


def check_embeds(result: CheckResult) -> list[discord.Embed]:
    verdict = result.verdict.replace("_", " ")
    body = f"**Verdict: {verdict}**\n\n{neutralise(spaced_markers(result.explanation))}"
    footer = (
        f"Judged by {result.model}; the verdict must cite the evidence."
        if result.model
        else "Evidence only: no model is configured to give a verdict."
    )
    return pack_embeds(
        title="Claim: " + neutralise(result.claim),
        body=body,
        fields=_citation_fields(result.citations, result.reporting),
        footer=footer,
        colour=VERDICT_COLOURS.get(result.verdict, COLOUR_INFO),
        more_title="Evidence (continued)",
    )


def sources_embeds(sources: Sequence[SourceRecord], *, shared_scope: str) -> list[discord.Embed]:
    """The catalog as seen from one server: who added each source, and when."""
    if not sources:
        return pack_embeds(
            title="Sources",
            body="No sources yet. A moderator can add some with `/sources add`.",
            fields=[],
            footer="",
            colour=COLOUR_INFO,
            more_title="",
        )
    blocks = []
    for s in sources:
        origin = (
            s.origin if s.origin.startswith(("http://", "https://")) else s.origin.split("/")[-1]
        )
        who = "bundled demo, shared with every server" if s.scope == shared_scope else s.added_by
        blocks.append(
            f"`{s.id}` **{neutralise(shorten(s.title, 200))}**\n"
            f"{neutralise(shorten(origin, 300))} \u00b7 {plural(s.chunks, 'chunk')} \u00b7 "
            f"added by {neutralise(who)} \u00b7 {s.added_at}"
        )
    return pack_embeds(
        title=f"Sources ({len(sources)})",
        body="\n\n".join(blocks),
        fields=[],
        footer="Remove one with /sources remove ID (moderators).",
        colour=COLOUR_INFO,
        more_title="",
    )


def notice_embed(title: str, text: str, *, colour: discord.Colour = COLOUR_INFO) -> discord.Embed:
    return pack_embeds(title=title, body=text, fields=[], footer="", colour=colour, more_title="")[
        0
    ]
