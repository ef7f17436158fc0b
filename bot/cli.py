"""The `chorus` command line (also `python -m bot`). Contracts: DESIGN.md, "Command line"."""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from bot.terminal_text import terminal_safe
from common.errors import ChorusError
from common.wording import plural

logger = logging.getLogger(__name__)

Handler = Callable[[Any, argparse.Namespace], int]
# Kept here (not imported from patterns) so `chorus --help` stays instant.
DEFAULT_CLUSTER_LIMIT = 20
ALL_SIGNALS_HELP = ("text", "near_text", "url", "domain", "hashtags", "image", "repost", "reply")


def _emit_json(data: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2) + "\n")


def _say(text: str, *, to_stderr: bool = False) -> None:
    _print(text, file=sys.stderr if to_stderr else sys.stdout)


def _print(text: str, *, file: Any) -> None:
    """Everything for people goes through here: data never writes escape codes."""
    print(terminal_safe(text), file=file)


# -- command handlers: parse, call the Assistant, render ------------------------------------
def cmd_ask(assistant: Any, args: argparse.Namespace) -> int:
    from bot.assistant import Requester  # noqa: PLC0415
    from bot.render_text import render_answer  # noqa: PLC0415

    answer = assistant.ask(" ".join(args.question), Requester.local())
    if args.json:
        _emit_json(answer.to_json())
    else:
        _say(render_answer(answer))
    return 0


def cmd_check(assistant: Any, args: argparse.Namespace) -> int:
    from bot.assistant import Requester  # noqa: PLC0415
    from bot.render_text import render_check  # noqa: PLC0415

    result = assistant.check(" ".join(args.claim), Requester.local())
    if args.json:
        _emit_json(result.to_json())
    else:
        _say(render_check(result))
    return 0


def cmd_ingest(assistant: Any, args: argparse.Namespace) -> int:
    from bot.assistant import Requester  # noqa: PLC0415
    from bot.progress_bar import TerminalProgress  # noqa: PLC0415

    with TerminalProgress() as bar:
        report = assistant.ingest(
            args.targets, Requester.local(), title=args.title, progress=bar, force=args.force
        )
    out = sys.stderr if args.json else sys.stdout
    for path, why in report.skipped:
        _print(f"skipped {path}: {why}", file=sys.stderr)
    for item in report.items:
        if item.error:
            _print(f"chorus: {item.error}", file=sys.stderr)
        elif item.duplicate and item.source is not None:
            _print(
                f"unchanged: {item.target} is already source {item.source.id} "
                f"({item.source.title}); --force adds a second copy",
                file=out,
            )
        elif item.source is not None:
            _print(
                f"added {item.source.id}  {item.source.title}  "
                f"({plural(item.source.chunks, 'chunk')})",
                file=out,
            )
    if args.json:
        _emit_json(
            {
                "added": [
                    _source_json(i.source) for i in report.items if i.source and not i.duplicate
                ],
                "unchanged": [
                    _source_json(i.source) for i in report.items if i.source and i.duplicate
                ],
                "failed": [{"target": i.target, "error": i.error} for i in report.failed],
                "skipped": [{"path": p, "reason": r} for p, r in report.skipped],
            }
        )
    if not report.items:
        _print("chorus: nothing to ingest (no supported files found)", file=sys.stderr)
        return 2
    return 2 if report.failed else 0


def _source_json(s: Any) -> dict[str, Any]:
    return {
        "id": s.id,
        "title": s.title,
        "url": s.url,
        "kind": s.kind,
        "added_by": s.added_by,
        "added_at": s.added_at,
        "sha256": s.sha256,
        "chunks": s.chunks,
    }


def cmd_sources(assistant: Any, args: argparse.Namespace) -> int:
    from bot.assistant import Requester  # noqa: PLC0415
    from bot.progress_bar import TerminalProgress  # noqa: PLC0415
    from bot.render_text import render_sources  # noqa: PLC0415

    req = Requester.local()
    if args.action == "list":
        sources = assistant.sources(req)
        if args.json:
            _emit_json({"sources": [_source_json(s) for s in sources]})
        else:
            _say(render_sources(sources))
    elif args.action == "remove":
        removed = assistant.remove_source(args.id, req)
        _say(f"removed {removed.id}  {removed.title}", to_stderr=args.json)
        if args.json:
            _emit_json({"removed": _source_json(removed)})
    else:
        with TerminalProgress() as bar:
            count = assistant.reindex(req, progress=bar)
        _say(f"re-indexed {plural(count, 'chunk')} from the catalog", to_stderr=args.json)
        if args.json:
            _emit_json({"reindexed_chunks": count})
    return 0


