"""Reporting loaders: files, folders, pasted text and attachment bytes to `SourceDocument`s.

Every failure is an `InputError` (or its `LimitError`) whose message names the file and the
problem in one line; nothing else escapes, whatever the bytes (see tests/corpus).
"""

from __future__ import annotations

import logging
import os
import re
import stat
import unicodedata
from collections.abc import Sequence
from pathlib import Path, PurePosixPath
from typing import Final

from common.deadline import run_with_deadline
from common.errors import InputError, LimitError
from common.wording import format_bytes
from corpus.reporting.context_lines import (
    bylines_outside,
    markdown_context,
    pdf_context,
    plain_text_context,
    plain_text_title,
)
from corpus.reporting.documents import (
    SourceDocument,
    clean_document_text,
    clean_label,
    make_document,
)
from corpus.reporting.html_text import decode_html, html_context_lines, html_to_text
from corpus.reporting.pdf_text import pdf_to_text
from corpus.reporting.plain_text import decode_text, markdown_title

logger = logging.getLogger(__name__)


class EmptySourceError(InputError):
    """A source with nothing in it (no bytes, or whitespace only): a folder's ingest skips
    it like an unsupported file; named alone, it fails."""


# Past this, HTML or PDF extraction is abandoned: pypdf's repair of a damaged cross-reference
# table rescans the whole file for every object (minutes for a few MB), and no size limit
# alone bounds that.
EXTRACTION_TIME_LIMIT_S: Final = 60.0

KIND_BY_SUFFIX: Final[dict[str, str]] = {
    ".txt": "text",
    ".md": "markdown",
    ".markdown": "markdown",
    ".html": "html",
    ".htm": "html",
    ".pdf": "pdf",
}
SUPPORTED_SUFFIXES: Final[frozenset[str]] = frozenset(KIND_BY_SUFFIX)
_SUPPORTED_LIST: Final = ", ".join(sorted(SUPPORTED_SUFFIXES))


def kind_for_name(name: str) -> str | None:
    """The document kind a file name's suffix means, or None when unsupported."""
    return KIND_BY_SUFFIX.get(PurePosixPath(name).suffix.lower())


def _unsupported(shown: str, suffix: str) -> str:
    got = f"'{suffix}'" if suffix else "(no extension)"
    return f"{shown}: unsupported file type {got}; supported: {_SUPPORTED_LIST}"


# --------------------------------------------------------------------------- folders


def collect_files(
    paths: Sequence[Path], *, max_files: int
) -> tuple[list[Path], list[tuple[Path, str]]]:
    """Expand files and folders into the supported files to load, and those skipped.

    Folders are walked recursively in sorted order, skipping hidden names (".git", ".DS_Store")
    and not following symbolic links to folders (no loops). Unsupported files found inside a
    folder are returned in the skipped list with the reason; a named path that does not exist,
    or a named file of an unsupported type, is an InputError. The same file reached twice is
    listed once. More than `max_files` files is a LimitError, raised as soon as it is known.
    """
    files: list[Path] = []
    skipped: list[tuple[Path, str]] = []
    seen: set[str] = set()

    def add(path: Path, given: Path) -> None:
        key = os.path.realpath(path)
        if key in seen:
            return
        seen.add(key)
        files.append(path)
        if len(files) > max_files:
            raise LimitError(
                f"{clean_label(str(given))}: more than {max_files:,} files to add "
                f"(the limit for one ingest is {max_files:,}); add fewer at a time"
            )

    for given in paths:
        shown = clean_label(str(given))
        if given.is_dir():
            for path, reason in _walk(given):
                if reason is None:
                    add(path, given)
                else:
                    skipped.append((path, reason))
        elif given.is_file():
            if kind_for_name(given.name) is None:
                raise InputError(_unsupported(shown, given.suffix.lower()))
            add(given, given)
        elif given.exists():
            raise InputError(f"{shown}: not a regular file or folder")
        else:
            raise InputError(f"{shown}: no such file or folder")
    return files, skipped


