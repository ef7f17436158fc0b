"""The `chorus` command line (also `python -m bot`). Contracts: DESIGN.md, "Command line"."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from bot.cli_datasets import cmd_account, cmd_analyze, cmd_cluster, cmd_clusters, cmd_datasets
from bot.cli_output import error_text
from bot.cli_parser import build_parser
from bot.cli_reporting import cmd_ask, cmd_check, cmd_doctor, cmd_ingest, cmd_sources
from bot.terminal_text import terminal_safe
from common.errors import ChorusError

if TYPE_CHECKING:
    from bot.assistant import Assistant

logger = logging.getLogger(__name__)

Handler = Callable[["Assistant", argparse.Namespace], int]


def cmd_console(assistant: Assistant, args: argparse.Namespace) -> int:
    from bot.console import run_console  # noqa: PLC0415

    return run_console(assistant, build_parser, HANDLERS)


def cmd_bot(assistant: Assistant, args: argparse.Namespace) -> int:
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


def configure_logging(level: str) -> None:
    """Once, at start-up. Parsers of messy files warn about every quirk: errors only."""
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    for noisy in ("pypdf", "trafilatura", "htmldate", "chromadb", "httpx"):
        logging.getLogger(noisy).setLevel(max(logging.ERROR, logging.getLogger().level))


def _prepare_data_dir(path: Path) -> None:
    from bot.settings import default_data_dir, prepare_data_dir  # noqa: PLC0415

    if prepare_data_dir(path) and path == default_data_dir():  # said once, on the first run
        print(f"chorus: keeping data in {path} (set CHORUS_DATA_DIR to change it)", file=sys.stderr)


def run(args: argparse.Namespace, assistant: Assistant) -> int:
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
        print(f"chorus: {terminal_safe(error_text(exc))}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("chorus: interrupted; nothing half-written was kept", file=sys.stderr)
        return 130


if __name__ == "__main__":  # `python -m bot.cli` runs the CLI too, not a silent import
    raise SystemExit(main())
