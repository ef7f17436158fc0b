"""Plain-text rendering for the terminal (CLI and console)."""

from __future__ import annotations

import textwrap

from bot.assistant import DEMO_SCOPE
from retrieval.catalog import SourceRecord
from retrieval.citations import Answer, Citation
from retrieval.claim_check import CheckResult


def _citation_lines(citations: list[Citation]) -> list[str]:
    lines = []
    for c in citations:
        where = f" <{c.url}>" if c.url.startswith(("http://", "https://")) else ""
        lines.append(f"[{c.n}] {c.title}{where} (source {c.source_id})")
        lines.extend(
            textwrap.wrap(
                f"\u201c{c.quote}\u201d", width=96, initial_indent="    ", subsequent_indent="    "
            )
        )
    return lines


def render_answer(answer: Answer) -> str:
    mode = "model: " + answer.model if answer.mode == "llm" else "extractive: verbatim quotes"
    lines = [textwrap.fill(answer.answer, width=100), ""]
    if answer.citations:
        lines += ["Sources:", *_citation_lines(answer.citations), ""]
    lines += [f"({mode})", *(f"(note: {n})" for n in answer.notes)]
    return "\n".join(lines)


def render_check(result: CheckResult) -> str:
    verdict = result.verdict.replace("_", " ")
    lines = [
        f"Claim: {result.claim}",
        f"Verdict: {verdict}",
        textwrap.fill(result.explanation, 100),
    ]
    if result.citations:
        lines += ["", "Evidence:", *_citation_lines(result.citations)]
    return "\n".join(lines)


def render_sources(sources: list[SourceRecord]) -> str:
    if not sources:
        return "No sources yet. Add some with `chorus ingest PATH_OR_URL`."
    lines = []
    for s in sources:
        built_in = "  [built in: the bundled demo]" if s.scope == DEMO_SCOPE else ""
        lines.append(f"{s.id}  {s.title}{built_in}")
        lines.append(
            f"            {s.url}  ({s.chunks} chunks; added by {s.added_by}, {s.added_at})"
        )
    return "\n".join(lines)