def _walk(top: Path) -> list[tuple[Path, str | None]]:
    """(path, None) for a supported file, (path, reason) for a skipped one, sorted."""
    found: list[tuple[Path, str | None]] = []

    def unreadable(error: OSError) -> None:
        where = Path(error.filename) if error.filename else top
        found.append((where, f"cannot read this folder ({error.strerror or error})"))

    for dirpath, dirnames, filenames in os.walk(top, onerror=unreadable, followlinks=False):
        base = Path(dirpath)
        # os.walk descends into dirnames after this yield: prune and order it in place.
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for dirname in dirnames:
            if (base / dirname).is_symlink():
                found.append((base / dirname, "link to a folder (not followed)"))
        dirnames[:] = [d for d in dirnames if not (base / d).is_symlink()]
        for filename in sorted(filenames):
            if filename.startswith("."):
                continue
            path = base / filename
            if not path.is_file():  # broken link, FIFO, socket, device
                found.append((path, "not a regular file"))
            elif kind_for_name(filename) is None:
                found.append((path, f"unsupported file type '{path.suffix.lower() or '(none)'}'"))
            else:
                found.append((path, None))
    return found


# --------------------------------------------------------------------------- loaders


def load_file(
    path: Path,
    *,
    max_bytes: int,
    title: str | None = None,
    time_limit_s: float = EXTRACTION_TIME_LIMIT_S,
) -> SourceDocument:
    """One file to a document; its size is checked (fstat of the opened file) before reading."""
    shown = clean_label(str(path))
    if path.is_dir():
        raise InputError(f"{shown}: is a folder, not a file")
    kind = kind_for_name(path.name)
    if kind is None:
        raise InputError(_unsupported(shown, path.suffix.lower()))
    data = _read_bounded(path, shown, max_bytes)
    return document_from_bytes(
        data,
        kind=kind,
        name=shown,
        origin=str(path.resolve()),
        max_bytes=max_bytes,
        title=title,
        fallback_title=path.stem,
        time_limit_s=time_limit_s,
    )


def _read_bounded(path: Path, shown: str, max_bytes: int) -> bytes:
    # O_NONBLOCK: opening a FIFO must not wait for a writer; fstat on the open descriptor
    # then checks the very file we read, with no window to swap it after the check.
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(path, flags)
    except FileNotFoundError:
        raise InputError(f"{shown}: no such file") from None
    except IsADirectoryError:
        raise InputError(f"{shown}: is a folder, not a file") from None
    except OSError as exc:
        raise InputError(f"{shown}: cannot open it ({exc.strerror or exc})") from None
    try:
        info = os.fstat(fd)
        if stat.S_ISDIR(info.st_mode):
            raise InputError(f"{shown}: is a folder, not a file")
        if not stat.S_ISREG(info.st_mode):
            raise InputError(f"{shown}: not a regular file")
        if info.st_size > max_bytes:
            raise LimitError(_too_big(shown, info.st_size, max_bytes))
    except BaseException:
        os.close(fd)
        raise
    with os.fdopen(fd, "rb") as handle:
        try:
            data = handle.read(max_bytes + 1)  # +1: a file that grew since fstat is caught
        except OSError as exc:
            raise InputError(f"{shown}: cannot read it ({exc.strerror or exc})") from None
    if len(data) > max_bytes:
        raise LimitError(_too_big(shown, None, max_bytes))
    return data


def _too_big(shown: str, size: int | None, max_bytes: int) -> str:
    what = format_bytes(size) if size is not None else "the file"
    return f"{shown}: {what} is over the {format_bytes(max_bytes)} limit for one source"


def load_bytes(
    data: bytes,
    *,
    filename: str,
    max_bytes: int,
    title: str | None = None,
    origin: str | None = None,
    time_limit_s: float = EXTRACTION_TIME_LIMIT_S,
) -> SourceDocument:
    """Uploaded bytes (a Discord attachment) to a document.

    `filename` is untrusted: only its last component is used, and only to pick the kind and a
    fallback title; it is never a filesystem path. `origin` defaults to "attachment:<name>"
    (a caller may pass the attachment's URL instead).
    """
    name = safe_filename(filename)
    if len(data) > max_bytes:
        raise LimitError(_too_big(name, len(data), max_bytes))
    kind = kind_for_name(name)
    if kind is None:
        raise InputError(_unsupported(name, PurePosixPath(name).suffix.lower()))
    return document_from_bytes(
        data,
        kind=kind,
        name=name,
        origin=origin or f"attachment:{name}",
        max_bytes=max_bytes,
        title=title,
        fallback_title=PurePosixPath(name).stem,
        time_limit_s=time_limit_s,
    )


