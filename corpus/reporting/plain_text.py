"""Text and Markdown files: bytes decoded strictly (a byte-order mark, a declared charset,
else UTF-8; binary data refused with what it looks like), and a Markdown note's title."""

from __future__ import annotations

import codecs
import re
from typing import Final

from common.errors import InputError
from corpus.reporting.byte_order import bom_codec

# Above this share of control characters, valid UTF-8 is still binary data, not text.
_MAX_CONTROL_SHARE: Final = 0.10
_MAGIC: Final = (
    (b"%PDF-", "a PDF"),
    (b"PK\x03\x04", "a ZIP archive or Office document"),
    (b"\x89PNG", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF8", "a GIF image"),
    (b"\x1f\x8b", "gzip-compressed data"),
)
_ATX_HEADING: Final = re.compile(r"^ {0,3}#{1,6}[ \t]+(.+?)(?:[ \t]+#+)?[ \t]*$")
_SETEXT_UNDERLINE: Final = re.compile(r"^ {0,3}(=+|-+)[ \t]*$")
_FENCE: Final = re.compile(r"^ {0,3}(`{3,}|~{3,})")
_FRONT_MATTER: Final = re.compile(r"\A---[ \t]*\n(.*?\n)(?:---|\.\.\.)[ \t]*(?:\n|\Z)", re.S)
_FRONT_TITLE: Final = re.compile(r"^title:[ \t]*(.+?)[ \t]*$", re.M)
# Control characters other than tab, line feed, carriage return and form feed.
_CONTROL_CHARS: Final = re.compile("[\x00-\x08\x0b\x0e-\x1f\x7f-\x9f]")


def decode_text(data: bytes, *, name: str, charset: str | None = None) -> str:
    """Text bytes to str: a byte-order mark, else a declared charset, else strict UTF-8.

    Refuses (InputError) rather than guess: NUL bytes or mostly control characters mean a
    binary file, and bytes that are not valid in the encoding would become mojibake.
    """
    marked = bom_codec(data)
    if marked is not None:
        codec = marked
        try:
            text = data.decode(codec)
        except UnicodeDecodeError:
            raise InputError(
                f"{name}: broken {codec.removesuffix('-sig')} text "
                "(invalid bytes after its byte-order mark)"
            ) from None
    else:
        codec = _declared_codec(charset) or "utf-8"
        # NUL bytes mean binary, unless the sender declared a UTF-16/32 body (no BOM needed).
        if b"\x00" in data and not codec.startswith(("utf-16", "utf-32")):
            raise InputError(
                f"{name}: binary data, not text{_looks_like(data)} (it contains NUL bytes; "
                "UTF-16 text needs a byte-order mark)"
            )
        try:
            text = data.decode(codec)
        except UnicodeDecodeError as exc:
            hint = _looks_like(data)
            if hint:
                raise InputError(f"{name}: binary data, not text{hint}") from None
            raise InputError(
                f"{name}: not valid {codec.upper()} text (bad byte at offset {exc.start}); "
                "save it as UTF-8"
            ) from None
    if "\x00" in text:
        raise InputError(f"{name}: binary data, not text (it contains NUL characters)")
    controls = len(_CONTROL_CHARS.findall(text))
    if text and controls / len(text) > _MAX_CONTROL_SHARE:
        raise InputError(
            f"{name}: binary data, not text{_looks_like(data)} (mostly control characters)"
        )
    return text


def _declared_codec(charset: str | None) -> str | None:
    if not charset:
        return None
    try:
        info = codecs.lookup(charset.strip())
    except LookupError:
        return None
    return info.name if getattr(info, "_is_text_encoding", True) else None


def _looks_like(data: bytes) -> str:
    for magic, what in _MAGIC:
        if data.startswith(magic):
            return f" (looks like {what})"
    return ""


def markdown_title(text: str) -> str | None:
    """YAML front matter's `title:`, else the first ATX ("# Title") or setext (underlined)
    heading outside fenced code."""
    front = _FRONT_MATTER.match(text.replace("\r\n", "\n"))
    if front:
        declared = _FRONT_TITLE.search(front.group(1))
        if declared and declared.group(1).strip("'\" "):
            return declared.group(1).strip("'\" ")
        text = text.replace("\r\n", "\n")[front.end() :]
    fence: str | None = None
    previous = ""
    for line in text.splitlines():
        opened = _FENCE.match(line)
        if fence is not None:
            if opened and opened.group(1)[0] == fence[0] and len(opened.group(1)) >= len(fence):
                fence = None
            previous = ""
            continue
        if opened:
            fence = opened.group(1)
            previous = ""
            continue
        heading = _ATX_HEADING.match(line)
        if heading and heading.group(1).strip("# \t"):
            return heading.group(1).strip()
        if previous.strip() and _SETEXT_UNDERLINE.match(line) and not _ATX_HEADING.match(previous):
            return previous.strip()
        previous = line
    return None
