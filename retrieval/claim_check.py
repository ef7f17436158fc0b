"""Claim checks: the passages most relevant to a claim as cited evidence, and, when a model is
configured, a verdict that must cite that evidence. Without a model no verdict is guessed."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from prompts import claim_check as check_prompt
from prompts.phrases import (
    CLAIM_REPORTED,
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
from retrieval.extractive import (
    NEAR_DUPLICATE,
    Candidate,
    overlaps,
    rank_key,
    select,
    to_citations,
)
from retrieval.generated import prompt_sources
from retrieval.lexical import content_stems, coverage, jaccard
from retrieval.quantities import mismatches, quantities, without_quantities

if TYPE_CHECKING:
    from langchain_core.language_models.chat_models import BaseChatModel

    from retrieval.claim_context import Gathered

MAX_EVIDENCE = 5  # picked by the scorer
MAX_SHOWN = 8  # with what the check found beside the claim's statements, and its reports
STRONG_OVERLAP = 0.5  # share of the claim's other content words a quote must hold to count
REPORTS_SHARE = 0.6  # share of the claim's content words a sentence reporting it holds
# Words that say a sentence reports what someone says ("Opponents say X"), and words that
# judge what they are said of ("X is false"): a sentence with the claim's words and a
# reporting word, and no judging word the claim lacks, only reports that the claim is made.
REPORTING = frozenset(
    "say says said saying claim claims claimed claiming allege alleges alleged alleging argue "
    "argues argued assert asserts asserted insist insists insisted contend contends contended "
    "suggest suggests suggested according rumour rumours rumoured rumor rumors rumored "
    "believe believes believed maintain maintains maintained accuse accuses accused".split()
)
_JUDGING = frozenset(
    "not no never nor none nothing nobody neither cannot false untrue wrong incorrect "
    "inaccurate misleading myth hoax fabricated debunked denied denies deny baseless unfounded "
    "exaggerated exaggeration".split()
)
_WORDS = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)?")


@dataclass(frozen=True)
class CheckResult:
    claim: str
    verdict: str
    explanation: str
    citations: list[Citation]
    model: str = ""
    reporting: tuple[int, ...] = ()  # the [n] of citations that only report the claim made

    def to_json(self) -> dict[str, Any]:
        return {
            "claim": self.claim,
            "verdict": self.verdict,
            "explanation": self.explanation,
            "citations": [c.to_json() for c in self.citations],
        }


def lower_words(text: str) -> set[str]:
    return {w.lower().replace("’", "'") for w in _WORDS.findall(text)}


def reports_claim(claim: str, quote: str) -> bool:
    """Whether a quote only reports that the claim is made ("Opponents say Measure 7
    doubles taxes", "The main claim was that the vaccine had been withdrawn in Denmark"):
    it holds most of the claim's content words and a reporting word, and no word that
    judges it, that the claim lacks."""
    wanted = set(content_stems(claim))
    if not wanted or len(wanted & set(content_stems(quote))) < REPORTS_SHARE * len(wanted):
        return False
    added = lower_words(quote) - lower_words(claim)
    if not added & REPORTING or judges(claim, quote):
        return False
    # "Ruel said he was offered 40 euros" against "offered 100 euros" is evidence about it.
    return not mismatches(claim, [(0, quote)])


def judges(claim: str, quote: str) -> bool:
    """Whether a quote has a word judging the claim ("not", "false", "denied", "isn't")
    that the claim itself lacks."""
    added = lower_words(quote) - lower_words(claim)
    return any(w in _JUDGING or w.endswith("n't") for w in added)


@dataclass(frozen=True)
class Evidence:
    citations: list[Citation]  # the evidence about the claim first, then the reports of it
    reporting: tuple[int, ...]  # the [n] of those that only report the claim being made


def evidence(
    claim: str,
    candidates: Sequence[Candidate],
    min_evidence: float,
    gathered: Sequence[Gathered] = (),
) -> Evidence:
    """The passages that bear on the claim, ranked by the answer scorer, in reading order;
    then those that only report it.

    Evidence that disagrees with the claim is kept: the scorer ranks what bears on it, and a
    differing number ("$2,500 per month" against "$5,000 a month") is pointed out below.
    A sentence that only reports the claim being made scores best (it has all its words),
    so it is picked apart, after the others: it must not set the bar that evidence about
    the claim has to reach. What the check found beside the claim's statements (its
    verdict line, denials, neighbours: retrieval/claim_context.py) comes after the scorer's
    picks and before the reports, as room allows.
    """
    candidates = _with_figures(claim, candidates)
    reporting = [c for c in candidates if reports_claim(claim, c.text)]
    chosen = select([c for c in candidates if c not in reporting], MAX_EVIDENCE, min_evidence)
    reports = select(reporting, MAX_SHOWN, min_evidence)
    room = MAX_SHOWN - (1 if reports else 0)  # one report is always shown, named as one
    for g in gathered:
        if len(chosen) >= room:
            break
        if not any(
            overlaps(g.candidate, o) or jaccard(g.candidate.stems, o.stems) >= NEAR_DUPLICATE
            for o in chosen
        ):  # a copy of the same page says it again
            chosen.append(g.candidate)
    more = [c for c in reports if not any(overlaps(c, o) for o in chosen)]
    more = more[: MAX_SHOWN - len(chosen)]
    about = to_citations(chosen)
    after = [replace(c, n=c.n + len(about)) for c in to_citations(more)]
    return Evidence([*about, *after], tuple(c.n for c in after))


def _with_figures(claim: str, candidates: Sequence[Candidate]) -> list[Candidate]:
    """For a claim with figures, a sentence without one of their kinds gives way to the
    longer quote that holds it and such a figure (a sentence joined to the one that leans on
    it: "The council voted in May. The measure passed five votes to two."), which takes its
    score: the figures are what the claim is checked against."""
    kinds = {q.kind for q in quantities(claim)}
    if not kinds:
        return list(candidates)

    def figures(text: str) -> set[str]:
        return kinds & {q.kind for q in quantities(text)}

    out = list(candidates)
    for i, c in enumerate(out):
        if figures(c.text):
            continue
        wider = [
            o
            for o in candidates
            if o.source_id == c.source_id
            and o.start <= c.start
            and c.end <= o.end
            and o is not c
            and figures(o.text)
        ]
        if wider:
            out[i] = replace(max(wider, key=lambda o: o.score), score=c.score)
    seen: set[tuple[str, int, int]] = set()
    kept = []
    for c in sorted(out, key=rank_key):
        if (c.source_id, c.start, c.end) not in seen:
            seen.add((c.source_id, c.start, c.end))
            kept.append(c)
    return kept


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
    gathered: Sequence[Gathered] = (),
    model: BaseChatModel | None = None,
    model_name: str = "",
) -> CheckResult:
    found = evidence(claim, candidates, min_evidence, gathered)
    if not found.citations:
        return CheckResult(claim, "not_enough_evidence", EXPLAIN_NOT_ENOUGH, [], model_name)
    result = _judged(claim, found.citations, model, model_name)
    if not found.reporting:
        return result
    # Named first, so a reader never takes a report of the claim for evidence of it.
    refs = " and ".join(f"[{n}]" for n in found.reporting)
    named = CLAIM_REPORTED[min(len(found.reporting), 2)].format(refs=refs)
    return replace(result, explanation=_join(named, result.explanation), reporting=found.reporting)


def _judged(
    claim: str, citations: list[Citation], model: BaseChatModel | None, model_name: str
) -> CheckResult:
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