def cmd_doctor(assistant: Any, args: argparse.Namespace) -> int:
    from bot.progress_bar import TerminalProgress  # noqa: PLC0415

    with TerminalProgress() as bar:
        report = assistant.doctor(repair=not args.dry_run, progress=bar)
    if args.json:
        _emit_json(report.to_json())
        return 0 if report.consistent or report.repairs else 1
    for problem in report.problems:
        _say(f"found: {problem}")
    for repair in report.repairs:
        _say(f"repaired: {repair}")
    state = (
        "consistent"
        if report.consistent
        else ("repaired" if report.repairs else "NOT consistent (run without --dry-run to repair)")
    )
    _say(
        f"catalog and vector index {state}: {report.sources} sources, {report.chunks} chunks, "
        f"{report.vectors} vectors"
    )
    return 0 if report.consistent or report.repairs else 1


def _mapping(pairs: Sequence[str]) -> dict[str, str]:
    from common.errors import InputError  # noqa: PLC0415

    out = {}
    for pair in pairs:
        field, sep, column = pair.partition("=")
        if not sep or not field.strip() or not column.strip():
            raise InputError(f"--map takes FIELD=COLUMN (got {pair!r})")
        out[field.strip()] = column.strip()
    return out


def cmd_analyze(assistant: Any, args: argparse.Namespace) -> int:
    from bot.assistant import Requester  # noqa: PLC0415
    from bot.progress_bar import TerminalProgress  # noqa: PLC0415

    req = Requester.local()
    params = assistant.analysis_params(
        window_s=args.window,
        min_shared=args.min_shared,
        min_accounts=args.min_accounts,
        signals=args.signals,
        new_account_days=args.new_account_days,
        normalisation=args.normalisation,
        weighting=args.weighting,
        popular_share=args.popular_share,
        image_distance=args.image_distance,
    )
    engine = assistant.analysis_engine(
        args.engine, scheduler=args.scheduler, workers=args.workers, shared_dir=args.shared_dir
    )
    with TerminalProgress() as bar:
        result = assistant.analyze(
            args.dataset,
            req,
            name=args.name,
            mapping=_mapping(args.map),
            params=params,
            strict=args.strict,
            progress=bar,
            engine=engine,
            fetch_images=False if args.no_fetch_images else None,
        )
        written = assistant.export(result, req, args.out, bar) if args.out else []
    human = sys.stderr if args.json else sys.stdout
    if args.json:
        _emit_json(result.to_json())
    if not result.clusters:  # the table carries the notes; the plain message does not
        for note in result.notes:
            _print(f"note: {note}", file=sys.stderr)
    _print(result.render_text() if result.clusters else result.empty_message(), file=human)
    for path in written:
        _print(f"wrote {path}", file=human)
    return 0


def cmd_clusters(assistant: Any, args: argparse.Namespace) -> int:
    from bot.assistant import Requester  # noqa: PLC0415

    req = Requester.local()
    if args.json:
        _emit_json(assistant.clusters(req, args.dataset, sort=args.sort, limit=args.limit))
        return 0
    results = assistant.ranked_clusters(req, args.dataset, sort=args.sort)
    if not results:
        _say("No analysed datasets yet. Run `chorus analyze DATASET`.")
    limit = DEFAULT_CLUSTER_LIMIT if args.limit is None else args.limit
    for result in results:
        _say(
            result.render_text(limit=limit, sort=args.sort)
            if result.clusters
            else result.empty_message()
        )
    return 0


def cmd_account(assistant: Any, args: argparse.Namespace) -> int:
    from bot.assistant import Requester  # noqa: PLC0415
    from bot.render_text import render_account  # noqa: PLC0415

    views = assistant.account(args.name, Requester.local(), args.dataset)
    if args.json:
        _emit_json({"name": args.name, "datasets": [v.to_json() for v in views]})
    else:
        _say(render_account(views))
    return 0


def cmd_cluster(assistant: Any, args: argparse.Namespace) -> int:
    from bot.assistant import Requester  # noqa: PLC0415

    req = Requester.local()
    detail = assistant.cluster(args.id, req)
    written = assistant.plot_cluster(args.id, req, args.plot) if args.plot else []
    if args.json:
        _emit_json(detail.to_json())
    else:
        _say(detail.render_text())
    for path in written:
        _say(f"wrote {path}", to_stderr=args.json)
    return 0


def cmd_datasets(assistant: Any, args: argparse.Namespace) -> int:
    from bot.assistant import Requester  # noqa: PLC0415

    req = Requester.local()
    if args.action == "remove":
        assistant.remove_dataset(args.name, req)
        _say(f"removed dataset {args.name} and its cluster summaries")
        return 0
    infos = assistant.datasets(req)
    if args.json:
        _emit_json(
            {
                "datasets": [
                    {
                        "name": d.name,
                        "source": d.source,
                        "posts": d.posts,
                        "accounts": d.accounts,
                        "format": d.format,
                        "layout": d.layout,
                        "sha256": d.sha256,
                    }
                    for d in infos
                ]
            }
        )
    elif not infos:
        _say("No datasets yet. Run `chorus analyze FILE`.")
    for d in infos if not args.json else []:
        counts = f"{plural(d.posts, 'post')}, {plural(d.accounts, 'account')}"
        _say(f"{d.name}  {counts}  ({d.layout}; {d.source})")
    return 0


