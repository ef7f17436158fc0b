"""Plain-text rendering for the terminal (CLI and console)."""

from __future__ import annotations

import re
import textwrap
from collections.abc import Sequence
from typing import TYPE_CHECKING

from bot.assistant import DEMO_SCOPE
from common.wording import plural, plural_shown, window_text
from prompts.phrases import REPORTS_LABEL
from retrieval.catalog_records import SourceRecord
from retrieval.citations import Answer, Citation, spaced_markers
from retrieval.claim_check import CheckResult

if TYPE_CHECKING:
    from patterns.queries import AccountView


def iso(t: float | None) -> str:
    from patterns.serialise import iso as _iso  # noqa: PLC0415 - patterns loads only here

    return _iso(t) or "?"


def citation_origin(c: Citation) -> str:
    """Where a citation's quote comes from, in a few words."""
    if c.kind != "analysis":
        return f"source {c.source_id}"
    parts = [f"dataset {c.dataset}"]
    if c.cluster_id:
        parts.append(f"cluster {c.cluster_id}")
    if c.post_ids:
        shown = ", ".join(c.post_ids[:6]) + (" …" if len(c.post_ids) > 6 else "")
        parts.append(f"post{'s' if len(c.post_ids) > 1 else ''} {shown}")
    return "; ".join(parts)


_ENDS_IN_LINK = re.compile(r"(?:https?://|www\.)\S+$", re.IGNORECASE)
_LEADING_MARKERS = re.compile(r"\s*((?:\[\d{1,3}\])+[.,;:!?]*)(?:\s+|$)")


def wrapped(text: str, width: int, indent: str = "") -> list[str]:
    """Lines of at most `width` where the words allow, broken only at spaces: a link cut at
    a hyphen or in mid-word no longer opens when clicked, so a long word keeps its own
    line instead. A citation marker glued to a link gets a space before it, for the same
    reason, and stays on the link's line."""
    wrapper = textwrap.TextWrapper(
        width=width,
        initial_indent=indent,
        subsequent_indent=indent,
        break_long_words=False,
        break_on_hyphens=False,
    )
    lines: list[str] = []
    for line in wrapper.wrap(spaced_markers(text)):
        markers = _LEADING_MARKERS.match(line) if lines else None
        if markers is None or not _ENDS_IN_LINK.search(lines[-1]):
            lines.append(line)
            continue
        lines[-1] += " " + markers.group(1)
        if rest := line[markers.end() :]:
            lines.append(indent + rest)
    return lines


def _citation_lines(citations: list[Citation], reporting: Sequence[int] = ()) -> list[str]:
    lines = []
    for c in citations:
        where = f" <{c.origin}>" if c.origin.startswith(("http://", "https://")) else ""
        label = f"; {REPORTS_LABEL}" if c.n in reporting else ""
        lines.append(f"[{c.n}] {c.title}{where} ({citation_origin(c)}{label})")
        lines.extend(wrapped(f"\u201c{c.quote}\u201d", 96, "    "))
    return lines


def render_answer(answer: Answer) -> str:
    mode = "model: " + answer.model if answer.mode == "llm" else "extractive: verbatim quotes"
    lines = [*wrapped(answer.answer, 100), ""]
    if answer.citations:
        lines += ["Sources:", *_citation_lines(answer.citations), ""]
    lines += [f"({mode})", *(f"(note: {n})" for n in answer.notes)]
    return "\n".join(lines)


def render_check(result: CheckResult) -> str:
    verdict = result.verdict.replace("_", " ")
    lines = [
        f"Claim: {result.claim}",
        f"Verdict: {verdict}",
        *wrapped(result.explanation, 100),
    ]
    if result.citations:
        lines += ["", "Evidence:", *_citation_lines(result.citations, result.reporting)]
    return "\n".join(lines)


def render_account(views: Sequence[AccountView]) -> str:
    """`chorus account NAME`: per dataset, its cluster, its strongest ties with what they
    shared and when, and its account date; no cluster is said with the parameters."""
    lines: list[str] = []
    for v in views:
        a, ref = v.account, v.ref
        params = (
            f"window {window_text(ref.window_s)}, min-shared {ref.params.min_shared:g}, "
            f"min-accounts {ref.params.min_accounts}"
        )
        lines.append(f"{a.label}  ·  dataset {ref.dataset}  ·  {plural(a.posts, 'post')}")
        born = "unknown (not in the dataset)" if a.created_at is None else iso(a.created_at)
        new = " (new account)" if v.is_new else ""
        lines.append(f"  created {born}{new}; first post {iso(a.first_post)}")
        if v.cluster is None:
            lines.append(f"  in no cluster of dataset {ref.dataset} at {params}")
        else:
            lines.append(
                f"  cluster {v.cluster.cluster_id} ({v.cluster.size} accounts) at {params}"
            )
        if not v.ties:
            lines.append("  no linked accounts")
        else:
            lines.append(
                f"  strongest ties ({len(v.ties)} of {plural(v.total_ties, 'linked account')}):"
            )
        for t in v.ties:
            where = f"cluster {t.cluster_id}" if t.cluster_id else "not in one cluster"
            shared = plural_shown(t.shared, "shared item", len(t.items))
            lines.append(f"    {t.partner.label}: {shared}, weight {t.weight:g} ({where})")
            for i in t.items:
                lines.append(
                    f"      [{i.signal}] {_clip(i.label, 70)}: post {i.post_a.post_id} at "
                    f"{iso(i.post_a.time)}, post {i.post_b.post_id} at {iso(i.post_b.time)}"
                )
        lines.append("")
    return "\n".join(lines).rstrip()


def _clip(text: str, width: int) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= width else flat[: width - 1] + "…"


def render_source_list(sources: list[SourceRecord]) -> str:
    if not sources:
        return "No sources yet. Add some with `chorus ingest PATH_OR_URL`."
    lines = []
    for s in sources:
        built_in = "  [built in: the bundled demo]" if s.scope == DEMO_SCOPE else ""
        lines.append(f"{s.id}  {s.title}{built_in}")
        lines.append(
            f"            {s.origin}  ({plural(s.chunks, 'chunk')}; "
            f"added by {s.added_by}, {s.added_at})"
        )
    return "\n".join(lines)
