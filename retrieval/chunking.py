"""Token-sized chunks that remember where they came from.

langchain-text-splitters does the splitting (paragraphs, then lines, sentences, words),
measuring length in tiktoken tokens. Each chunk is located in the source text so its
character offsets are exact: `text[start:end] == chunk.text` always holds.
"""

from __future__ import annotations

from dataclasses import dataclass

from langchain_text_splitters import RecursiveCharacterTextSplitter

from retrieval.tokens import get_encoding

SEPARATORS = ["\n\n", "\n", ". ", "? ", "! ", "; ", ", ", " ", ""]


@dataclass(frozen=True)
class Chunk:
    index: int
    text: str
    start: int
    end: int


def split_text(text: str, *, chunk_tokens: int, overlap: int, encoding: str) -> list[Chunk]:
    enc = get_encoding(encoding)
    splitter = RecursiveCharacterTextSplitter(
        chunk_size=chunk_tokens,
        chunk_overlap=min(overlap, chunk_tokens // 2),
        length_function=lambda t: len(enc.encode(t, disallowed_special=())),
        separators=SEPARATORS,
        keep_separator="end",  # sentences keep their full stop
        strip_whitespace=True,
    )
    chunks: list[Chunk] = []
    prev_start, prev_end = -1, 0
    for piece in splitter.split_text(text):
        # The splitter drops only whitespace, so chunk n+1 starts after chunk n's start and
        # no later than the first non-space character after chunk n's end. In repetitive
        # text the piece can occur several times in that window: the last one keeps the
        # chunks contiguous (any occurrence is the same characters, so quotes stay exact).
        limit = prev_end
        while limit < len(text) and text[limit].isspace():
            limit += 1
        start = text.rfind(piece, prev_start + 1, limit + len(piece))
        if start < 0:  # cannot happen for strip-only splitting; guard against silent drift
            raise AssertionError(f"chunk {len(chunks)} not found in its source text")
        chunks.append(Chunk(index=len(chunks), text=piece, start=start, end=start + len(piece)))
        prev_start, prev_end = start, start + len(piece)
    return chunks
