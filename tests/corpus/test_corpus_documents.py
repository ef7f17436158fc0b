"""SourceDocument and the normalisation that citation offsets depend on."""

from __future__ import annotations

import hashlib
import unicodedata

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from common.errors import InputError, LimitError
from corpus.reporting.documents import (
    SourceDocument,
    clean_document_text,
    clean_label,
    make_document,
)
from corpus.reporting.load import load_text

FAST = settings(
    max_examples=300,
    deadline=1000,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("a\r\nb\rc", "a\nb\nc"),  # Windows and old Mac line ends
        ("page one\fpage two", "page one\npage two"),  # a PDF page break must not join words
        ("a\u2028b\u2029c\x85d\x0be", "a\nb\nc\nd\ne"),  # every other splitlines() break
        ("nul\x00here\x07\x1b[31m", "nulhere[31m"),  # controls go, printable text stays
        ("keep\ttabs", "keep\ttabs"),
        ("trailing   \nspaces\t \n", "trailing\nspaces"),
        ("\n\n  \nstarts later", "starts later"),
        ("a\n\n\n\n\nb", "a\n\nb"),  # blank-line runs collapse to one blank line
        ("  indented first line", "  indented first line"),  # leading indentation is text
        ("lone \ud800 surrogate", "lone  surrogate"),  # cannot be UTF-8: dropped
    ],
)
def test_clean_document_text_rules(raw: str, expected: str) -> None:
    assert clean_document_text(raw) == expected


@FAST
@given(st.text(alphabet=st.characters(codec=None), max_size=300))
def test_clean_document_text_invariants(raw: str) -> None:
    text = clean_document_text(raw)
    assert clean_document_text(text) == text  # idempotent: stored text never shifts again
    if text:  # one notion of "line" for every consumer
        assert text.splitlines() == text.split("\n")
    for char in text:
        assert char in "\n\t" or unicodedata.category(char) not in ("Cc", "Cs")
    assert all(line == line.rstrip() for line in text.split("\n"))
    assert "\n\n\n" not in text
    assert not text.startswith("\n")
    text.encode("utf-8")  # always encodable, so always hashable and storable


@FAST
@given(st.lists(st.text(alphabet="abc xyz.,'", min_size=1, max_size=20), min_size=1, max_size=8))
def test_clean_document_text_keeps_ordinary_text_verbatim(lines: list[str]) -> None:
    # Text with nothing to clean must come back unchanged, or quotes would not match it.
    clean = [line.strip() for line in lines if line.strip()]
    if not clean:
        return
    raw = "\n".join(clean)
    assert clean_document_text(raw) == raw


def test_make_document_hashes_the_normalised_text() -> None:
    doc = make_document("Hello\r\nworld  ", title="  A\ntitle ", origin="o", kind="text")
    assert doc.text == "Hello\nworld"
    assert doc.sha256 == hashlib.sha256(b"Hello\nworld").hexdigest()
    assert doc.title == "A title"
    # The same content however it was written is the same source (de-duplication).
    again = make_document("Hello\nworld\n\n", title="Other", origin="p", kind="markdown")
    assert again.sha256 == doc.sha256


def test_make_document_refuses_nothing_but_whitespace_naming_the_input() -> None:
    with pytest.raises(InputError, match=r"^notes\.txt: no text in it"):
        make_document(
            " \n\t\x00\r\n", title="t", origin="/x/notes.txt", kind="text", name="notes.txt"
        )


def test_source_document_rejects_empty_text_and_unknown_kind() -> None:
    with pytest.raises(ValueError, match="empty"):
        SourceDocument(text="", title="t", origin="o", kind="text", sha256="0" * 64)
    with pytest.raises(ValueError, match="kind"):
        SourceDocument(text="x", title="t", origin="o", kind="docx", sha256="0" * 64)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("evil\nname\r\n.txt", "evil name .txt"),  # a message stays one line
        ("\x1b[2Jclear", "[2Jclear"),  # terminal escapes lose their ESC
        ("abc\u202etxt.exe", "abc txt.exe"),  # bidi override cannot disguise a name
        ("zero\u200cwidth", "zero\u200cwidth"),  # joiners some scripts need stay
        ("   ", ""),
    ],
)
def test_clean_label(raw: str, expected: str) -> None:
    assert clean_label(raw) == expected


def test_clean_label_clips_long_values() -> None:
    label = clean_label("x" * 1000, limit=50)
    assert len(label) == 50
    assert label.endswith("…")


def test_load_text_pasted() -> None:
    doc = load_text("  \nSeventy accounts were suspended.\r\n", title="My note")
    assert doc.text == "Seventy accounts were suspended."
    assert doc.title == "My note"
    assert doc.origin == "pasted:My note"
    assert doc.kind == "text"


def test_load_text_explicit_origin_is_kept_and_blank_title_has_a_fallback() -> None:
    doc = load_text("body", title="  ", origin="discord:123/456")
    assert doc.origin == "discord:123/456"
    assert doc.title == "pasted text"


def test_load_text_empty_and_over_limit() -> None:
    with pytest.raises(InputError, match=r"pasted text 'Empty one': no text in it"):
        load_text("\n \t \n", title="Empty one")
    with pytest.raises(LimitError, match=r"pasted text 'Big': .* over the 10 bytes limit"):
        load_text("é" * 6, title="Big", max_bytes=10)  # 12 bytes in UTF-8, 6 characters
    assert load_text("é" * 5, title="Fits", max_bytes=10).text == "é" * 5


def test_bidi_overrides_never_reach_stored_text_or_quotes() -> None:
    from corpus.reporting.documents import make_document

    doc = make_document(
        "Open the file invoice\u202egpj.exe today. "
        "Shalom \u05e9\u05dc\u05d5\u05dd\u200f ok.\u2066x\u2069",
        title="t",
        origin="test:t",
        kind="text",
    )
    assert not any(
        ch in doc.text for ch in "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
    )
    assert "invoicegpj.exe" in doc.text
    assert "\u200f" in doc.text  # a mark, which right-to-left text needs, stays


@pytest.mark.parametrize(
    ("text", "context"),
    [
        (  # a long subtitle ending in a date, then a run-in label: both context
            "Coordinated Behaviour Report\n"
            "Quarterly findings on platform manipulation, January to March 2026\n"
            "Summary. The network posted 4,000 times.",
            [
                "Coordinated Behaviour Report",
                ("Quarterly findings on platform manipulation, January to March 2026"),
            ],
        ),
        (  # the body's first line wraps mid-sentence: not a subtitle
            "Coordinated Behaviour Report\n"
            "The quick analysis of the network shows that most accounts were created in\n"
            "April and May. They posted.",
            ["Coordinated Behaviour Report"],
        ),
        (
            "Vaccine Rumour Network: Quarterly Transparency\n"
            "This report covers the second quarter of 2024. It describes a network that\n"
            "spread false claims.",
            ["Vaccine Rumour Network: Quarterly Transparency"],
        ),
    ],
)
def test_a_pdf_subtitle_under_its_title_is_context(text: str, context: list[str]) -> None:
    from corpus.reporting.context_lines import pdf_context

    assert pdf_context(text, None) == context
