"""Questions that ask whether a claim is true ("Is the claim that X true?", "Is it true that
X?") are claim checks: `ask` answers them with the check's evidence, its mismatches and (with
a model) its verdict, never with a sentence that only reports the claim being made."""

from __future__ import annotations

import re
from dataclasses import replace

from prompts.phrases import CLAIM_REPORTED, CLAIM_VERDICTS, REFUSAL
from retrieval.citations import MARKER, Answer
from retrieval.claim_check import CheckResult, reports_claim
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


def claim_answer(question: str, result: CheckResult, *, mode: str) -> Answer:
    """The check as an answer: the verdict where a model gave one that was checked, the
    evidence (quoted, each with its [n]) before the sentences that only report the claim
    being made, which are named as such, then the check's explanation (mismatches, or why
    there is no verdict)."""
    if not result.citations:
        return Answer(question, REFUSAL, mode, True, [], model=result.model)
    reporting = [c for c in result.citations if reports_claim(result.claim, c.quote)]
    about = [c for c in result.citations if c not in reporting]
    mapping = {c.n: new for new, c in enumerate([*about, *reporting], start=1)}
    parts = [CLAIM_VERDICTS.get(result.verdict, "")]
    parts += [f"{c.quote} [{mapping[c.n]}]" for c in about]
    if reporting:
        refs = " and ".join(f"[{mapping[c.n]}]" for c in reporting)
        parts.append(CLAIM_REPORTED[min(len(reporting), 2)].format(refs=refs))
    parts.append(
        MARKER.sub(lambda m: f"[{mapping.get(int(m.group(1)), m.group(1))}]", result.explanation)
    )
    citations = sorted((replace(c, n=mapping[c.n]) for c in result.citations), key=lambda c: c.n)
    return Answer(
        question,
        " ".join(p for p in parts if p),
        mode,
        False,
        citations,
        model=result.model,
        evidence=max(c.score for c in citations),
    )