def safe_filename(filename: str) -> str:
    """The last component of an untrusted name, on one line; "attachment" if nothing is left.

    Both separators count ("..\\..\\x.txt" from Windows clients), and "." / ".." are not names.
    """
    last = re.split(r"[/\\]", filename)[-1]
    name = clean_label(unicodedata.normalize("NFC", last), limit=120)
    return "attachment" if name in {"", ".", ".."} else name


def load_text(
    text: str, *, title: str, origin: str = "pasted", max_bytes: int | None = None
) -> SourceDocument:
    """Pasted text to a document. The default origin becomes "pasted:<title>"."""
    shown_title = clean_label(title) or "pasted text"
    if max_bytes is not None:
        # Every character is at least one byte: a long text is refused without encoding it.
        size = len(text) if len(text) > max_bytes else len(text.encode("utf-8", "surrogatepass"))
        if size > max_bytes:
            raise LimitError(_too_big(f"pasted text '{shown_title}'", size, max_bytes))
    return make_document(
        text,
        title=shown_title,
        origin=f"pasted:{shown_title}" if origin == "pasted" else origin,
        kind="text",
        name=f"pasted text '{shown_title}'",
    )


# --------------------------------------------------------------------------- extraction


def document_from_bytes(
    data: bytes,
    *,
    kind: str,
    name: str,
    origin: str,
    max_bytes: int,
    title: str | None = None,
    fallback_title: str | None = None,
    charset: str | None = None,
    result_kind: str | None = None,
    time_limit_s: float = EXTRACTION_TIME_LIMIT_S,
) -> SourceDocument:
    """Extract text of `kind` ("text" | "markdown" | "html" | "pdf") from bytes.

    `name` is what messages call the input; `charset` is a declared encoding (HTTP header);
    `result_kind` overrides the kind recorded on the document ("url" for fetched pages).
    Title: `title`, else the one found in the content, else `fallback_title`, else `name`.
    PDF and HTML extraction past `time_limit_s` seconds is a LimitError.
    """
    if not data.strip():
        raise EmptySourceError(f"{name}: empty (nothing in it)")
    found: str | None
    context: list[str] | None = None  # None: make_document finds them (text, Markdown)
    overtime = f"{name}: extracting the text took over {time_limit_s:g} s; refused"
    if kind == "pdf":
        text, found = run_with_deadline(
            lambda: pdf_to_text(data, name=name, max_text_bytes=max_bytes),
            limit_s=time_limit_s,
            on_timeout=lambda: LimitError(overtime),
            name="chorus-extract",
        )
        cleaned = clean_document_text(text)
        context = pdf_context(cleaned, found)
        # No metadata title (matplotlib's PDFs have none): a first line that reads as a
        # title, as for a plain-text note (pdf_context marks it), not the file name.
        found = found or plain_text_title(cleaned)
    elif kind == "html":
        html = decode_html(data, name=name, charset=charset)
        text, found, context = run_with_deadline(
            lambda: (*html_to_text(html, name=name), html_context_lines(html)),
            limit_s=time_limit_s,
            on_timeout=lambda: LimitError(overtime),
            name="chorus-extract",
        )
        # A byline in the page's header is dropped by the extractor with the header; it is
        # kept (as context, above the text) so that "Who wrote it?" can quote it.
        text = "".join(f"{line}\n\n" for line in bylines_outside(text, context)) + text
    elif kind in ("text", "markdown"):
        text = decode_text(data, name=name, charset=charset)
        # A note's first line that reads as a title names it better than its file name.
        found = markdown_title(text) if kind == "markdown" else plain_text_title(text)
    else:
        raise ValueError(f"unknown document kind {kind!r}")
    chosen = next((t for t in (title, found, fallback_title) if t and clean_label(t)), name)
    return make_document(
        text,
        title=chosen,
        origin=origin,
        kind=result_kind or kind,
        name=name,
        context_lines=context if context is not None else _found_context(text, kind),
    )


def _found_context(text: str, kind: str) -> list[str]:
    body = clean_document_text(text)
    return markdown_context(body) if kind == "markdown" else plain_text_context(body)
