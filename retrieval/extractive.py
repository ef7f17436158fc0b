"""Extractive answers: verbatim sentences of the retrieved chunks, each with its citation.

Every whole sentence of the retrieved chunks is a candidate quote, except titles, headings
and bylines (context: they lift the sentences under them but are never quoted alone). A
sentence that leans on the one before ("They receive ...", "It was ...", "The agency was
paid ...") is quoted together with it, as one contiguous span. The candidates are scored by
the fitted sentence scorer (retrieval/sentence_scorer.py), which reads the question and the
quote together: MiniLM vectors of both, shared words, whether the quote holds what the
question asks for. Only the best `max_scored` by a cheap lexical pre-score are embedded,
which bounds the cost per question. The best ones are picked with a diversity penalty, then
put in reading order.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

import numpy as np

from corpus.reporting.context_lines import inside
from prompts.phrases import REFUSAL
from retrieval.answer_features import NOT_NAMES, QuestionInfo, Unit, feature_rows, question_info
from retrieval.catalog import Catalog
from retrieval.citations import Answer, Citation
from retrieval.cross_encoder import CrossEncoder
from retrieval.lexical import (
    IRREGULAR,
    STOPWORDS,
    content_stems,
    coverage,
    idf_weights,
    jaccard,
)
from retrieval.quotable import quotable
from retrieval.search import Hit
from retrieval.sentence_scorer import SentenceScorer
from retrieval.sentences import Sentence, split_sentences

CONTEXT_MARGIN = 400  # characters read around a chunk to complete its first/last sentence
PRE_DENSE_WEIGHT = 0.5  # pre-score = this * chunk cosine + (1 - this) * coverage: which to embed
LEGACY_DENSE_WEIGHT = 0.25  # the scorer before the fitted one (kept for the benchmarks)
NEAR_DUPLICATE = 0.6  # Jaccard of stems above which a second sentence adds nothing
KEEP_RATIO = 0.8  # further sentences must score at least this share of the best one
CLOSEST_SHOWN = 0.5  # a refusal names the closest passage when it scored this share of the bar

# First words of a sentence that refer back to the sentence before it.
_LEANS_BACK = re.compile(
    r"^[\"“‘']?(?:this|that|these|those|it|its|they|their|them|he|she|his|her|such|both|"
    r"the (?:latter|former|same)|there(?:fore)?|thus|hence|however|but|also)\b",
    re.I,
)

# "The" and a bare noun that open a sentence refer back when the verb follows ("The agency
# was paid ...", "The firm said ..."); more words, a clause or an apposition say which one
# themselves ("The county budget office found", "The agency that ran", "The agency, X,").
_DEFINITE = re.compile(r"^[\"“‘']?[Tt]he\s+(?P<noun>[a-z][a-z\-]*)\s+(?P<next>[a-z]+)\b")
_FINITE = frozenset(
    "is was were are has had have will would could can may might must should did does do "
    "also later then never still".split()
)
_CAPITALISED = re.compile(r"\b[A-Z][\w’'\-]*")

Embed = Callable[[Sequence[str]], np.ndarray]


@dataclass(frozen=True)
class Candidate:
    source_id: str
    title: str
    origin: str
    text: str
    start: int
    end: int
    stems: tuple[str, ...]
    chunk_similarity: float
    coverage: float
    score: float
    prescore: float = 0.0  # the cheap pre-score that picks which candidates are embedded


def leans_back(text: str, before: str = "") -> bool:
    """Whether `text` refers back to the sentence `before` it: it opens with a pronoun or a
    linking word ("It was ...", "Those posts ..."), or with "The" and a bare noun and its
    verb ("The agency was paid ...") where `before` holds something the noun may stand for:
    the same noun, or a name."""
    if _LEANS_BACK.match(text) is not None:
        return True
    m = _DEFINITE.match(text)
    if m is None or not before or not _reads_as_verb(m.group("next"), m.group("noun")):
        return False
    noun = content_stems(m.group("noun"))
    if noun and noun[0] in content_stems(before):
        return True
    # a name, not a month or a weekday ("on June 2" names nothing the noun stands for)
    return any(
        w.lower() not in STOPWORDS and w.lower() not in NOT_NAMES
        for w in _CAPITALISED.findall(before)
    )


def _reads_as_verb(word: str, noun: str) -> bool:
    """Whether the word after "The NOUN" reads as its verb: an auxiliary, a past form, or a
    present one after a singular noun ("The firm says")."""
    if word in _FINITE or word in IRREGULAR or (len(word) > 4 and word.endswith("ed")):
        return True
    return not noun.endswith("s") and len(word) > 3 and word.endswith("s") and word[-2] != "s"


@dataclass
class _Raw:
    hit: Hit
    start: int
    end: int
    text: str
    leans: bool
    heading: str


def _units(hits: Sequence[Hit], catalog: Catalog) -> dict[tuple[str, int, int], _Raw]:
    """Candidate quotes of the hits: whole sentences, joined to their antecedent if they lean."""
    raw: dict[tuple[str, int, int], _Raw] = {}
    spans_of: dict[str, list[tuple[int, int]]] = {}
    for hit in hits:
        chunk = hit.chunk
        sid = chunk.source_id
        if sid not in spans_of:
            spans_of[sid] = catalog.context_spans(sid)
        context = spans_of[sid]
        lo = max(0, chunk.start - CONTEXT_MARGIN)
        hi = chunk.end + CONTEXT_MARGIN
        window = catalog.source_span(sid, lo, hi)
        hi = lo + len(window)
        at_end = hi >= catalog.source_length(sid)
        sentences = split_sentences(window, offset=lo, breaks=context)
        for n, s in enumerate(sentences):
            if s.end <= chunk.start or s.start >= chunk.end:
                continue  # outside this chunk
            if (s.start == lo and lo > 0) or (s.end == hi and not at_end):
                continue  # may be cut by the window: never quote half a sentence
            if not quotable(s.text):
                continue  # a bare link or a planted instruction: never an answer
            if inside(context, s.start, s.end):
                continue  # a title, heading or byline: context, not an answer
            start, text, leans = s.start, s.text, False
            prev = sentences[n - 1] if n > 0 else None
            if (
                prev is not None
                and leans_back(s.text, prev.text)
                and _joinable(window, lo, prev, s, context)
            ):
                start, leans = prev.start, True
                text = window[prev.start - lo : s.end - lo]
            key = (sid, start, s.end)
            if key not in raw:
                raw[key] = _Raw(
                    hit, start, s.end, text, leans, _heading(catalog, sid, context, start)
                )
    return raw


def _joinable(
    window: str, lo: int, prev: Sentence, s: Sentence, context: Sequence[tuple[int, int]]
) -> bool:
    """The antecedent is in the same paragraph, whole, quotable, and not a heading."""
    if (prev.start == lo and lo > 0) or not quotable(prev.text):
        return False  # a planted instruction or a bare link is never quoted, joined or not
    gap = window[prev.end - lo : s.start - lo]
    return "\n\n" not in gap and not inside(context, prev.start, prev.end)


def _heading(catalog: Catalog, sid: str, context: Sequence[tuple[int, int]], at: int) -> str:
    above = [span for span in context if span[1] <= at]
    if not above:
        return ""
    start, end = above[-1]
    return catalog.source_span(sid, start, end)


@dataclass(frozen=True)
class Scored:
    """The candidate quotes of one question with what the scorer read (for fitting too)."""

    candidates: list[Candidate]  # in pre-score order, `score` = the legacy score
    question: QuestionInfo | None
    rows: np.ndarray  # feature rows of the first len(rows) candidates
    vectors: np.ndarray  # their MiniLM vectors


def rank_key(c: Candidate) -> tuple[float, str, int, int]:
    """Best score first; of equal scores at the same place, the longer quote (a sentence
    joined to the one it leans on holds that one too)."""
    return (-c.score, c.source_id, c.start, -c.end)


def prepare(
    question: str,
    hits: Sequence[Hit],
    similarities: dict[str, float],
    catalog: Catalog,
    *,
    query_vector: np.ndarray | None = None,
    embed: Embed | None = None,
    max_scored: int = 16,
) -> Scored:
    """Candidate quotes of the hits, pre-scored; the best `max_scored` with their features."""
    raw = _units(hits, catalog)
    query = content_stems(question)
    stems = {key: tuple(content_stems(r.text)) for key, r in raw.items()}
    idf = idf_weights(list(stems.values()))
    pre: list[Candidate] = []
    for key, r in raw.items():
        cov = coverage(query, stems[key], idf)
        sim = similarities.get(r.hit.chunk.id, 0.0)
        score = PRE_DENSE_WEIGHT * sim + (1 - PRE_DENSE_WEIGHT) * cov
        legacy = LEGACY_DENSE_WEIGHT * sim + (1 - LEGACY_DENSE_WEIGHT) * cov
        pre.append(
            Candidate(
                source_id=key[0],
                title=r.hit.chunk.title,
                origin=r.hit.chunk.origin,
                text=r.text,
                start=r.start,
                end=r.end,
                stems=stems[key],
                chunk_similarity=sim,
                coverage=cov,
                score=legacy,
                prescore=score,
            )
        )
    pre.sort(key=lambda c: (-c.prescore, c.source_id, c.start, -c.end))
    empty = np.zeros((0, 0), dtype=np.float32)
    if query_vector is None or embed is None or not pre:
        return Scored(pre, None, empty, empty)
    top = pre[:max_scored]
    q = question_info(question, query, query_vector)
    vectors = embed([c.text for c in top])
    units = []
    for c, vector in zip(top, vectors, strict=True):
        r = raw[(c.source_id, c.start, c.end)]
        units.append(
            Unit(
                text=c.text,
                stems=c.stems,
                vector=vector,
                chunk_cos=c.chunk_similarity,
                heading_stems=tuple(content_stems(r.heading)) if r.heading else (),
                leans_back=r.leans,
            )
        )
    return Scored(pre, q, feature_rows(q, units, idf), vectors)


def candidate_sentences(
    question: str,
    hits: Sequence[Hit],
    similarities: dict[str, float],
    catalog: Catalog,
    *,
    scorer: SentenceScorer | None,
    query_vector: np.ndarray | None = None,
    embed: Embed | None = None,
    max_scored: int = 16,
    cross_encoder: CrossEncoder | None = None,
) -> list[Candidate]:
    """Candidate quotes overlapping the hits, scored against the question (best first).

    With `cross_encoder`, the `max_scored` best by pre-score are kept, scored by it (the
    product's default). Else with `scorer`, the same ones scored by the logistic scorer; with
    neither, the lexical pre-score is the score (the scorer before the fitted ones, kept for
    comparison in the benchmarks).
    """
    if cross_encoder is not None:
        pre = prepare(question, hits, similarities, catalog).candidates
        return joint_scores(question, pre[:max_scored], cross_encoder)
    if scorer is None:
        legacy = prepare(question, hits, similarities, catalog).candidates
        return sorted(legacy, key=rank_key)
    scored = prepare(
        question,
        hits,
        similarities,
        catalog,
        query_vector=query_vector,
        embed=embed,
        max_scored=max_scored,
    )
    if scored.question is None:
        return []
    probs = scorer.probabilities(scored.rows, scored.question.vector, scored.vectors)
    out = [replace(c, score=float(p)) for c, p in zip(scored.candidates, probs, strict=False)]
    out.sort(key=rank_key)
    return out


def joint_scores(
    question: str, candidates: Sequence[Candidate], encoder: CrossEncoder
) -> list[Candidate]:
    """The candidates scored by the cross-encoder (question and quote read together), best
    first."""
    probs = encoder.probabilities(question, [c.text for c in candidates])
    out = [replace(c, score=float(p)) for c, p in zip(candidates, probs, strict=True)]
    out.sort(key=rank_key)
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
            if any(overlaps(c, s) for s in chosen):
                continue  # a sentence already quoted inside another quote
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


def overlaps(a: Candidate, b: Candidate) -> bool:
    """Whether two candidate quotes share text (one sentence quoted inside another)."""
    return a.source_id == b.source_id and a.start < b.end and b.start < a.end


def reading_order(chosen: Sequence[Candidate]) -> list[Candidate]:
    """Sources in the order of their best sentence; sentences in source order within each."""
    first: dict[str, int] = {}
    for rank, c in enumerate(chosen):
        first.setdefault(c.source_id, rank)
    return sorted(chosen, key=lambda c: (first[c.source_id], c.start))


def to_citations(chosen: Sequence[Candidate]) -> list[Citation]:
    return [
        Citation(n, c.source_id, c.title, c.origin, c.text, c.score, c.start, c.end)
        for n, c in enumerate(reading_order(chosen), start=1)
    ]


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
        notes = []
        if candidates and best >= CLOSEST_SHOWN * min_evidence:
            top = candidates[0]
            quote = top.text if len(top.text) <= 200 else top.text[:199].rstrip() + "…"
            notes.append(  # it may well answer: only its score fell short, so say just that
                f"closest passage, scored below the evidence bar (it may or may not answer "
                f"the question): “{quote}” ({top.title})"
            )
        return Answer(question, REFUSAL, "extractive", True, [], evidence=best, notes=notes)
    citations = to_citations(chosen)
    text = " ".join(f"{c.quote} [{c.n}]" for c in citations)
    return Answer(question, text, "extractive", False, citations, evidence=best)
