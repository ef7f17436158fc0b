from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from retrieval.sentences import split_sentences


def test_offsets_are_exact_and_initials_do_not_split() -> None:
    text = (
        "Courtesy of the LA Times:\n\nMichael R. Bloomberg’s campaign hired staff. It paid $2,500."
    )
    spans = split_sentences(text, offset=100)
    assert [s.text for s in spans] == [
        "Courtesy of the LA Times:",
        "Michael R. Bloomberg’s campaign hired staff.",
        "It paid $2,500.",
    ]
    for s in spans:
        assert text[s.start - 100 : s.end - 100] == s.text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Sen. Elizabeth Warren spoke. Then he left.", 2),
        ("He entered the race on Nov. 24. Nobody was surprised.", 2),
        ("“We act,” a spokesman said. Some are permanent.", 2),
        ("Really? Using Kremlin techniques?", 2),
        ("Wow! It works... or does it? Yes.", 3),
        ("A list:\n- first item\n- second item", 3),
        ("e.g. this stays whole. Next.", 2),
    ],
)
def test_boundaries(text: str, expected: int) -> None:
    assert len(split_sentences(text)) == expected


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=400))
def test_spans_always_map_back_to_the_text(text: str) -> None:
    for s in split_sentences(text):
        assert text[s.start : s.end] == s.text
        assert s.text == s.text.strip()
        assert s.text


def test_stems_join_acronym_plurals_and_irregular_verbs() -> None:
    from retrieval.lexical import content_stems

    assert content_stems("NDAs") == content_stems("NDA") == ["nda"]
    assert content_stems("They were paid") == content_stems("pay")
    assert content_stems("How many accounts did Twitter suspend?") == [
        "account",
        "twitter",
        "suspend",
    ]
