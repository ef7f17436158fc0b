"""Hostile input (issue 5.4): whatever the bytes, a loader returns a sound document or raises
InputError with one line; it never crashes otherwise, never hangs, never returns empty text.

Examples are bounded and derandomised (the same run every time), each has a deadline, and
each test has a wall-clock timeout on top.
"""

from __future__ import annotations

import codecs
import functools
import hashlib
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from common.errors import InputError, LimitError
from corpus.reporting.documents import SourceDocument, clean_document_text
from corpus.reporting.html_text import FULL_EXTRACTION_MAX_TAGS
from corpus.reporting.load import load_bytes, load_file
from tests.corpus.corpus_support import encrypt_pdf, make_pdf

MB = 1_000_000
HOSTILE = settings(
    max_examples=200,
    deadline=5000,  # ms per example: a quadratic path would blow through it
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
pytestmark = pytest.mark.timeout(120)


def outcome(load: Callable[[], SourceDocument]) -> SourceDocument | None:
    """The loader's result checked for soundness, or None after a proper InputError."""
    try:
        doc = load()
    except InputError as exc:  # includes LimitError and FetchError
        message = str(exc)
        assert message.strip()
        assert "\n" not in message and "\r" not in message
        return None
    assert doc.text, "a document is never empty"
    assert clean_document_text(doc.text) == doc.text
    assert doc.sha256 == hashlib.sha256(doc.text.encode("utf-8")).hexdigest()
    assert doc.title.strip() and "\n" not in doc.title
    return doc


SUFFIXES = st.sampled_from(["x.txt", "x.md", "x.markdown", "x.html", "x.htm", "x.pdf"])
PREFIXES = st.sampled_from(
    [
        b"",
        b"%PDF-1.4\n",
        b"<!doctype html><html><body><p>",
        codecs.BOM_UTF8,
        codecs.BOM_UTF16_LE,
        codecs.BOM_UTF16_BE,
        codecs.BOM_UTF32_LE,
        b"PK\x03\x04",
    ]
)


@HOSTILE
@given(name=SUFFIXES, prefix=PREFIXES, body=st.binary(max_size=3000))
def test_random_bytes(name: str, prefix: bytes, body: bytes) -> None:
    outcome(lambda: load_bytes(prefix + body, filename=name, max_bytes=MB))


@HOSTILE
@given(name=SUFFIXES, text=st.text(max_size=2000))
def test_random_text_under_every_suffix(name: str, text: str) -> None:
    data = text.encode("utf-8", "surrogatepass")
    outcome(lambda: load_bytes(data, filename=name, max_bytes=MB))


PRINTABLE = st.text(
    alphabet=st.characters(exclude_categories=("Cc", "Cs")), min_size=1, max_size=400
)
UNICODE_CODECS = ["utf-8", "utf-8-sig", "utf-16", "utf-32"]
LEGACY_CODECS = ["latin-1", "cp1252", "utf-16-le", "utf-16-be", "shift_jis", "koi8-r", "gb18030"]


@HOSTILE
@given(text=PRINTABLE, codec=st.sampled_from(UNICODE_CODECS + LEGACY_CODECS))
def test_wrong_encodings_never_become_mojibake(text: str, codec: str) -> None:
    assume(clean_document_text(text) and not text.startswith("\ufeff"))
    try:
        data = text.encode(codec)
    except UnicodeEncodeError:
        assume(False)
        return
    doc = outcome(lambda: load_bytes(data, filename="t.txt", max_bytes=MB))
    if codec in UNICODE_CODECS:
        # Self-describing encodings always load, exactly.
        assert doc is not None
        assert doc.text == clean_document_text(text)
    elif doc is not None:
        # Anything else loads only when the very bytes are valid UTF-8 (pure ASCII, say),
        # and then as exactly that UTF-8: no guessing, so never mojibake.
        assert doc.text == clean_document_text(data.decode("utf-8"))
    else:
        try:
            decoded = data.decode("utf-8")
        except UnicodeDecodeError:
            return  # refused because it is not UTF-8: right
        # Valid UTF-8 yet refused: only fair when it looks binary (UTF-16 without a BOM).
        controls = sum(1 for c in decoded if c < " " and c not in "\t\n\r\f")
        assert "\x00" in decoded or controls > 0.1 * len(decoded)


# --------------------------------------------------------------------------- PDF

PDFS = [
    make_pdf([["Alpha page text."], ["Beta (page) two."]], title="Two pages"),
    make_pdf([["Compressed words " * 30]], compress=True),
    encrypt_pdf(make_pdf([["Locked text."]]), user_password=""),
    encrypt_pdf(make_pdf([["Locked text."]]), user_password="pw"),
]


@st.composite
def mutated_pdf(draw: st.DrawFn) -> bytes:
    data = bytearray(draw(st.sampled_from(PDFS)))
    for _ in range(draw(st.integers(0, 8))):
        position = draw(st.integers(0, len(data) - 1))
        action = draw(st.sampled_from(["flip", "insert", "delete", "digit"]))
        if action == "flip":
            data[position] = draw(st.integers(0, 255))
        elif action == "insert":
            data[position:position] = draw(st.binary(min_size=1, max_size=40))
        elif action == "delete":
            del data[position : position + draw(st.integers(1, 200))]
        else:  # offsets, lengths and object numbers are where parsers go wrong
            data[position] = ord(draw(st.sampled_from("0123456789")))
        if not data:
            break
    cut = draw(st.integers(0, len(data)))
    return bytes(data[:cut] if draw(st.booleans()) else data)


@HOSTILE
@given(data=mutated_pdf())
def test_truncated_and_malformed_pdfs(data: bytes) -> None:
    outcome(lambda: load_bytes(data, filename="m.pdf", max_bytes=MB))


@pytest.mark.parametrize("data", PDFS[:2])
def test_every_truncation_of_a_small_pdf(data: bytes) -> None:
    for cut in range(0, len(data), 7):
        outcome(functools.partial(load_bytes, data[:cut], filename="t.pdf", max_bytes=MB))


# --------------------------------------------------------------------------- HTML

TAGS = ["p", "div", "article", "main", "nav", "aside", "footer", "header", "script", "style"]
TAGS += ["h1", "h2", "table", "tr", "td", "ul", "li", "a", "span", "pre", "br", "img", "svg"]

ENTITIES = ["&amp;", "&#0;", "&#x110000;", "&bogus;", "&#"]
JUNK = ["<", ">", "<!--", "-->", "<![CDATA[", "<?xml", "</"]


@st.composite
def html_soup(draw: st.DrawFn) -> str:
    parts: list[str] = []
    for _ in range(draw(st.integers(0, 40))):
        kind = draw(st.sampled_from(["open", "close", "text", "attr", "junk", "entity"]))
        tag = draw(st.sampled_from(TAGS))
        if kind == "open":
            parts.append(f"<{tag}>")
        elif kind == "close":
            parts.append(f"</{tag}>")
        elif kind == "attr":
            value = draw(st.text(max_size=20)).replace('"', "")
            parts.append(f'<{tag} class="{value}" id={draw(st.integers())}>')
        elif kind == "entity":
            parts.append(draw(st.sampled_from(ENTITIES)))
        elif kind == "junk":
            parts.append(draw(st.sampled_from(JUNK)))
        else:
            parts.append(draw(st.text(max_size=80)))
    return "".join(parts)


@HOSTILE
@given(
    soup=html_soup(),
    charset=st.sampled_from(["", "utf-8", "windows-1252", "shift_jis", "bogus", "utf-16"]),
    cut=st.integers(0, 100),
)
def test_malformed_and_truncated_html(soup: str, charset: str, cut: int) -> None:
    head = f'<meta charset="{charset}">' if charset else ""
    data = (head + soup).encode("utf-8", "surrogatepass")
    data = data[: max(1, len(data) * cut // 100)]
    outcome(lambda: load_bytes(data, filename="s.html", max_bytes=MB))


# --------------------------------------------------------------------------- huge fields


def timed(load: Callable[[], SourceDocument], limit_s: float) -> SourceDocument | None:
    started = time.monotonic()
    result = outcome(load)
    elapsed = time.monotonic() - started
    assert elapsed < limit_s, f"took {elapsed:.1f} s"
    return result


def test_one_huge_line_of_text() -> None:
    doc = timed(lambda: load_bytes(b"word " * 1_000_000, filename="l.txt", max_bytes=10 * MB), 30)
    assert doc is not None and len(doc.text) == 4_999_999


def test_one_huge_html_paragraph() -> None:
    data = b"<html><body><p>" + b"word " * 400_000 + b"</p></body></html>"
    doc = timed(lambda: load_bytes(data, filename="p.html", max_bytes=10 * MB), 30)
    assert doc is not None and doc.text.startswith("word word")


def test_many_elements_take_the_linear_path() -> None:
    # Full trafilatura extraction grows faster than linearly with element count; past the
    # threshold the baseline extractor keeps this to seconds, with furniture still pruned.
    paragraphs = FULL_EXTRACTION_MAX_TAGS * 3
    data = (
        "<html><head><title>Long report</title></head><body><nav>Site menu</nav><article>"
        + "".join(f"<p>Finding number {i} of the long report.</p>" for i in range(paragraphs))
        + "</article><footer>Copyright notice</footer></body></html>"
    ).encode()
    doc = timed(lambda: load_bytes(data, filename="long.html", max_bytes=10 * MB), 60)
    assert doc is not None
    assert doc.title == "Long report"
    assert f"Finding number {paragraphs - 1} of the long report." in doc.text
    assert "Site menu" not in doc.text and "Copyright notice" not in doc.text


def test_a_tag_with_a_huge_number_of_attributes_is_refused_quickly() -> None:
    # libxml2's duplicate-attribute check is quadratic: this would parse for minutes.
    attributes = " ".join(f"a{i}=x" for i in range(100_000))
    data = f"<html><body><p {attributes}>text</p></body></html>".encode()
    started = time.monotonic()
    with pytest.raises(LimitError, match=r"^a\.html: an HTML tag has over 256 attributes"):
        load_bytes(data, filename="a.html", max_bytes=10 * MB)
    assert time.monotonic() - started < 10  # unbounded, this parses for minutes


def test_long_attribute_values_are_not_mistaken_for_many_attributes() -> None:
    # An inline SVG path or a data: URI makes a long tag with few attributes.
    path = " ".join(f"L {i} {i}" for i in range(5000))
    data = (
        f'<html><body><article><svg><path d="M 0 0 {path}"/></svg>'
        f'<img src="data:image/png;base64,{"A" * 50_000}">'
        "<p>The chart shows the accounts over time.</p></article></body></html>"
    ).encode()
    doc = timed(lambda: load_bytes(data, filename="svg.html", max_bytes=MB), 5)
    assert doc is not None and "chart shows the accounts" in doc.text


def test_deeply_nested_html() -> None:
    nested = b"<div>" * 50_000 + b"deep text" + b"</div>" * 50_000
    data = b"<html><body>" + nested + b"</body></html>"
    timed(lambda: load_bytes(data, filename="d.html", max_bytes=MB), 10)


def test_unclosed_tags_and_stray_brackets() -> None:
    data = b"<html><body><p>" + b"<b><i>x < y > z " * 30_000 + b"</body></html>"
    timed(lambda: load_bytes(data, filename="u.html", max_bytes=MB), 10)


def test_huge_pdf_text_on_one_page() -> None:
    data = make_pdf([["word " * 100_000]])
    doc = timed(lambda: load_bytes(data, filename="w.pdf", max_bytes=MB), 10)
    assert doc is not None and doc.text.count("word") == 100_000


def test_many_pdf_pages() -> None:
    data = make_pdf([[f"Page {i}."] for i in range(400)])
    doc = timed(lambda: load_bytes(data, filename="pages.pdf", max_bytes=MB), 15)
    assert doc is not None and doc.text.startswith("Page 0.\n\nPage 1.") and "Page 399." in doc.text


@settings(HOSTILE, max_examples=30)
@given(data=st.binary(max_size=500), name=SUFFIXES)
def test_random_files_on_disk(
    tmp_path_factory: pytest.TempPathFactory, data: bytes, name: str
) -> None:
    path: Path = tmp_path_factory.mktemp("hostile") / name
    path.write_bytes(data)
    doc = outcome(lambda: load_file(path, max_bytes=MB))
    if doc is not None:
        assert doc.origin == str(path.resolve())
