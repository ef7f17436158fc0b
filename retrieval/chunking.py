"""Token-sized chunks that remember where they came from.

langchain-text-splitters does the splitting (paragraphs, then lines, sentences, words),
measuring length in tiktoken tokens. Each chunk is located in the source text so its
character offsets are exact: `text[start:end] == chunk.text` always holds.
"""

from __future__ import annotations

from dataclasses import dataclass

from langchain_text_splitters import RecursiveCharacterTextSplitter

from common.errors import InputError
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
        start = _locate(text, piece, prev_start, prev_end)
        chunks.append(Chunk(index=len(chunks), text=piece, start=start, end=start + len(piece)))
        prev_start, prev_end = start, start + len(piece)
    return chunks


def _locate(text: str, piece: str, prev_start: int, prev_end: int) -> int:
    """Where `piece` (the chunk after the one at prev_start:prev_end) starts in `text`.

    The splitter drops only whitespace, so a chunk starts after the previous chunk's start
    and no later than the first non-space character after its end. In repetitive text the
    piece can occur several times in that window: the last one keeps the chunks contiguous
    (any occurrence is the same characters, so quotes stay exact). With overlap, picking the
    last one can run ahead of the splitter's real position in text that repeats itself
    (2,000 times "a"), and the window then holds no occurrence: the latest occurrence before
    the window's end, then any, is as exact. Every piece is a substring, so one is found.
    """
    limit = prev_end
    while limit < len(text) and text[limit].isspace():
        limit += 1
    start = text.rfind(piece, prev_start + 1, limit + len(piece))
    if start < 0:
        start = text.rfind(piece, 0, limit + len(piece))
    if start < 0:
        start = text.find(piece)
    if start < 0:  # the splitter changed what it returns; fail this source, not the ingest
        raise InputError("the text could not be split into chunks at exact positions")
    return start
