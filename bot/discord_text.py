"""Text for Discord: its length limits, untrusted text made inert, and long text cut into
pieces at the best boundary (paragraph, line, sentence, word), never inside a `[n]` marker.

Text that came from sources, models or users is neutralised so that it can neither mention
anyone nor hide a link behind other words; `AllowedMentions.none()` on every send is what
guarantees that nothing pings, this is the second belt.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import discord

from retrieval.citations import MARKER
from retrieval.sentences import split_sentences

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

NO_MENTIONS = discord.AllowedMentions.none()

_ZWSP = "\u200b"
_MASKED_LINK = re.compile(r"\]\(")

# Boundaries to cut after, best first: paragraphs, lines, sentences, words. Sentences are
# the product's own (retrieval/sentences.py: "Nov. 24", "Sen. Warren" and "$1.2" are not
# ends); a cut after one keeps the citation markers that close it ("... accounts. [2] Next").
_PARAGRAPH = re.compile(r"\n[ \t]*\n\s*")
_LINE = re.compile(r"\n\s*")
_WORD = re.compile(r"\s+")
_AFTER_SENTENCE = re.compile(r"(?:[ \t]*\[\d{1,3}\])*\s+")
_CLOSED = re.compile(r"[.!?\u2026][\"'\u201d\u2019)]*$")


def _ends(pattern: re.Pattern[str]) -> Callable[[str], list[int]]:
    return lambda window: [m.end() for m in pattern.finditer(window)]


def _sentence_ends(window: str) -> list[int]:
    """Where the window's sentences end, past the markers and spaces after each. Only a
    sentence closed by its punctuation counts (one the window's end cut short is not; line
    breaks are their own boundary)."""
    out = []
    for sentence in split_sentences(window):
        after = _AFTER_SENTENCE.match(window, sentence.end)
        if after is not None and _CLOSED.search(sentence.text):
            out.append(after.end())
    return out


_BREAKS: tuple[Callable[[str], list[int]], ...] = (
    _ends(_PARAGRAPH),
    _ends(_LINE),
    _sentence_ends,
    _ends(_WORD),
)


def neutralise(text: str) -> str:
    """Untrusted text made inert: no @everyone/@here, user or role mentions, masked links.

    A zero-width space is the least visible change that stops Discord parsing each of them.
    discord.py's `escape_mentions` covers @everyone, @here and snowflake ids; every `<@`
    is broken first, so a user or role mention of any id length is inert too.
    """
    text = discord.utils.escape_mentions(text.replace("<@", f"<@{_ZWSP}"))
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
    for found in _BREAKS:
        ends = [end for end in found(window) if 0 < end <= limit]
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


def message_pieces(text: str, limit: int) -> list[str]:
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


def nonblank_pieces(text: str, limit: int) -> list[str]:
    """message_pieces without whitespace-only chunks, which Discord would reject as empty."""
    return [c for c in message_pieces(text, limit) if c.strip()]


def plain_message(text: str) -> str:
    """Untrusted text for a message's content: neutralised and within 2,000 characters."""
    return shorten(neutralise(text), MESSAGE_LIMIT)
