"""Questions that ask whether a claim is true ("Is the claim that X true?", "Is it true that
X?") are claim checks: `ask` answers them with the check's evidence, its mismatches and (with
a model) its verdict, never with a sentence that only reports the claim being made. So is a
yes/no question whose extractive answer would quote such a sentence."""

from __future__ import annotations

import re

from prompts.phrases import CLAIM_VERDICTS, REFUSAL
from retrieval.citations import Answer
from retrieval.claim_check import REPORTING, CheckResult, lower_words
from retrieval.lexical import content_stems

_TRUE = r"(?:really |actually |in fact )?(?:true|correct|accurate|right|false|untrue|wrong|a fact)"
_CLAIM_NOUN = r"(?:claim|statement|assertion|allegation|report|rumou?r|story|idea|suggestion)"
_SHAPES = [
    re.compile(p, re.I)
    for p in (
        rf"^(?:is|was) (?:it|this) {_TRUE} that (?P<claim>.+)$",
        rf"^(?:is|was) (?:the|this|that) {_CLAIM_NOUN} (?:that )?(?P<claim>.+?),? {_TRUE}$",
        r"^(?:true or false|fact[- ]?check)\s*[:,-]\s*(?P<claim>.+)$",
    )
]
_QUOTES = "\"'“”‘’"
_YES_NO = re.compile(
    r"^(?:did|does|do|is|are|was|were|has|have|had|can|could|will|would|should)\s+\S", re.I
)


def claim_asked(question: str) -> str | None:
    """The claim a question asks about, as written ("Measure 7 doubles taxes" of "Is the
    claim that Measure 7 doubles taxes true?"), or None for other questions."""
    flat = " ".join(question.split()).rstrip("?!. ")
    for shape in _SHAPES:
        m = shape.match(flat)
        if m:
            claim = m.group("claim").strip().strip(_QUOTES).strip()
            return claim if content_stems(claim) else None
    return None


def yes_no_claim(question: str) -> str | None:
    """The question itself as the claim it asks about, for a yes/no question ("Did the plant
    kill fish in the harbour?") that asks nothing about who said what; else None. A sentence
    that reports that claim being made ("A post claims the plant killed fish") must not
    answer it: it says someone says so, not that it is so."""
    flat = " ".join(question.split()).rstrip("?!. ")
    if not _YES_NO.match(flat) or lower_words(flat) & REPORTING:
        return None
    return flat if content_stems(flat) else None


def claim_answer(question: str, result: CheckResult, *, mode: str) -> Answer:
    """The check as an answer: the verdict where a model gave one that was checked, the
    evidence (quoted, each with its [n]), then the check's explanation, which names the
    sentences that only report the claim being made (never quoted here), and points at
    mismatches or says why there is no verdict."""
    if not result.citations:
        return Answer(question, REFUSAL, mode, True, [], model=result.model)
    parts = [CLAIM_VERDICTS.get(result.verdict, "")]
    parts += [f"{c.quote} [{c.n}]" for c in result.citations if c.n not in result.reporting]
    parts.append(result.explanation)
    return Answer(
        question,
        " ".join(p for p in parts if p),
        mode,
        False,
        list(result.citations),
        model=result.model,
        evidence=max(c.score for c in result.citations),
    )
