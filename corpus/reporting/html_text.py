"""HTML bytes to article text and title, with trafilatura.

Decoding is strict on purpose: a wrong guess would store mojibake that every later quote
repeats, so bytes that match neither a byte-order mark, a declared charset nor UTF-8 are
refused with a message instead.
"""

from __future__ import annotations

import codecs
import logging
import re
from configparser import ConfigParser
from functools import cache
from typing import Any, Final

import trafilatura
from trafilatura.settings import use_config
from trafilatura.utils import load_html

from common.errors import InputError, LimitError
from corpus.reporting.byte_order import bom_codec

logger = logging.getLogger(__name__)

# Page furniture that trafilatura's recall-oriented fallbacks would otherwise return as the
# "article" of a page that has none (a menu, a cookie footer). A <header> inside the article
# holds its headline, so only page-level headers go.
_PRUNE: Final = [
    "//nav",
    "//aside",
    "//footer",
    "//menu",
    "//noscript",
    "//form",
    "//*[@role='navigation']",
    "//header[not(ancestor::article) and not(ancestor::main)]",
]
FULL_EXTRACTION_MAX_TAGS: Final = 10_000
MAX_ATTRIBUTES_PER_TAG: Final = 256
_CHECK_BELOW_CHARS: Final = 1_000
# Linear scans: [^<>] cannot run past the next tag, so no position is scanned twice.
_LONG_TAG: Final = re.compile(r"<[A-Za-z][^<>]{500,}>")
_ATTRIBUTE: Final = re.compile(r"""[^\s"'<>/=]+(?:\s*=\s*(?:"[^"]*"|'[^']*'|[^\s"'<>]*))?""")
_META_CHARSET: Final = re.compile(
    rb"""<meta[^>]*?charset\s*=\s*["']?\s*([A-Za-z0-9_:.\-]+)""", re.I
)
# HTML treats these labels as windows-1252 (WHATWG Encoding standard).
_LATIN1_LABELS: Final = frozenset(
    {"iso-8859-1", "iso8859-1", "latin1", "latin-1", "us-ascii", "ascii"}
)


@cache
def _config() -> ConfigParser:
    config = use_config()
    # Our own byte limit applies before this; trafilatura's 20 MB cap would otherwise turn a
    # larger configured limit into a misleading "no article text".
    config.set("DEFAULT", "MAX_FILE_SIZE", str(2**62))
    config.set("DEFAULT", "EXTENSIVE_DATE_SEARCH", "off")
    return config


def _text_codec(label: str) -> str | None:
    """The Python codec for a charset label, or None when unknown or not a text encoding."""
    label = label.strip().lower()
    if label in _LATIN1_LABELS:
        return "cp1252"
    if label.startswith(("utf-16", "utf-32")):
        return "utf-8"  # without a BOM, HTML says a declared UTF-16 means UTF-8
    try:
        info = codecs.lookup(label)
    except LookupError:
        return None
    return info.name if getattr(info, "_is_text_encoding", True) else None


def decode_html(data: bytes, *, name: str, charset: str | None = None) -> str:
    """Decode HTML bytes: BOM, else the declared charset (HTTP header, then <meta>), else
    UTF-8; InputError when none of them fits."""
    codec = bom_codec(data)
    if codec is not None:
        try:
            return data.decode(codec)
        except UnicodeDecodeError:
            raise InputError(
                f"{name}: broken {codec} text (invalid bytes after the byte-order mark)"
            ) from None
    if b"\x00" in data:
        raise InputError(f"{name}: binary data, not HTML (it contains NUL bytes)")
    declared = charset
    if declared is None:
        match = _META_CHARSET.search(data[:4096])
        declared = match.group(1).decode("ascii") if match else None
    candidates = [c for c in (_text_codec(declared) if declared else None, "utf-8") if c]
    for codec in dict.fromkeys(candidates):
        try:
            return data.decode(codec)
        except UnicodeDecodeError:
            continue
    said = f"declared {declared}, " if declared else ""
    raise InputError(f"{name}: cannot decode the HTML ({said}not valid UTF-8); save it as UTF-8")


