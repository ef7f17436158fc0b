"""Claim checks: the passages most relevant to a claim as cited evidence, and, when a model is
configured, a verdict that must cite that evidence. Without a model no verdict is guessed."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from prompts import claim_check as check_prompt
from prompts.phrases import (
    EVIDENCE_ONLY,
    EXPLAIN_EVIDENCE_ONLY,
    EXPLAIN_NOT_ENOUGH,
    EXPLAIN_UNBACKED,
    VERDICTS,
)
from retrieval.chat_model import complete
from retrieval.citations import Citation, Passage, check_citations
from retrieval.extractive import Candidate, reading_order, select
from retrieval.generated import render_sources

if TYPE_CHECKING:
    from langchain_core.language_models.chat_models import BaseChatModel

MAX_EVIDENCE = 5


@dataclass(frozen=True)
class CheckResult:
    claim: str
    verdict: str
    explanation: str
    citations: list[Citation]
    model: str = ""

    def to_json(self) -> dict[str, Any]:
        return {
            "claim": self.claim,
            "verdict": self.verdict,
            "explanation": self.explanation,
            "citations": [c.to_json() for c in self.citations],
        }


def evidence(candidates: Sequence[Candidate], min_evidence: float) -> list[Citation]:
    chosen = reading_order(select(candidates, MAX_EVIDENCE, min_evidence))
    return [
        Citation(n, c.source_id, c.title, c.url, c.text, c.score, c.start, c.end)
        for n, c in enumerate(chosen, start=1)
    ]


def check_claim(
    claim: str,
    candidates: Sequence[Candidate],
    *,
    min_evidence: float,
    model: BaseChatModel | None = None,
    model_name: str = "",
) -> CheckResult:
    citations = evidence(candidates, min_evidence)
    if not citations:
        return CheckResult(claim, "not_enough_evidence", EXPLAIN_NOT_ENOUGH, [], model_name)
    if model is None:
        return CheckResult(claim, EVIDENCE_ONLY, EXPLAIN_EVIDENCE_ONLY, citations)

    passages = [
        Passage(c.n, c.source_id, c.title, c.url, c.quote, c.start, c.score) for c in citations
    ]
    user = check_prompt.USER.format(sources=render_sources(passages), claim=claim)
    raw = complete(model, check_prompt.SYSTEM, user, name=model_name)
    verdict, explanation = _parse(raw)
    checked = check_citations(
        explanation, {c.n: c.quote for c in citations}, never_echo=check_prompt.SYSTEM
    )
    if verdict == "not_enough_evidence":
        text = explanation.strip() if checked.refused else checked.text
        return CheckResult(claim, verdict, text or EXPLAIN_NOT_ENOUGH, citations, model_name)
    if verdict not in VERDICTS or checked.refused:
        # A verdict the model did not back with valid citations is not shown as a verdict.
        return CheckResult(claim, EVIDENCE_ONLY, EXPLAIN_UNBACKED, citations, model_name)
    return CheckResult(claim, verdict, checked.text, citations, model_name)


_JSON_OBJECT = re.compile(r"\{.*\}", re.DOTALL)


def _parse(raw: str) -> tuple[str, str]:
    """(verdict, explanation) from the model's reply; ("", "") when it is not the JSON asked for."""
    match = _JSON_OBJECT.search(raw)
    if match is None:
        return "", ""
    try:
        data = json.loads(match.group(0))
    except json.JSONDecodeError:
        return "", ""
    if not isinstance(data, dict):
        return "", ""
    verdict = str(data.get("verdict", "")).strip().lower().replace(" ", "_")
    return verdict, str(data.get("explanation", ""))
