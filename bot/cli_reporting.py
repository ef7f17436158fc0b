"""CLI commands on reporting sources: ask, check, ingest, sources, doctor."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, Any

from bot.cli_output import emit_json, error_text, print_line, say
from common.wording import plural

if TYPE_CHECKING:
    from bot.assistant import Assistant
    from retrieval.catalog_records import SourceRecord


def cmd_ask(assistant: Assistant, args: argparse.Namespace) -> int:
    from bot.assistant import Requester  # noqa: PLC0415
    from bot.render_text import render_answer  # noqa: PLC0415

    answer = assistant.ask(" ".join(args.question), Requester.local())
    if args.json:
        emit_json(answer.to_json())
    else:
        say(render_answer(answer))
    return 0


def cmd_check(assistant: Assistant, args: argparse.Namespace) -> int:
    from bot.assistant import Requester  # noqa: PLC0415
    from bot.render_text import render_check  # noqa: PLC0415

    result = assistant.check(" ".join(args.claim), Requester.local())
    if args.json:
        emit_json(result.to_json())
    else:
        say(render_check(result))
    return 0


def cmd_ingest(assistant: Assistant, args: argparse.Namespace) -> int:
    from bot.assistant import Requester  # noqa: PLC0415
    from bot.progress_bar import TerminalProgress  # noqa: PLC0415

    with TerminalProgress() as bar:
        report = assistant.ingest(
            args.targets, Requester.local(), title=args.title, progress=bar, force=args.force
        )
    out = sys.stderr if args.json else sys.stdout
    for path, why in report.skipped:
        print_line(f"skipped {path}: {why}", file=sys.stderr)
    for item in report.items:
        if item.error is not None:
            print_line(f"chorus: {error_text(item.error)}", file=sys.stderr)
        elif item.duplicate and item.source is not None:
            print_line(
                f"unchanged: {item.target} is already source {item.source.id} "
                f"({item.source.title}); --force adds a second copy",
                file=out,
            )
        elif item.source is not None:
            print_line(
                f"added {item.source.id}  {item.source.title}  "
                f"({plural(item.source.chunks, 'chunk')})",
                file=out,
            )
    if args.json:
        emit_json(
            {
                "added": [
                    _source_json(i.source) for i in report.items if i.source and not i.duplicate
                ],
                "unchanged": [
                    _source_json(i.source) for i in report.items if i.source and i.duplicate
                ],
                "failed": [
                    {"target": i.target, "error": error_text(i.error)}
                    for i in report.failed
                    if i.error is not None
                ],
                "skipped": [{"path": p, "reason": r} for p, r in report.skipped],
            }
        )
    if not report.items:
        print_line("chorus: nothing to ingest (no supported files found)", file=sys.stderr)
        return 2
    return 2 if report.failed else 0


def _source_json(s: SourceRecord) -> dict[str, Any]:
    return {
        "id": s.id,
        "title": s.title,
        "url": s.origin,
        "kind": s.kind,
        "added_by": s.added_by,
        "added_at": s.added_at,
        "sha256": s.sha256,
        "chunks": s.chunks,
    }


def cmd_sources(assistant: Assistant, args: argparse.Namespace) -> int:
    from bot.assistant import Requester  # noqa: PLC0415
    from bot.progress_bar import TerminalProgress  # noqa: PLC0415
    from bot.render_text import render_source_list  # noqa: PLC0415

    req = Requester.local()
    if args.action == "list":
        sources = assistant.sources(req)
        if args.json:
            emit_json({"sources": [_source_json(s) for s in sources]})
        else:
            say(render_source_list(sources))
    elif args.action == "remove":
        removed = assistant.remove_source(args.id, req)
        say(f"removed {removed.id}  {removed.title}", to_stderr=args.json)
        if args.json:
            emit_json({"removed": _source_json(removed)})
    else:
        with TerminalProgress() as bar:
            count = assistant.reindex(req, progress=bar)
        say(f"re-indexed {plural(count, 'chunk')} from the catalog", to_stderr=args.json)
        if args.json:
            emit_json({"reindexed_chunks": count})
    return 0


def cmd_doctor(assistant: Assistant, args: argparse.Namespace) -> int:
    from bot.progress_bar import TerminalProgress  # noqa: PLC0415

    with TerminalProgress() as bar:
        report = assistant.doctor(repair=not args.dry_run, progress=bar)
    # A bad setting fails doctor too: otherwise it is found only by the first ask.
    code = 0 if (report.consistent or report.repairs) and not report.setting_problems else 1
    if args.json:
        emit_json(report.to_json())
        return code
    for problem in report.setting_problems:
        say(f"found: {problem}")
    for problem in report.problems:
        say(f"found: {problem}")
    for repair in report.repairs:
        say(f"repaired: {repair}")
    state = (
        "consistent"
        if report.consistent
        else ("repaired" if report.repairs else "NOT consistent (run without --dry-run to repair)")
    )
    say(
        f"catalog and vector index {state}: {report.sources} sources, {report.chunks} chunks, "
        f"{report.vectors} vectors"
    )
    return code
