""" "Who wrote the article?": answered from a retrieved source's byline.

Bylines are context lines (corpus/reporting/context_lines.py): never quoted as the answer to a
question about the story, because they repeat no fact of it. A question about who wrote,
filed or reported a source asks for exactly that line, so it is quoted, verbatim and cited,
from the best-ranked retrieved source that has one.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from corpus.reporting.context_lines import is_byline
from prompts.phrases import REFUSAL
from retrieval.catalog import Catalog
from retrieval.catalog_records import SourceRecord
from retrieval.citations import Answer, Citation
from retrieval.lexical import content_stems
from retrieval.search import Hit

_ASKS_AUTHOR: Final = re.compile(
    r"\bwho\s+(?:has\s+|had\s+)?(?:wrote|written|authored|filed|compiled|reported|penned)\b"
    r"|\bwho\s+(?:is|was|are|were)\s+the\s+(?:authors?|writers?|reporters?|journalists?)\b"
    r"|\b(?:authors?|writers?)\s+of\s+(?:the|this|that)\b|\bby\s+whom\b"
    r"|\bwhose\s+(?:article|report|piece|story|note|fact[- ]check|post)\b",
    re.I,
)
_MARKUP: Final = "*_ \t"  # Markdown emphasis around a byline line is not part of the quote
MAX_SOURCES: Final = 3  # the byline is looked for in the best-ranked few sources only
# Words that name a source only by its kind ("Who wrote the article?", "... this report?"):
# with no other word, the best-ranked source with a byline is the one meant.
_DOCUMENT_STEMS: Final = frozenset(
    content_stems(
        "article piece story report note notes post page document source memo briefing "
        "fact check fact-check investigation analysis text it"
    )
)
# Words of the question that ask for the author, not which source.
_AUTHOR_STEMS: Final = frozenset(
    content_stems(
        "wrote written write authored author authors writer writers filed compiled "
        "reported reporter journalist penned whose article story piece report"
    )
)


# The question must be about a document ("Who wrote the fact-check?"), not a work or a law
# that a source is about ("Who wrote the Communist Manifesto?": the text may say, a byline
# does not).
_A_DOCUMENT: Final = re.compile(
    r"\b(?:article|piece|story|report|note|notes|post|page|document|memo|briefing|column|blog"
    r"|newsletter|thread|timeline|investigation|fact[- ]?check|this|it)\b",
    re.I,
)


def asks_author(question: str) -> bool:
    return bool(_ASKS_AUTHOR.search(question) and _A_DOCUMENT.search(question))


@dataclass(frozen=True)
class _Byline:
    source_id: str
    title: str
    origin: str
    text: str
    start: int
    named: int  # how many of the question's words its title and byline say
    rank: int  # its source's place among the retrieved hits (titles-only matches after)


def _byline(catalog: Catalog, source_id: str) -> tuple[str, int] | None:
    for start, end in catalog.context_spans(source_id):
        text = catalog.source_span(source_id, start, end)
        inner = text.strip(_MARKUP)
        if inner and is_byline(inner):
            return inner, start + text.index(inner)
    return None


def byline_answer(
    question: str, hits: Sequence[Hit], sources: Sequence[SourceRecord], catalog: Catalog
) -> Answer | None:
    """The byline of the source the question names best by its title or byline words ("the
    fact-check", "the Harbourline News article"), the best-ranked retrieved one among equals;
    None when no such source has a byline."""
    asked = set(content_stems(question)) - _AUTHOR_STEMS
    ranked: dict[str, int] = {}
    told: dict[str, set[str]] = {}  # the question's words its retrieved chunks hold
    for hit in hits:
        ranked.setdefault(hit.chunk.source_id, len(ranked))
        told.setdefault(hit.chunk.source_id, set()).update(
            asked & set(content_stems(hit.chunk.text))
        )
    found: list[_Byline] = []
    titles = {r.id: len(asked & set(content_stems(r.title))) for r in sources}
    most = max(titles.values(), default=0)
    for record in sources:
        rank = ranked.get(record.id)
        title_named = titles[record.id]
        if (rank is None or rank >= MAX_SOURCES) and not title_named:
            continue  # neither among the best retrieved nor named by its title
        got = _byline(catalog, record.id)
        if got is None:
            continue
        text, start = got
        named = len(asked & set(content_stems(f"{record.title} {text}")))
        found.append(
            _Byline(
                record.id,
                record.title,
                record.origin,
                text,
                start,
                named,
                len(ranked) if rank is None else rank,
            )
        )
    if most and not any(titles[b.source_id] == most for b in found):
        # The source the question names by its title has no byline: say so, rather than
        # quote another source's.
        titled = sorted((r for r in sources if titles[r.id] == most), key=lambda r: r.title)
        shown = ", ".join(f"“{r.title}”" for r in titled[:3])
        return Answer(question, REFUSAL, "extractive", True, [], notes=[f"no byline in {shown}"])
    if not found:
        return None
    best = min(found, key=lambda b: (-b.named, b.rank, b.source_id))
    topic = asked - _DOCUMENT_STEMS
    if not best.named and topic and not topic & told.get(best.source_id, set()):
        return None  # "Who wrote Pride and Prejudice?": no source here is the one asked about
    citation = Citation(
        1,
        best.source_id,
        best.title,
        best.origin,
        best.text,
        1.0,
        best.start,
        best.start + len(best.text),
    )
    return Answer(
        question,
        f"{best.text} [1]",
        "extractive",
        False,
        [citation],
        evidence=1.0,
        notes=[f"the byline of “{best.title}”"],
    )
