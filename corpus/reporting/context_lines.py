"""Which lines of a document are context (titles, headings, bylines, captions), not answers.

Loaders name these lines; `corpus.reporting.documents.make_document` turns them into character spans
of the normalised text. Answers never quote a context line on its own: a title repeats the
words of a question without answering it. (Navigation and footers are already dropped from
HTML by the extractor, see html_text.py.)
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Final

MAX_TITLE_WORDS: Final = 25
_ATX_HEADING: Final = re.compile(r"^ {0,3}#{1,6}[ \t]+\S")
_SETEXT_UNDERLINE: Final = re.compile(r"^ {0,3}(=+|-+)[ \t]*$")
_FENCE: Final = re.compile(r"^ {0,3}(`{3,}|~{3,})")
_BYLINE: Final = re.compile(
    r"^\s*(?:by|(?:written|posted|filed|compiled|edited|reported) by|reporting by|photo:|image:"
    r"|credit:)\s+\S",
    re.I,
)
_EMPHASIS_LINE: Final = re.compile(r"^\s*([*_]{1,2})\S.*\S\1\s*$")
_WORDS: Final = re.compile(r"\S+")


def _squash(line: str) -> str:
    return " ".join(line.split())


def reads_as_title(line: str) -> bool:
    """A short line that does not end like a sentence ("Field notes, ... (2022-06-03)")."""
    flat = _squash(line)
    if not flat or len(_WORDS.findall(flat)) > MAX_TITLE_WORDS:
        return False
    return flat[-1] not in ".!?…:;,\"'”’"


def is_byline(line: str) -> bool:
    flat = _squash(line)
    return bool(_BYLINE.match(flat)) and len(_WORDS.findall(flat)) <= 12


def bylines_outside(text: str, lines: Sequence[str], limit: int = 2) -> list[str]:
    """The first `limit` byline lines among `lines` that `text` does not hold."""
    return [line for line in lines if is_byline(line) and line not in text][:limit]


def plain_text_title(text: str) -> str | None:
    """A plain-text file's first non-blank line when it reads as a title (and more follows)."""
    lines = [line for line in text.split("\n") if line.strip()]
    return _squash(lines[0]) if len(lines) > 1 and reads_as_title(lines[0]) else None


def plain_text_context(text: str) -> list[str]:
    """A plain-text file's first line when it reads as a title, and byline lines."""
    lines = [line for line in text.split("\n") if line.strip()]
    found = [lines[0]] if plain_text_title(text) else []
    return found + [line for line in lines[:6] if is_byline(line)]


def markdown_context(text: str) -> list[str]:
    """ATX ("## Heading") and setext (underlined) headings, outside fenced code."""
    found: list[str] = []
    lines = text.split("\n")
    fenced = False
    for n, line in enumerate(lines):
        if _FENCE.match(line):
            fenced = not fenced
            continue
        if fenced:
            continue
        if _ATX_HEADING.match(line):
            found.append(line)
        elif (
            n + 1 < len(lines)
            and line.strip()
            and _SETEXT_UNDERLINE.match(lines[n + 1])
            and reads_as_title(line)
        ):
            found.extend((line, lines[n + 1]))
        elif is_byline(line) or (_EMPHASIS_LINE.match(line) and reads_as_title(line.strip("*_ "))):
            found.append(line)  # a byline, or a dateline in italics
    return found


# A subtitle or dateline under a PDF's title: a line of the header block in title case, or
# one that ends with a year or date ("Quarterly report, January to March 2026"). A wrapped
# line of prose ends mid-sentence ("... were created in") and is neither.
MAX_HEADER_LINES: Final = 3
_ENDS_WITH_DATE: Final = re.compile(r"(?:\b(?:1[5-9]|20)\d\d|\b\d{1,2}|\d{4}-\d\d-\d\d)\)?$")
_SMALL_WORDS: Final = frozenset("a an and as at by for from in of on or the to vs with".split())


def _title_cased(line: str) -> bool:
    words = [w for w in re.findall(r"[^\W\d_][\w'’-]*", line) if w.lower() not in _SMALL_WORDS]
    return bool(words) and sum(w[0].isupper() for w in words) >= 0.8 * len(words)


def _subtitle(line: str, following: str) -> bool:
    """A header line under the title: reads as a title, is followed by a line that starts a
    new sentence, and is title-cased or ends with a date."""
    flat = _squash(line)
    nxt = following.lstrip()[:1]
    return (
        reads_as_title(flat)
        and ". " not in flat
        and bool(nxt)
        and (nxt.isupper() or nxt.isdigit())
        and (_title_cased(flat) or _ENDS_WITH_DATE.search(flat) is not None)
    )


def pdf_context(text: str, title: str | None) -> list[str]:
    """A PDF's title line (its first line when it is the metadata title or reads as one), the
    subtitle or dateline lines right under it, and byline lines."""
    lines = [line for line in text.split("\n") if line.strip()]
    if not lines:
        return []
    first = lines[0]
    found = []
    if (title and _squash(first) == _squash(title)) or reads_as_title(first):
        found.append(first)
        for n in range(1, min(MAX_HEADER_LINES + 1, len(lines) - 1)):
            if not _subtitle(lines[n], lines[n + 1]):
                break
            found.append(lines[n])
    return found + [line for line in lines[:6] if is_byline(line) and line not in found]


def line_spans(text: str, lines: Iterable[str]) -> tuple[tuple[int, int], ...]:
    """Spans of the lines of `text` equal (spacing aside) to one of `lines`, in order."""
    wanted = {_squash(line) for line in lines if line.strip()}
    if not wanted:
        return ()
    spans: list[tuple[int, int]] = []
    at = 0
    for line in text.split("\n"):
        flat = _squash(line)
        if flat and flat in wanted:
            lead = len(line) - len(line.lstrip())
            spans.append((at + lead, at + len(line.rstrip())))
        at += len(line) + 1
    return tuple(spans)


def inside(spans: Sequence[tuple[int, int]], start: int, end: int) -> bool:
    """Whether [start, end) lies within one of the spans."""
    return any(s <= start and end <= e for s, e in spans)
