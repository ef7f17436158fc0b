"""Extractive answers: verbatim sentences of the retrieved chunks, each with its citation.

Sentences are scored from two signals that cost nothing extra at question time: how close
the chunk they sit in is to the question (the dense cosine), and how much of the question's
content words they contain (idf-weighted, stemmed). The best ones are picked with a
diversity penalty, then put in reading order (by source, then by position).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from prompts.phrases import REFUSAL
from retrieval.catalog import Catalog
from retrieval.citations import Answer, Citation
from retrieval.lexical import content_stems, coverage, idf_weights, jaccard
from retrieval.quotable import quotable
from retrieval.search import Hit
from retrieval.sentences import split_sentences

CONTEXT_MARGIN = 400  # characters read around a chunk to complete its first/last sentence
DENSE_WEIGHT = 0.25  # evidence = DENSE_WEIGHT * chunk cosine + (1 - DENSE_WEIGHT) * coverage
NEAR_DUPLICATE = 0.6  # Jaccard of stems above which a second sentence adds nothing
KEEP_RATIO = 0.8  # further sentences must score at least this share of the best one


@dataclass(frozen=True)
class Candidate:
    source_id: str
    title: str
    url: str
    text: str
    start: int
    end: int
    stems: tuple[str, ...]
    chunk_similarity: float
    coverage: float
    score: float


def candidate_sentences(
    question: str, hits: Sequence[Hit], similarities: dict[str, float], catalog: Catalog
) -> list[Candidate]:
    """Every whole sentence overlapping a hit, scored against the question (best first)."""
    raw: dict[tuple[str, int], tuple[Hit, int, int, str]] = {}
    for hit in hits:
        chunk = hit.chunk
        lo = max(0, chunk.start - CONTEXT_MARGIN)
        hi = chunk.end + CONTEXT_MARGIN
        window = catalog.source_span(chunk.source_id, lo, hi)
        hi = lo + len(window)
        at_end = hi >= catalog.source_length(chunk.source_id)
        for s in split_sentences(window, offset=lo):
            if s.end <= chunk.start or s.start >= chunk.end:
                continue  # outside this chunk
            if (s.start == lo and lo > 0) or (s.end == hi and not at_end):
                continue  # may be cut by the window: never quote half a sentence
            if not quotable(s.text):
                continue  # a bare link or a planted instruction: never an answer
            key = (chunk.source_id, s.start)
            if key not in raw:
                raw[key] = (hit, s.start, s.end, s.text)
    if not raw:
        return []
    query = content_stems(question)
    stems = {key: tuple(content_stems(text)) for key, (_, _, _, text) in raw.items()}
    idf = idf_weights(list(stems.values()))
    out = []
    for key, (hit, start, end, text) in raw.items():
        sim = similarities.get(hit.chunk.id, 0.0)
        cov = coverage(query, stems[key], idf)
        out.append(
            Candidate(
                source_id=hit.chunk.source_id,
                title=hit.chunk.title,
                url=hit.chunk.url,
                text=text,
                start=start,
                end=end,
                stems=stems[key],
                chunk_similarity=sim,
                coverage=cov,
                score=DENSE_WEIGHT * sim + (1 - DENSE_WEIGHT) * cov,
            )
        )
    out.sort(key=lambda c: (-c.score, c.source_id, c.start))
    return out


def select(candidates: Sequence[Candidate], limit: int, floor: float) -> list[Candidate]:
    """Greedy maximal-marginal-relevance pick among sentences scoring at least `floor`."""
    pool = [c for c in candidates if c.score >= floor and c.stems]
    if not pool:
        return []
    chosen = [pool[0]]
    bar = max(floor, KEEP_RATIO * pool[0].score)
    while len(chosen) < limit:
        best: tuple[float, Candidate] | None = None
        for c in pool:
            if c in chosen or c.score < bar or c.coverage == 0.0:
                continue
            overlap = max(jaccard(c.stems, s.stems) for s in chosen)
            if overlap >= NEAR_DUPLICATE:
                continue
            mmr = c.score - 0.5 * overlap
            if best is None or mmr > best[0]:
                best = (mmr, c)
        if best is None:
            break
        chosen.append(best[1])
    return chosen


def reading_order(chosen: Sequence[Candidate]) -> list[Candidate]:
    """Sources in the order of their best sentence; sentences in source order within each."""
    first: dict[str, int] = {}
    for rank, c in enumerate(chosen):
        first.setdefault(c.source_id, rank)
    return sorted(chosen, key=lambda c: (first[c.source_id], c.start))


def extractive_answer(
    question: str,
    candidates: Sequence[Candidate],
    *,
    min_evidence: float,
    max_sentences: int,
) -> Answer:
    best = candidates[0].score if candidates else 0.0
    chosen = select(candidates, max_sentences, min_evidence)
    if not chosen:
        return Answer(question, REFUSAL, "extractive", True, [], evidence=best)
    citations = [
        Citation(n, c.source_id, c.title, c.url, c.text, c.score, c.start, c.end)
        for n, c in enumerate(reading_order(chosen), start=1)
    ]
    text = " ".join(f"{c.quote} [{c.n}]" for c in citations)
    return Answer(question, text, "extractive", False, citations, evidence=best)