def html_to_text(html: str, *, name: str) -> tuple[str, str | None]:
    """The main text of a page and its title, or InputError when there is no article.

    trafilatura's full extraction grows faster than linearly with the number of elements
    (about 14 s for 20,000 paragraphs), so pages with more than FULL_EXTRACTION_MAX_TAGS
    tags go through its linear baseline extractor instead, after the same pruning.
    """
    _check_markup(html, name)
    try:
        if html.count("<") <= FULL_EXTRACTION_MAX_TAGS:
            text, title = _full_extraction(html)
        else:
            text, title = _baseline_extraction(html)
    except InputError:
        raise
    except Exception as exc:  # a parser bug on hostile markup must not escape as a crash
        logger.debug("HTML extraction failed on %s", name, exc_info=True)
        raise InputError(f"{name}: could not parse the HTML ({type(exc).__name__})") from None
    if not text.strip():
        raise InputError(
            f"{name}: no article text found in the HTML (only navigation, scripts or markup)"
        )
    return text, title


def _check_markup(html: str, name: str) -> None:
    # libxml2 checks each attribute against the others of its tag: quadratic, so one tag
    # with 100,000 attributes parses for minutes. Only long tags can hold that many.
    for tag in _LONG_TAG.finditer(html):
        count = len(_ATTRIBUTE.findall(tag.group(), 1))
        if count > MAX_ATTRIBUTES_PER_TAG:
            raise LimitError(
                f"{name}: an HTML tag has over {MAX_ATTRIBUTES_PER_TAG} attributes "
                "(broken or hostile markup); refused"
            )


def _common() -> dict[str, Any]:
    return {
        "include_comments": False,
        "include_tables": True,
        "deduplicate": False,
        "prune_xpath": _PRUNE,
        "config": _config(),
    }


def _full_extraction(html: str) -> tuple[str, str | None]:
    doc = trafilatura.bare_extraction(html, with_metadata=True, **_common())
    text: str = getattr(doc, "text", None) or ""
    title = getattr(doc, "title", None)
    if len(text) < _CHECK_BELOW_CHARS:
        # A short result may be page furniture that the recall-oriented fallbacks found on a
        # page with no article; the precision-oriented pass decides. (It drops headings, so
        # it only judges; the text stays the fuller one.)
        gate = trafilatura.extract(html, favor_precision=True, **_common())
        if not gate or not gate.strip():
            return "", None
        text = text or gate
    return text, title if isinstance(title, str) else None


def _baseline_extraction(html: str) -> tuple[str, str | None]:
    tree = load_html(html)
    if tree is None:
        return "", None
    title = _simple_title(tree)
    for xpath in _PRUNE:
        for element in tree.xpath(xpath):
            element.drop_tree()
    _body, text, _length = trafilatura.baseline(tree)
    return text, title


def _simple_title(tree: Any) -> str | None:
    # trafilatura's metadata extraction is itself slow on huge trees (a minute at 20 MB).
    for xpath in ('//meta[@property="og:title"]/@content', "//title//text()", "//h1//text()"):
        found = " ".join(str(part) for part in tree.xpath(xpath)[:20]).strip()
        if found:
            return found
    return None


# Elements whose text is context for the article, not an answer: headings, captions, bylines.
_CONTEXT_XPATH: Final = (
    "//h1|//h2|//h3|//h4|//h5|//h6|//figcaption|//caption|//address|//time"
    "|//*[@rel='author']|//*[@itemprop='author']"
    "|//*[contains(concat(' ', normalize-space(@class), ' '), ' byline ')]"
    "|//*[contains(@class, 'byline') or contains(@class, 'author') or contains(@class, 'dateline')"
    " or contains(@class, 'caption') or contains(@class, 'breadcrumb')]"
)
_MAX_CONTEXT_LINES: Final = 2_000


def html_context_lines(html: str) -> list[str]:
    """Text of the page's headings, captions and bylines (each a line of the extracted text)."""
    try:
        tree = load_html(html)
        if tree is None:
            return []
        found: list[str] = []
        for element in tree.xpath(_CONTEXT_XPATH)[:_MAX_CONTEXT_LINES]:
            text = " ".join(" ".join(element.itertext()).split())
            if text:
                found.append(text)
        return found
    except Exception:  # context marks are a refinement; hostile markup must not stop a load
        logger.debug("could not read the HTML's headings", exc_info=True)
        return []
