"""The one record every reporting loader returns, and the text normalisation behind it.

Citations are character offsets into `SourceDocument.text`, so the normalisation here is the
contract: whatever a loader extracts passes through `clean_document_text` exactly once, and the
result never changes afterwards (the function is idempotent, which the tests check).
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from common.errors import InputError
from corpus.reporting.context_lines import line_spans, markdown_context, plain_text_context

KINDS: Final = frozenset({"text", "markdown", "html", "pdf", "url"})
MAX_TITLE_CHARS: Final = 300

# Every character that str.splitlines() treats as a line break becomes "\n", so that after
# normalisation text.splitlines() == text.split("\n") and offsets mean the same thing to
# every consumer. \v and \f (PDF page breaks) would otherwise glue words together if removed.
_LINE_BREAKS: Final = re.compile("\r\n|[\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029]")
# Remaining C0/C1 controls (NUL included) and lone surrogates, which cannot be encoded as
# UTF-8 and so would break hashing and storage; \t and \n are kept.
# Also the bidi embeddings, overrides and isolates (U+202A-202E, U+2066-2069): they make a
# quoted line read differently from its characters ("gpj.exe" shown as "exe.jpg"). The
# marks (LRM, RLM, ALM) stay: right-to-left text needs them and they reorder nothing.
_UNWANTED: Final = re.compile(
    "[\x00-\x08\x0e-\x1f\x7f-\x9f\ud800-\udfff\u202a-\u202e\u2066-\u2069]"
)
_BLANK_RUNS: Final = re.compile("\n{3,}")
_SPACES: Final = re.compile(r"\s+")
# Controls, surrogates and line/paragraph separators break a one-line label; bidi overrides
# can make a shown name read differently from what it is. Other format characters (the
# zero-width joiners some scripts need) stay.
_BREAKING: Final = frozenset({"Cc", "Cs", "Zl", "Zp"})
_BIDI: Final = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


@dataclass(frozen=True)
class SourceDocument:
    """A reporting document ready to chunk and cite.

    text:   extracted text that citations index into (see `clean_document_text`); never empty
    title:  given title, else <title>/first heading/PDF metadata/file stem
    origin: absolute file path, the final URL after redirects, or "pasted:<name>"
    kind:   "text" | "markdown" | "html" | "pdf" | "url"
    sha256: hex sha256 of `text` encoded as UTF-8 (identity for de-duplication)
    context: spans of `text` that are titles, headings, bylines or captions: context for the
            text under them, never quoted as an answer on their own (reporting/context_lines.py)
    """

    text: str
    title: str
    origin: str
    kind: str
    sha256: str
    context: tuple[tuple[int, int], ...] = ()

    def __post_init__(self) -> None:
        # Programming errors, not user input: loaders never build these directly.
        if not self.text:
            raise ValueError("SourceDocument.text must not be empty")
        if self.kind not in KINDS:
            raise ValueError(
                f"SourceDocument.kind must be one of {sorted(KINDS)}, not {self.kind!r}"
            )


def clean_document_text(text: str) -> str:
    """Line breaks to "\\n", control and bidi-override characters (but \\t, \\n) removed,
    trailing whitespace trimmed on every line, leading blank lines dropped, blank-line runs
    collapsed to one."""
    text = _LINE_BREAKS.sub("\n", text)
    text = _UNWANTED.sub("", text)
    lines = [line.rstrip() for line in text.split("\n")]
    text = "\n".join(lines).strip("\n")
    return _BLANK_RUNS.sub("\n\n", text)


def text_sha256(text: str) -> str:
    """The de-duplication identity of a (normalised) text."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def clean_label(value: str, *, limit: int = MAX_TITLE_CHARS) -> str:
    """One line of at most `limit` characters: for titles and for names shown in messages.

    Untrusted names (attachment file names, URLs, PDF metadata) may carry newlines or
    terminal escapes; a user-facing error must stay one readable line.
    """
    chars = (" " if c in _BIDI or unicodedata.category(c) in _BREAKING else c for c in value)
    label = _SPACES.sub(" ", "".join(chars)).strip()
    if len(label) > limit:
        label = label[: limit - 1].rstrip() + "…"
    return label


def make_document(
    text: str,
    *,
    title: str,
    origin: str,
    kind: str,
    name: str | None = None,
    context_lines: Sequence[str] | None = None,
) -> SourceDocument:
    """Normalise `text` and build the document; InputError naming `name` if nothing is left.

    `title` is cleaned to one line; an empty one falls back to `name` (or the origin).
    `context_lines` are the lines the loader found to be titles, headings or bylines; None
    finds them from the text itself for plain text (a title line) and Markdown (headings).
    """
    shown = clean_label(name or origin)
    body = clean_document_text(text)
    if not body:
        raise InputError(f"{shown}: no text in it (empty or only whitespace)")
    if context_lines is None:
        if kind == "markdown":
            context_lines = markdown_context(body)
        elif kind == "text":
            context_lines = plain_text_context(body)
        else:
            context_lines = ()
    return SourceDocument(
        text=body,
        title=clean_label(title) or shown or "untitled",
        origin=origin,
        kind=kind,
        sha256=text_sha256(body),
        context=line_spans(body, context_lines),
    )
