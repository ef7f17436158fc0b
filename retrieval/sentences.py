"""Sentence spans with exact character offsets.

A small rule-based splitter rather than a library: answers quote sentences verbatim and
cite their offsets, so the spans must map back to the source exactly, and splitting runs on
every question (the candidate chunks), where a heavier segmenter would dominate the latency.
tests/retrieval/test_sentences.py holds the table of cases it must get right.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

# Words that end with a full stop without ending a sentence.
ABBREVIATIONS = frozenset(
    """mr mrs ms dr prof sr jr st sen rep gov gen col lt sgt capt rev hon pres vs etc inc ltd co
    corp dept univ no fig al approx est jan feb mar apr jun jul aug sep sept oct nov dec mon tue
    wed thu fri sat sun u.s u.k u.n e.g i.e a.m p.m a.k.a ph.d mt ft ave blvd nos vol pp ed eds
    cf viz op cit ca""".split()
)

# A sentence ends at . ! ? … (plus closing quotes/brackets) followed by whitespace, or at a
# line break. Blank lines always end a sentence (headings, paragraphs); a single line break
# does unless the next line carries on the sentence (a PDF's wrapped line starts in lower case).
_BOUNDARY = re.compile(r"([.!?…]+[\"'”’)\]]*)(\s+)|(\n\s*)")
# A citation marker just before the full stop ("... here [1]. then"): the stop ends a cited
# sentence even when the next word is in lower case.
_CITED = re.compile(r"\[\d{1,3}\]\Z")
# "1." / "a)" / "iv." at the start of a line: a list marker, not the end of a sentence.
_LIST_MARKER = re.compile(r"(?:^|\n)[ \t]*(?:\d{1,3}|[a-zA-Z]|[ivxIVX]{1,4})[.)]\Z")
# A bullet ("- ", "* ", "• ") or number ("1. ", "2) ") opening a list item's line: markup,
# not the sentence, so its span (and every quote of it) starts after the marker.
_ITEM_MARKER = re.compile(r"(?:[-*+•‣◦▪–]|\d{1,3}[.)])[ \t]+")


@dataclass(frozen=True)
class Sentence:
    start: int
    end: int
    text: str


def _is_abbreviation(text: str, dot: int) -> bool:
    """Whether the full stop at `dot` closes an abbreviation, an initial or a list number."""
    word_start = dot
    while word_start > 0 and (text[word_start - 1].isalnum() or text[word_start - 1] == "."):
        word_start -= 1
    word = text[word_start:dot].lower()
    if len(word) == 1 and word.isalpha():  # an initial: "Michael R. Bloomberg"
        return True
    if word in ABBREVIATIONS:
        return True
    return _LIST_MARKER.search(text, max(0, dot - 8), dot + 1) is not None


def split_sentences(
    text: str,
    offset: int = 0,
    min_chars: int = 2,
    breaks: Sequence[tuple[int, int]] = (),
) -> list[Sentence]:
    """Sentences of `text`; offsets are shifted by `offset` (the text's place in its source).

    `breaks` are spans of the source (same offsets) that no sentence crosses: a document's
    context lines (a title or heading without a full stop would otherwise run on into the
    sentence under it when its line is long enough to read as wrapped prose).
    """
    cuts = sorted({b - offset for span in breaks for b in span if 0 < b - offset < len(text)})
    if not cuts:
        return _split(text, offset, min_chars)
    out: list[Sentence] = []
    for lo, hi in zip([0, *cuts], [*cuts, len(text)], strict=True):
        out += _split(text[lo:hi], offset + lo, min_chars)
    return out


def _split(text: str, offset: int, min_chars: int) -> list[Sentence]:
    spans: list[Sentence] = []
    start = 0
    for match in _BOUNDARY.finditer(text):
        nxt = text[match.end() : match.end() + 1]
        if match.group(1) is not None:
            punct = match.group(1)
            single_dot = punct.startswith(".") and len(punct.rstrip("\"'”’)]")) == 1
            if single_dot and _is_abbreviation(text, match.start(1)):
                continue
            if nxt and nxt.islower() and not _CITED.search(text, 0, match.start(1)):
                continue  # "e.g. this" or an ellipsis mid-sentence
            end = match.end(1)
        else:
            gap = match.group(3)
            if (
                "\n" not in gap[1:]
                and nxt
                and (nxt.islower() or nxt.isdigit() or _is_long(text, match.start(3)))
                and _continues(text, match.start(3))
            ):
                continue  # a wrapped line: the sentence goes on
            end = match.start(3)
        _add(spans, text, (start, end), offset, min_chars)
        start = match.end()
    _add(spans, text, (start, len(text)), offset, min_chars)
    return spans


# A line at least this long that ends without punctuation is hard-wrapped prose (a plain-text
# report wrapped at 72 columns), even when the next line starts with a capital ("... said
# \nTwitter"); a title line or a short label is shorter than this.
WRAPPED_LINE_CHARS = 50


def _is_long(text: str, at: int) -> bool:
    return at - (text.rfind("\n", 0, at) + 1) >= WRAPPED_LINE_CHARS


def _continues(text: str, at: int) -> bool:
    """Whether the line ending at `at` reads as unfinished (no closing punctuation)."""
    line_start = text.rfind("\n", 0, at) + 1
    line = text[line_start:at].rstrip()
    if not line or line.lstrip().startswith(("#", "- ", "* ", "• ", "|")):
        return False
    return line[-1] not in ".!?:;…"


def _add(
    spans: list[Sentence], text: str, span: tuple[int, int], offset: int, min_chars: int
) -> None:
    start, end = span
    while start < end and text[start].isspace():
        start += 1
    if _opens_line(text, start) and (marker := _ITEM_MARKER.match(text, start, end)):
        start = marker.end()
    while end > start and text[end - 1].isspace():
        end -= 1
    if end - start >= min_chars:
        spans.append(Sentence(start + offset, end + offset, text[start:end]))


def _opens_line(text: str, at: int) -> bool:
    """Whether only spaces or tabs stand between the line's start and `at`."""
    while at > 0 and text[at - 1] in " \t":
        at -= 1
    return at == 0 or text[at - 1] == "\n"
