"""Model-written answers: budgeted context, mandatory [n] citations, checked before shown."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING

from prompts import answer as answer_prompt
from prompts.phrases import REFUSAL
from retrieval.catalog import Catalog
from retrieval.chat_model import complete
from retrieval.citations import (
    Answer,
    Citation,
    Passage,
    best_quote,
    check_citations,
    renumber,
    sentences_citing,
)
from retrieval.search import Hit
from retrieval.tokens import count_tokens

if TYPE_CHECKING:
    from langchain_core.language_models.chat_models import BaseChatModel


def build_passages(
    hits: Sequence[Hit], similarities: dict[str, float], catalog: Catalog
) -> list[Passage]:
    return [
        Passage(
            n=n,
            source_id=h.chunk.source_id,
            title=h.chunk.title,
            origin=h.chunk.origin,
            text=h.chunk.text,
            start=h.chunk.start,
            score=similarities.get(h.chunk.id, 0.0),
        )
        for n, h in enumerate(hits, start=1)
    ]


_FENCE_TAG = re.compile(r"<(\s*/?\s*)(source)", re.IGNORECASE)


def _fence(text: str) -> str:
    """A source cannot open or close a fence and pose as instructions, in any spelling
    (</SOURCE>, < /source >)."""
    return _FENCE_TAG.sub("\u2039\\1\\2", text)  # "‹/source": no longer a tag


def _fence_title(title: str) -> str:
    """A title also cannot end its attribute early: its double quotes become typographic."""
    return _fence(title).replace('"', "\u201d")


def budget_sources(passages: Sequence[Passage], budget: int, encoding: str) -> list[Passage]:
    """The best passages that fit in `budget` tokens (always at least one, truncated)."""
    kept: list[Passage] = []
    used = 0
    for p in passages:
        cost = count_tokens(_source_block(p), encoding)
        if used + cost > budget and kept:
            break
        kept.append(p)
        used += cost
    return kept


def _source_block(p: Passage) -> str:
    return answer_prompt.SOURCE.format(n=p.n, title=_fence_title(p.title), text=_fence(p.text))


def prompt_sources(passages: Sequence[Passage]) -> str:
    """The numbered source blocks of a model prompt (fenced, so text cannot close them)."""
    return "\n\n".join(_source_block(p) for p in passages)


def cite(text: str, passages: Sequence[Passage], order: Sequence[int]) -> list[Citation]:
    """Citations for the passages a checked answer uses, numbered in order of first use."""
    by_n = {p.n: p for p in passages}
    citations = []
    for new, old in enumerate(order, start=1):
        p = by_n[old]
        quote, start, end = best_quote(p, sentences_citing(text, old))
        citations.append(Citation(new, p.source_id, p.title, p.origin, quote, p.score, start, end))
    return citations


def generated_answer(
    question: str,
    passages: Sequence[Passage],
    *,
    model: BaseChatModel,
    model_name: str,
    context_tokens: int,
    encoding: str,
    history: tuple[str, str] | None = None,
) -> Answer:
    if not passages:
        return Answer(question, REFUSAL, "llm", True, [], model=model_name)
    shown = budget_sources(passages, context_tokens, encoding)
    previous = (
        answer_prompt.HISTORY.format(question=history[0], answer=history[1]) if history else ""
    )
    user = answer_prompt.USER.format(
        sources=prompt_sources(shown), history=previous, question=question
    )
    raw = complete(model, answer_prompt.SYSTEM, user, name=model_name)
    checked = check_citations(raw, {p.n: p.text for p in shown}, never_echo=answer_prompt.SYSTEM)
    notes = []
    if checked.dropped_sentences:
        notes.append(
            f"dropped {checked.dropped_sentences} sentence(s) not backed by a valid citation"
        )
    if checked.removed_markers:
        notes.append(f"removed {checked.removed_markers} citation(s) to unknown sources")
    if checked.refused:
        return Answer(question, REFUSAL, "llm", True, [], model=model_name, notes=notes)
    citations = cite(checked.text, shown, checked.cited)
    text = renumber(checked.text, checked.cited)
    best = max(p.score for p in shown)
    return Answer(question, text, "llm", False, citations, model_name, best, notes)
