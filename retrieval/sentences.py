"""Sentence spans with exact character offsets.

A small rule-based splitter rather than a library: answers quote sentences verbatim and
cite their offsets, so the spans must map back to the source exactly, and splitting runs on
every question (the candidate chunks), where a heavier segmenter would dominate the latency.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# Words that end with a full stop without ending a sentence.
ABBREVIATIONS = frozenset(
    """mr mrs ms dr prof sr jr st sen rep gov gen col lt sgt capt rev hon pres vs etc inc ltd co
    corp dept univ no fig al approx est jan feb mar apr jun jul aug sep sept oct nov dec mon tue
    wed thu fri sat sun u.s u.k e.g i.e a.m p.m""".split()
)

# A sentence ends at . ! ? (plus closing quotes/brackets) followed by whitespace, or at a
# line break. Paragraph and line breaks always end a sentence (headings, list items).
_BOUNDARY = re.compile(r"([.!?…]+[\"'”’)\]]*)(\s+)|(\n\s*)")


@dataclass(frozen=True)
class Sentence:
    start: int
    end: int
    text: str


def _is_abbreviation(text: str, dot: int) -> bool:
    """Whether the full stop at `dot` closes an abbreviation or an initial."""
    word_start = dot
    while word_start > 0 and (text[word_start - 1].isalnum() or text[word_start - 1] == "."):
        word_start -= 1
    word = text[word_start:dot].lower()
    if len(word) == 1 and word.isalpha():  # an initial: "Michael R. Bloomberg"
        return True
    return word in ABBREVIATIONS


def split_sentences(text: str, offset: int = 0, min_chars: int = 2) -> list[Sentence]:
    """Sentences of `text`; offsets are shifted by `offset` (the text's place in its source)."""
    spans: list[Sentence] = []
    start = 0
    for match in _BOUNDARY.finditer(text):
        if match.group(1) is not None:
            punct_end = match.end(1)
            nxt = text[match.end() : match.end() + 1]
            if match.group(1).startswith(".") and _is_abbreviation(text, match.start(1)):
                continue
            if nxt and nxt.islower():  # "e.g. this" or an ellipsis mid-sentence
                continue
            end = punct_end
        else:
            end = match.start(3)
        _add(spans, text, (start, end), offset, min_chars)
        start = match.end()
    _add(spans, text, (start, len(text)), offset, min_chars)
    return spans


def _add(
    spans: list[Sentence], text: str, span: tuple[int, int], offset: int, min_chars: int
) -> None:
    start, end = span
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    if end - start >= min_chars:
        spans.append(Sentence(start + offset, end + offset, text[start:end]))
