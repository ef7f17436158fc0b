"""CLI commands on post datasets: analyze, clusters, cluster, account, datasets."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

from bot.cli_output import cli_wording, emit_json, print_line, say
from bot.cli_parser import DEFAULT_CLUSTER_LIMIT
from common.wording import plural

if TYPE_CHECKING:
    from bot.assistant import Assistant


def _mapping(pairs: Sequence[str]) -> dict[str, str]:
    from common.errors import InputError  # noqa: PLC0415

    out = {}
    for pair in pairs:
        field, sep, column = pair.partition("=")
        if not sep or not field.strip() or not column.strip():
            raise InputError(f"--map takes FIELD=COLUMN (got {pair!r})")
        out[field.strip()] = column.strip()
    return out


def cmd_analyze(assistant: Assistant, args: argparse.Namespace) -> int:
    from bot.assistant import Requester  # noqa: PLC0415
    from bot.progress_bar import TerminalProgress  # noqa: PLC0415
    from patterns.export_folder import check_target  # noqa: PLC0415

    req = Requester.local()
    if args.out:  # before the analysis: a dataset stored for an export that cannot happen
        check_target(args.out)  # would count twice in every later answer
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
        emit_json(result.to_json())
    # With no clusters too: the head line (posts, accounts, settings) and notes, then why.
    print_line(result.render_text(wording=cli_wording), file=human)
    for path in written:
        print_line(f"wrote {path}", file=human)
    return 0


def cmd_clusters(assistant: Assistant, args: argparse.Namespace) -> int:
    from bot.assistant import Requester  # noqa: PLC0415

    req = Requester.local()
    if args.limit is not None and args.limit < 1:
        from common.errors import InputError  # noqa: PLC0415

        raise InputError(f"--limit must be at least 1 (got {args.limit})")
    if args.json:
        listing = assistant.clusters(req, args.dataset, sort=args.sort, limit=args.limit)
        emit_json(listing.to_json())
        return 0
    results = assistant.ranked_clusters(req, args.dataset, sort=args.sort)
    if not results:
        say("No analysed datasets yet. Run `chorus analyze DATASET`.")
    limit = DEFAULT_CLUSTER_LIMIT if args.limit is None else args.limit
    for result in results:  # each headed by its dataset's name, with clusters or without
        say(result.render_text(limit=limit, sort=args.sort, wording=cli_wording))
    return 0


def cmd_account(assistant: Assistant, args: argparse.Namespace) -> int:
    from bot.assistant import Requester  # noqa: PLC0415
    from bot.render_text import render_account  # noqa: PLC0415

    views = assistant.account(args.name, Requester.local(), args.dataset)
    if args.json:
        emit_json({"name": args.name, "datasets": [v.to_json() for v in views]})
    else:
        say(render_account(views))
    return 0


def cmd_cluster(assistant: Assistant, args: argparse.Namespace) -> int:
    from bot.assistant import Requester  # noqa: PLC0415

    req = Requester.local()
    detail = assistant.cluster(args.id, req)
    written = assistant.plot_cluster(args.id, req, args.plot) if args.plot else []
    if args.json:
        emit_json(detail.to_json())
    else:
        say(detail.render_text())
    for path in written:
        say(f"wrote {path}", to_stderr=args.json)
    return 0


def cmd_datasets(assistant: Assistant, args: argparse.Namespace) -> int:
    from bot.assistant import Requester  # noqa: PLC0415

    req = Requester.local()
    if args.action == "remove":
        assistant.remove_dataset(args.name, req)
        say(f"removed dataset {args.name} and its cluster summaries")
        return 0
    infos = assistant.datasets(req)
    if args.json:
        emit_json(
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
        say("No datasets yet. Run `chorus analyze FILE`.")
    for d in infos if not args.json else []:
        counts = f"{plural(d.posts, 'post')}, {plural(d.accounts, 'account')}"
        say(f"{d.name}  {counts}  ({d.layout}; {d.source})")
    return 0
