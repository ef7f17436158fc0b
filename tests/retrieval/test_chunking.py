from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from retrieval.chunking import split_text
from retrieval.tokens import count_tokens, install_offline_encodings


@pytest.fixture(autouse=True)
def _encodings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TIKTOKEN_CACHE_DIR", raising=False)
    install_offline_encodings(tmp_path / "tiktoken")


def test_chunks_keep_exact_offsets_and_token_bound() -> None:
    para = "The campaign hired organizers who posted identical messages. " * 30
    text = "\n\n".join(f"Section {i}. {para}" for i in range(5))
    chunks = split_text(text, chunk_tokens=80, overlap=16, encoding="cl100k_base")
    assert len(chunks) > 5
    for c in chunks:
        assert text[c.start : c.end] == c.text
        assert count_tokens(c.text, "cl100k_base") <= 80
    # Together the chunks cover every word of the text.
    covered: set[int] = set()
    for c in chunks:
        covered.update(range(c.start, c.end))
    assert all(i in covered for i, ch in enumerate(text) if not ch.isspace())


def test_repeated_paragraphs_map_to_their_own_occurrence() -> None:
    block = "Identical campaign text pushed by many accounts at once."
    text = "\n\n".join([block] * 40)
    chunks = split_text(text, chunk_tokens=40, overlap=0, encoding="cl100k_base")
    starts = [c.start for c in chunks]
    assert starts == sorted(set(starts)), "each chunk must map to a later occurrence"
    assert chunks[-1].end == len(text)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.sampled_from(["Same text.", "Other words here!", "x", "\n\n", " ", "Line\n", "¿Qué? "]),
        max_size=120,
    ),
    st.integers(min_value=16, max_value=60),
)
def test_offsets_and_coverage_hold_for_any_text(parts: list[str], size: int) -> None:
    text = "".join(parts)
    chunks = split_text(text, chunk_tokens=size, overlap=size // 4, encoding="cl100k_base")
    covered: set[int] = set()
    for c in chunks:
        assert text[c.start : c.end] == c.text
        covered.update(range(c.start, c.end))
    assert all(i in covered for i, ch in enumerate(text) if not ch.isspace())


PARAGRAPH = (
    "Deputy field organizers were paid $2,500 per month to post campaign-approved language "
    "on their own accounts, and Twitter said the identical posts broke its rules."
)


@pytest.mark.parametrize(
    "text",
    [
        "a" * 2_000,  # one character over and over: no separator at all
        "\n\n".join([PARAGRAPH] * 12),  # a report quoting a campaign's identical posts
        "\n".join(["Same line posted by every account."] * 80),
        "ab" * 3_000,
        "Why? " * 900,
    ],
    ids=["chars", "paragraphs", "lines", "pairs", "questions"],
)
@pytest.mark.parametrize(("size", "overlap"), [(160, 32), (40, 16), (16, 8)])
def test_repetitive_text_is_chunked_with_exact_offsets(text: str, size: int, overlap: int) -> None:
    chunks = split_text(text, chunk_tokens=size, overlap=overlap, encoding="cl100k_base")
    assert chunks
    for c in chunks:
        assert text[c.start : c.end] == c.text
    assert [c.index for c in chunks] == list(range(len(chunks)))
    assert chunks[0].start == 0 and chunks[-1].end == len(text.rstrip())
