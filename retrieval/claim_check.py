"""Claim checks: the passages most relevant to a claim as cited evidence, and, when a model is
configured, a verdict that must cite that evidence. Without a model no verdict is guessed."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from prompts import claim_check as check_prompt
from prompts.phrases import (
    EVIDENCE_ONLY,
    EXPLAIN_EVIDENCE_ONLY,
    EXPLAIN_MISMATCH_UNCHECKED,
    EXPLAIN_NOT_ENOUGH,
    EXPLAIN_UNBACKED,
    MISMATCH,
    VERDICTS,
)
from retrieval.chat_model import complete
from retrieval.citations import Citation, Passage, check_citations
from retrieval.extractive import Candidate, overlaps, select, to_citations
from retrieval.generated import prompt_sources
from retrieval.lexical import content_stems, coverage
from retrieval.quantities import mismatches, without_quantities

if TYPE_CHECKING:
    from langchain_core.language_models.chat_models import BaseChatModel

MAX_EVIDENCE = 5
STRONG_OVERLAP = 0.5  # share of the claim's other content words a quote must hold to count
REPORTS_SHARE = 0.6  # share of the claim's content words a sentence reporting it holds
# Words that say a sentence reports what someone says ("Opponents say X"), and words that
# judge what they are said of ("X is false"): a sentence with the claim's words and a
# reporting word, and no judging word the claim lacks, only reports that the claim is made.
_REPORTING = frozenset(
    "say says said saying claim claims claimed claiming allege alleges alleged alleging argue "
    "argues argued assert asserts asserted insist insists insisted contend contends contended "
    "suggest suggests suggested according rumour rumours rumoured rumor rumors rumored "
    "believe believes believed maintain maintains maintained accuse accuses accused".split()
)
_JUDGING = frozenset(
    "not no never nor none cannot false untrue wrong incorrect inaccurate misleading myth "
    "debunked denied denies deny baseless unfounded exaggerated exaggeration".split()
)
_WORDS = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)?")


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


def _lower_words(text: str) -> set[str]:
    return {w.lower().replace("’", "'") for w in _WORDS.findall(text)}


def reports_claim(claim: str, quote: str) -> bool:
    """Whether a quote only reports that the claim is made ("Opponents say Measure 7
    doubles taxes", "The main claim was that the vaccine had been withdrawn in Denmark"):
    it holds most of the claim's content words and a reporting word, and no word that
    judges it, that the claim lacks."""
    wanted = set(content_stems(claim))
    if not wanted or len(wanted & set(content_stems(quote))) < REPORTS_SHARE * len(wanted):
        return False
    mine, theirs = _lower_words(claim), _lower_words(quote)
    added = theirs - mine
    judging = {w for w in added if w in _JUDGING or w.endswith("n't")}
    return bool(added & _REPORTING) and not judging


def evidence(claim: str, candidates: Sequence[Candidate], min_evidence: float) -> list[Citation]:
    """The passages that bear on the claim, ranked by the answer scorer, in reading order.

    Evidence that disagrees with the claim is kept: the scorer ranks what bears on it, and a
    differing number ("$2,500 per month" against "$5,000 a month") is pointed out below.
    A sentence that only reports the claim being made scores best (it has all its words),
    so it is picked apart, after the others: it must not set the bar that evidence about
    the claim has to reach.
    """
    reporting = [c for c in candidates if reports_claim(claim, c.text)]
    chosen = select([c for c in candidates if c not in reporting], MAX_EVIDENCE, min_evidence)
    room = MAX_EVIDENCE - len(chosen)
    if room > 0:
        more = select(reporting, room, min_evidence)
        chosen += [c for c in more if not any(overlaps(c, o) for o in chosen)]
    return to_citations(chosen)


def strong_evidence(claim: str, citations: Sequence[Citation]) -> list[tuple[int, str]]:
    """(n, quote) of the citations that share most of the claim's other words, best first.

    The claim's figures and dates are left out of the words compared: "3 December" must
    not make "certified on 3 November" look like evidence about something else."""
    wanted = [s for s in content_stems(without_quantities(claim)) if not s.isdigit()]
    out = []
    for c in sorted(citations, key=lambda c: -c.score):
        if wanted and coverage(wanted, content_stems(c.quote), {}) >= STRONG_OVERLAP:
            out.append((c.n, c.quote))
    return out


def mismatch_note(claim: str, citations: Sequence[Citation]) -> str:
    """ "The claim says $5,000; [1] says $2,500." for each slot where they differ, or ""."""
    found = mismatches(claim, strong_evidence(claim, citations))
    return " ".join(
        MISMATCH.format(claim=m.claim.text, n=m.n, evidence=m.evidence.text) for m in found
    )


def check_claim(
    claim: str,
    candidates: Sequence[Candidate],
    *,
    min_evidence: float,
    model: BaseChatModel | None = None,
    model_name: str = "",
) -> CheckResult:
    citations = evidence(claim, candidates, min_evidence)
    if not citations:
        return CheckResult(claim, "not_enough_evidence", EXPLAIN_NOT_ENOUGH, [], model_name)
    differs = mismatch_note(claim, citations)
    if model is None:
        return CheckResult(claim, EVIDENCE_ONLY, _join(EXPLAIN_EVIDENCE_ONLY, differs), citations)

    passages = [
        Passage(c.n, c.source_id, c.title, c.origin, c.quote, c.start, c.score) for c in citations
    ]
    user = check_prompt.USER.format(sources=prompt_sources(passages), claim=claim)
    raw = complete(model, check_prompt.SYSTEM, user, name=model_name)
    verdict, explanation = _parse(raw)
    checked = check_citations(
        explanation, {c.n: c.quote for c in citations}, never_echo=check_prompt.SYSTEM
    )
    if differs and verdict not in ("refuted", "conflicting"):
        # The evidence gives another figure for the same thing: a verdict that ignores it is
        # not shown as one.
        return CheckResult(
            claim, EVIDENCE_ONLY, _join(EXPLAIN_MISMATCH_UNCHECKED, differs), citations, model_name
        )
    if verdict == "not_enough_evidence":
        text = explanation.strip() if checked.refused else checked.text
        return CheckResult(claim, verdict, text or EXPLAIN_NOT_ENOUGH, citations, model_name)
    if verdict not in VERDICTS or checked.refused:
        # A verdict the model did not back with valid citations is not shown as a verdict.
        return CheckResult(
            claim, EVIDENCE_ONLY, _join(EXPLAIN_UNBACKED, differs), citations, model_name
        )
    return CheckResult(claim, verdict, _join(checked.text, differs), citations, model_name)


def _join(*parts: str) -> str:
    return " ".join(p for p in parts if p)


_JSON_OBJECT = re.compile(r"\{.*\}", re.DOTALL)


def _parse(raw: str) -> tuple[str, str]:
    """(verdict, explanation) from the model's reply; ("", "") when it is not the JSON asked for.

    LangChain's JSON parser reads the reply as it is (bare or in a ```json fence, and
    forgives raw line breaks inside strings); when the model wrapped the object in prose,
    the outermost {...} is read the same way."""
    from langchain_core.exceptions import OutputParserException  # noqa: PLC0415
    from langchain_core.output_parsers import JsonOutputParser  # noqa: PLC0415

    parser = JsonOutputParser()
    match = _JSON_OBJECT.search(raw)
    for text in (raw, match.group(0) if match else None):
        if text is None:
            continue
        try:
            data = parser.parse(text)
        except OutputParserException:
            continue
        if isinstance(data, dict):
            verdict = str(data.get("verdict", "")).strip().lower().replace(" ", "_")
            return verdict, str(data.get("explanation", ""))
    return "", ""