def cmd_console(assistant: Any, args: argparse.Namespace) -> int:
    from bot.console import run_console  # noqa: PLC0415

    return run_console(assistant, build_parser, HANDLERS)


def cmd_bot(assistant: Any, args: argparse.Namespace) -> int:
    from bot.discord_app import run_bot  # noqa: PLC0415

    return run_bot(assistant)


HANDLERS: dict[str, Handler] = {
    "ask": cmd_ask,
    "check": cmd_check,
    "ingest": cmd_ingest,
    "sources": cmd_sources,
    "doctor": cmd_doctor,
    "analyze": cmd_analyze,
    "clusters": cmd_clusters,
    "cluster": cmd_cluster,
    "account": cmd_account,
    "datasets": cmd_datasets,
    "console": cmd_console,
    "bot": cmd_bot,
}


def _add_pattern_commands(sub: Any) -> None:
    """analyze, clusters, cluster and datasets (DESIGN.md, "Command line")."""
    p = sub.add_parser("analyze", help="find coordination clusters in a post dataset")
    p.add_argument(
        "dataset",
        metavar="DATASET",
        help="a CSV/JSONL/Parquet file (or a zip of one with its images), or a stored name",
    )
    p.add_argument("--name", help="dataset name (default: the file name)")
    p.add_argument("--window", help="co-occurrence window in seconds, or 'auto' (default 60)")
    p.add_argument("--min-accounts", type=int, help="smallest cluster reported (default 3)")
    p.add_argument("--min-shared", type=float, help="shared items for an edge (default 2)")
    p.add_argument("--signals", help="comma-separated: " + ",".join(ALL_SIGNALS_HELP))
    p.add_argument("--new-account-days", type=int, help="'new account' age, days (default 60)")
    p.add_argument(
        "--normalisation",
        choices=["chorus", "toolkit"],
        help="text normalisation for identical text (default chorus; see docs)",
    )
    p.add_argument(
        "--weighting",
        choices=["discounted", "count"],
        help="edge weight: discounted (popular items weigh less; default) or count (every "
        "distinct shared item counts 1, the toolkit's rule)",
    )
    p.add_argument(
        "--popular-share",
        type=float,
        help="discounted weighting: items used by more than this share of accounts weigh "
        "less (default 0.01; 1 turns it off)",
    )
    p.add_argument(
        "--engine",
        choices=["duckdb", "dask"],
        help="where pairing runs: this process (duckdb, default) or a Dask cluster (the "
        "'.[dask]' extra); the results are the same",
    )
    p.add_argument("--scheduler", metavar="ADDRESS", help="--engine dask: a scheduler address")
    p.add_argument(
        "--workers", type=int, help="--engine dask without --scheduler: local workers (default 2)"
    )
    p.add_argument(
        "--shared-dir",
        metavar="PATH_OR_URL",
        help="--engine dask: where shards are written for the workers to read, a path or "
        "fsspec URL (s3://...) every worker can see (default: DATA_DIR/dask-shards)",
    )
    p.add_argument(
        "--map",
        action="append",
        default=[],
        metavar="FIELD=COLUMN",
        help="use COLUMN for a canonical field (repeatable)",
    )
    p.add_argument("--strict", action="store_true", help="fail on unparseable timestamps")
    p.add_argument(
        "--image-distance",
        type=int,
        metavar="BITS",
        help="perceptual image hashes this many bits apart (of 64) match (default 4)",
    )
    p.add_argument(
        "--no-fetch-images",
        action="store_true",
        help="do not download image_urls (files beside the dataset are still hashed)",
    )
    p.add_argument(
        "--out",
        type=Path,
        metavar="DIR",
        help="write clusters.json, edges.csv, evidence.csv, graph.graphml",
    )
    p.add_argument("--json", action="store_true", help="one JSON object on stdout")

    p = sub.add_parser("clusters", help="list clusters found so far")
    p.add_argument("--dataset")
    p.add_argument(
        "--sort",
        default="score",
        metavar="ORDER",
        help="size | score | new (newest accounts) | a signal ("
        + ",".join(ALL_SIGNALS_HELP)
        + ": most distinct items of it); default score",
    )
    p.add_argument(
        "--limit",
        type=int,
        metavar="N",
        help=f"show N clusters per dataset (default {DEFAULT_CLUSTER_LIMIT}; --json: all)",
    )
    p.add_argument("--json", action="store_true")

    p = sub.add_parser("account", help="an account's clusters, ties and evidence")
    p.add_argument("name", help="the account id or display name, exactly")
    p.add_argument("--dataset", help="only this dataset (default: every dataset)")
    p.add_argument("--json", action="store_true")

    p = sub.add_parser("cluster", help="one cluster in full, with evidence")
    p.add_argument("id")
    p.add_argument("--json", action="store_true")
    p.add_argument("--plot", type=Path, metavar="FILE.png", help="timeline and network picture")

    p = sub.add_parser("datasets", help="stored post datasets: list | remove NAME")
    actions = p.add_subparsers(dest="action", required=True, metavar="ACTION")
    a = actions.add_parser("list")
    a.add_argument("--json", action="store_true")
    a = actions.add_parser("remove")
    a.add_argument("name")


