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
