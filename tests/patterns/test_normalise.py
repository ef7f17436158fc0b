"""Text and URL normalisation: the documented rules, and SQL that agrees with Python."""

from __future__ import annotations

import sys
import unicodedata
from typing import Literal

import duckdb
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from patterns.normalise import (
    _PUNCTUATION,
    hashtag_set_sql,
    normalise_url,
    text_match_key,
    text_sql,
    url_domain,
)

CASES = [
    ("RT @foo: Hello   World https://t.co/x", "hello world", "rt hello world https://t.co/x"),
    ("rtl is great", "rtl is great", "rtl is great"),
    ("  Hi\u200bthere @Bob_1 www.x.com/a?b=1 ", "hi there", "hi\u200bthere www.x.com/a?b=1"),
    ("a@b c", "a c", "a c"),
    ("@only", "", ""),
    ("RT: x", "x", "rt: x"),
    (
        "line\nbreak\ttab\u00a0nbsp\u3000ideo",
        "line break tab nbsp ideo",
        "line break tab nbsp ideo",
    ),
    ("Vote for Mike! Big plans", "vote for mike big plans", "vote for mike! big plans"),
    # Punctuation is space in chorus (a user's copies differed only by it); symbols stay.
    ("Stop the steal, now!", "stop the steal now", "stop the steal, now!"),
    ("stop -- the “steal” now...", "stop the steal now", "stop -- the “steal” now..."),
    ("¿Qué?¡Sí! 5$ + 😀", "qué sí 5$ + 😀", "¿qué?¡sí! 5$ + 😀"),
]


@pytest.mark.parametrize(("raw", "chorus", "toolkit"), CASES)
def test_text_rules(raw: str, chorus: str, toolkit: str) -> None:
    con = duckdb.connect()
    assert text_match_key(raw) == chorus
    assert text_match_key(raw, "toolkit") == toolkit
    assert con.execute(f"SELECT {text_sql('?', 'chorus')}", [raw]).fetchone() == (chorus,)
    assert con.execute(f"SELECT {text_sql('?', 'toolkit')}", [raw]).fetchone() == (toolkit,)


def _toolkit_reference(text: str) -> str:
    """coordination-network-toolkit 1.5.2's message_preprocessor, with the standard `re`
    (its `regex` pattern "@.*?(?=(?:\\s|$))" removes "@" up to the next whitespace)."""
    import re

    return " ".join(re.sub(r"@\S*", "", text.lower()).split())


# Letters whose lowercase differs between Python (full case mapping) and DuckDB (simple):
# final sigma and dotted capital I. docs/coordination.md notes the difference.
PLAIN_TEXT = st.text(
    alphabet=st.characters(codec="utf-8", exclude_characters="\u03a3\u0130\x85\x1c\x1d\x1e\x1f"),
    max_size=60,
)


CON = duckdb.connect()


@settings(max_examples=100, deadline=None, derandomize=True)
@given(PLAIN_TEXT)
def test_sql_agrees_with_python_and_the_toolkit(text: str) -> None:
    modes: tuple[Literal["chorus", "toolkit"], ...] = ("chorus", "toolkit")
    for mode in modes:
        got = CON.execute(f"SELECT {text_sql('?', mode)}", [text]).fetchone()
        assert got == (text_match_key(text, mode),), mode
    assert text_match_key(text, "toolkit") == _toolkit_reference(text)


@pytest.mark.skipif(unicodedata.unidata_version != "14.0.0", reason="written from Unicode 14")
def test_punctuation_is_unicode_punctuation() -> None:
    listed = {c for a, b in _PUNCTUATION for c in range(a, b + 1)}
    wanted = {c for c in range(sys.maxunicode + 1) if unicodedata.category(chr(c))[0] == "P"}
    assert listed == wanted


@pytest.mark.parametrize(
    ("raw", "normal", "domain"),
    [
        (
            "HTTP://Example.COM:80/a/?utm_source=x&b=2&a=1#frag",
            "https://example.com/a?a=1&b=2",
            "example.com",
        ),
        ("https://x.com/", "https://x.com", "x.com"),
        ("www.x.com/a/", "https://www.x.com/a", "x.com"),
        ("x.com/path?fbclid=1&gclid=2&utm_medium=m", "https://x.com/path", "x.com"),
        ("https://x.com:8443/p", "https://x.com:8443/p", "x.com"),
        ("https://x.com:443/p", "https://x.com/p", "x.com"),
        ("http://x.com:443/p", "https://x.com:443/p", "x.com"),  # not http's own port
        ("http://user@Host.com/", "https://host.com", "host.com"),
        # One invite however it is written (L7): with either scheme or none.
        ("http://discord.gg/fr33n1tro", "https://discord.gg/fr33n1tro", "discord.gg"),
        ("discord.gg/fr33n1tro", "https://discord.gg/fr33n1tro", "discord.gg"),
        ("ftp://x.com/a", "ftp://x.com/a", "x.com"),
        ("23678", "23678", ""),  # an anonymised id, not a link
        ("not a link", "not a link", ""),
    ],
)
def test_url_rules(raw: str, normal: str, domain: str) -> None:
    assert normalise_url(raw) == normal
    assert url_domain(normal) == domain
    assert normalise_url(raw, "toolkit") == raw.strip()


def test_hashtag_sets() -> None:
    con = duckdb.connect()
    got = con.execute(
        f"SELECT {hashtag_set_sql('?')}", [["#MAGA", "maga", "#Trump", "", "＃Vote"]]
    ).fetchone()
    assert got == ("maga trump vote",)