def build_parser(*, for_console: bool = False) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="" if for_console else "chorus",
        description="Chorus: find coordinated posting campaigns; answer with cited sources.",
        exit_on_error=not for_console,
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("ingest", help="add reporting sources (files, folders, URLs)")
    p.add_argument("targets", nargs="+", metavar="PATH_OR_URL")
    p.add_argument("--title", help="title for a single file or URL")
    p.add_argument(
        "--force", action="store_true", help="add content already stored as another source"
    )
    p.add_argument("--json", action="store_true", help="one JSON object on stdout")

    p = sub.add_parser("sources", help="the source catalog: list | remove ID | reindex")
    actions = p.add_subparsers(dest="action", required=True, metavar="ACTION")
    a = actions.add_parser("list", help="list sources")
    a.add_argument("--json", action="store_true")
    a = actions.add_parser("remove", help="remove a source from catalog and index")
    a.add_argument("id")
    a.add_argument("--json", action="store_true")
    a = actions.add_parser("reindex", help="rebuild the vector index from the catalog")
    a.add_argument("--json", action="store_true")

    p = sub.add_parser("ask", help="answer a question with numbered citations")
    p.add_argument("question", nargs="+")
    p.add_argument("--json", action="store_true", help="one JSON object on stdout")

    p = sub.add_parser("check", help="look a claim up: evidence (and a verdict with a model)")
    p.add_argument("claim", nargs="+")
    p.add_argument("--json", action="store_true", help="one JSON object on stdout")

    _add_pattern_commands(sub)

    p = sub.add_parser("doctor", help="check catalog and vector index; repair what a crash left")
    p.add_argument("--dry-run", action="store_true", help="report only, change nothing")
    p.add_argument("--json", action="store_true")

    if not for_console:
        sub.add_parser("console", help="interactive session (same commands; a bare line asks)")
        sub.add_parser("bot", help="run on Discord (needs DISCORD_TOKEN)")
    return parser


def configure_logging(level: str) -> None:
    """Once, at start-up. Parsers of messy files warn about every quirk: errors only."""
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    for noisy in ("pypdf", "trafilatura", "htmldate", "chromadb", "httpx"):
        logging.getLogger(noisy).setLevel(max(logging.ERROR, logging.getLogger().level))


def _prepare_data_dir(path: Path) -> None:
    from bot.settings import default_data_dir, prepare_data_dir  # noqa: PLC0415

    if prepare_data_dir(path) and path == default_data_dir():  # said once, on the first run
        print(f"chorus: keeping data in {path} (set CHORUS_DATA_DIR to change it)", file=sys.stderr)


def run(args: argparse.Namespace, assistant: Any) -> int:
    return HANDLERS[args.command](assistant, args)


def main(argv: Sequence[str] | None = None) -> int:
    """The `chorus` command. Output piped into a reader that stops early (`| head`) ends
    quietly, as other command-line tools do, instead of with a BrokenPipeError traceback."""
    try:
        code = _main(argv)
        sys.stdout.flush()  # inside the try: the last write may only fail here
    except BrokenPipeError:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())  # so the flush at exit cannot fail again
        return 141  # what a shell reports for a process ended by SIGPIPE
    return code


def _main(argv: Sequence[str] | None) -> int:
    os.environ.setdefault("ORT_DISABLE_TELEMETRY", "1")
    os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
    args = build_parser().parse_args(argv)
    try:
        from bot.assistant import Assistant  # noqa: PLC0415 - keep `chorus --help` instant
        from bot.settings import load_settings  # noqa: PLC0415

        settings = load_settings()
        configure_logging(settings.log_level)
        _prepare_data_dir(settings.data_dir)
        assistant = Assistant(settings)
        try:
            return run(args, assistant)
        finally:
            assistant.close()
    except ChorusError as exc:
        print(f"chorus: {terminal_safe(str(exc))}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("chorus: interrupted; nothing half-written was kept", file=sys.stderr)
        return 130
