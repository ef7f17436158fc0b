"""Evidence a claim check reads beyond the sentences that share the claim's words.

A fact-check states the claim once, in the claim's words, and refutes it in its own:
"Verdict: False.", "The plant has not been built.", an expert's "There is no plant". The
scorer reads the claim against each sentence as a question, so the sentence that reports
the claim ranks first and the refutation far below any bar. So in a source that states the
claim (a sentence reporting it, or one holding most of its words, scoring above the bar) a
check also takes, within WINDOW characters of that statement:

- the page's verdict line ("Verdict: False.", "Our ruling: Mostly false", or the sentence
  under a "Verdict" heading), the one nearest the statement;
- sentences that deny what the claim says: a word judging it that the claim lacks ("not",
  "no", "false", "denied") with half the claim's content words (figures and dates left
  out), or one of them in the section of a sentence reporting the claim;
- the sentences next to a sentence reporting the claim (NEAR_AFTER after it, NEAR_BEFORE
  before), in its section (no heading between them), unless the report is already quoted
  with its judgment ("The main claim was X. That claim is false: ...").

The scorer cannot rank these against the claim, so each carries the score of the statement
that ties it to the claim.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Final, Literal

from retrieval.catalog import Catalog
from retrieval.catalog_records import ChunkRecord
from retrieval.claim_check import STRONG_OVERLAP, judges, reports_claim
from retrieval.extractive import Candidate, overlaps, prepare
from retrieval.lexical import content_stems
from retrieval.quantities import without_quantities
from retrieval.search import Hit

WINDOW: Final = 3000  # characters read either side of a statement of the claim
NEAR_AFTER: Final = 2  # sentences taken after a sentence reporting the claim (the rebuttal)
NEAR_BEFORE: Final = 1  # and before it
DENIAL_SHARE: Final = 0.5  # share of the claim's content words a denial holds elsewhere

_VERDICT_LINE: Final = re.compile(
    r"^(?:our |the |final |claim )?(?:verdict|rating|ruling|conclusion|assessment)"
    r"\s*[:\u2013\u2014-]\s*\S.{0,80}$",
    re.I | re.S,
)
_VERDICT_HEADING: Final = re.compile(
    r"^\W*(?:our |the |final )?(?:verdict|rating|ruling|conclusion)\W*$", re.I
)

Role = Literal["verdict", "denies", "near"]
_FIRST: Final[dict[str, int]] = {"verdict": 0, "denies": 1, "near": 2}  # which come first


@dataclass(frozen=True)
class Gathered:
    candidate: Candidate
    role: Role
    rank: float  # within a role, lower first: characters from the statement


def denies(claim: str, text: str, *, min_share: float = DENIAL_SHARE) -> bool:
    """Whether a sentence judges what the claim says ("The plant has not been built",
    "There is no plant, so ... nothing that could have killed these fish"): a word judging
    it that the claim lacks, with `min_share` of its content words (at least one). The
    claim's figures and dates are not counted: "not until 11 March" is about anything."""
    wanted = {s for s in content_stems(without_quantities(claim)) if not s.isdigit()}
    shared = wanted & set(content_stems(text))
    return bool(shared) and len(shared) >= min_share * len(wanted) and judges(claim, text)


def gather(
    claim: str, candidates: Sequence[Candidate], catalog: Catalog, min_evidence: float
) -> list[Gathered]:
    """The verdict lines, denials and neighbours of the claim's statements, best first."""
    above = [c for c in candidates if c.score >= min_evidence]
    reports = [c for c in above if reports_claim(claim, c.text)]
    anchors = [c for c in above if c in reports or c.coverage >= STRONG_OVERLAP]
    # A report quoted together with the sentence judging it needs no neighbours.
    judged = [r for r in reports if any(overlaps(r, c) for c in above if c not in reports)]
    found: list[Gathered] = []
    for sid in dict.fromkeys(a.source_id for a in anchors):
        mine = [a for a in anchors if a.source_id == sid]
        found += _in_source(claim, mine, [a for a in mine if a in judged], catalog)
    found.sort(key=lambda g: (_FIRST[g.role], g.rank, g.candidate.start))
    out: list[Gathered] = []
    for g in found:
        if not any(overlaps(g.candidate, o.candidate) for o in out):
            out.append(g)
    return out


def _in_source(
    claim: str, anchors: Sequence[Candidate], judged: Sequence[Candidate], catalog: Catalog
) -> list[Gathered]:
    sid = anchors[0].source_id
    context = catalog.context_spans(sid)
    length = catalog.source_length(sid)
    units = _units_near(anchors, catalog, length)
    units = [u for u in units if not reports_claim(claim, u.text)]
    reporting = [a for a in anchors if reports_claim(claim, a.text)]
    sections = [_section(context, length, a) for a in reporting]
    found: list[Gathered] = []
    # A page's verdict rates the claim it reports: none is taken where the claim is only
    # in strong evidence (a page that rates another claim may state this one as a fact).
    verdicts = [u for u in units if reporting and _is_verdict(u, context, catalog)]
    if verdicts:
        best = min(verdicts, key=lambda u: (not _within(u, sections), _distance(u, reporting)))
        found.append(Gathered(_tied(best, reporting), "verdict", _distance(best, reporting)))
    for u in units:
        if denies(claim, u.text, min_share=0.0 if _within(u, sections) else DENIAL_SHARE):
            found.append(Gathered(_tied(u, anchors), "denies", _distance(u, anchors)))
    for a, (lo, hi) in zip(reporting, sections, strict=True):
        if a in judged:
            continue
        inside = [u for u in units if lo <= u.start and u.end <= hi and not overlaps(u, a)]
        after = [u for u in inside if u.start >= a.end][:NEAR_AFTER]
        before = [u for u in inside if u.end <= a.start][-NEAR_BEFORE:]
        for u in [*after, *before]:
            found.append(Gathered(replace(u, score=a.score), "near", _distance(u, [a])))
    # Not the reports again (they are listed apart); a strong sentence that is not one may
    # be gathered: the check shows it only if its own score did not already pick it.
    return [g for g in found if not any(overlaps(g.candidate, a) for a in reporting)]


def _units_near(anchors: Sequence[Candidate], catalog: Catalog, length: int) -> list[Candidate]:
    """The candidate quotes (sentences, joined where one leans on the one before) within
    WINDOW characters of the anchors, in reading order."""
    spans: list[tuple[int, int]] = []
    for a in sorted(anchors, key=lambda a: a.start):
        lo, hi = max(0, a.start - WINDOW), min(length, a.end + WINDOW)
        if spans and lo <= spans[-1][1]:
            spans[-1] = (spans[-1][0], max(spans[-1][1], hi))
        else:
            spans.append((lo, hi))
    first = anchors[0]
    hits = [
        Hit(
            ChunkRecord(
                f"{first.source_id}@{lo}",
                first.source_id,
                -1,
                lo,
                hi,
                "",
                first.title,
                first.origin,
                "",
            ),
            0.0,
            None,
            None,
            None,
        )
        for lo, hi in spans
    ]
    units = prepare("", hits, {}, catalog).candidates
    return sorted(units, key=lambda u: (u.start, u.end))


def _within(u: Candidate, sections: Sequence[tuple[int, int]]) -> bool:
    return any(lo <= u.start and u.end <= hi for lo, hi in sections)


def _section(context: Sequence[tuple[int, int]], length: int, c: Candidate) -> tuple[int, int]:
    """[after the heading above c, before the heading below it)."""
    lo = max((e for s, e in context if e <= c.start), default=0)
    hi = min((s for s, e in context if s >= c.end), default=length)
    return lo, hi


def _is_verdict(u: Candidate, context: Sequence[tuple[int, int]], catalog: Catalog) -> bool:
    """A verdict line ("Verdict: False."), or the first sentence under a "Verdict" heading."""
    if _VERDICT_LINE.match(u.text.strip()):
        return True
    above = [(s, e) for s, e in context if e <= u.start]
    if not above:
        return False
    s, e = above[-1]
    between = catalog.source_span(u.source_id, e, u.start)
    heading = catalog.source_span(u.source_id, s, e)
    return not between.strip() and _VERDICT_HEADING.match(heading.strip()) is not None


def _distance(u: Candidate, anchors: Sequence[Candidate]) -> float:
    return float(min(max(a.start - u.end, u.start - a.end, 0) for a in anchors))


def _tied(u: Candidate, anchors: Sequence[Candidate]) -> Candidate:
    """u with the score of the nearest anchor: the statement that ties it to the claim."""
    nearest = min(anchors, key=lambda a: _distance(u, [a]))
    return replace(u, score=nearest.score)
