"""`chorus console`: the CLI's commands in one interactive session; a bare line is a question."""

from __future__ import annotations

import argparse
import contextlib
import shlex
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, TextIO

from corpus.errors import ChorusError

HELP = """Commands: ask QUESTION | check CLAIM | ingest PATH_OR_URL... [--title T]
          sources list | sources remove ID | sources reindex | doctor | help | quit
Add --json to a command for JSON output. Any other line is asked as a question."""


def _history(path: Path) -> Callable[[], None]:
    """Load line history from `path`; returns the function that saves it again."""
    try:
        import readline  # noqa: PLC0415 - absent on some platforms; history is optional
    except ImportError:
        return lambda: None
    with contextlib.suppress(OSError):  # no history yet on a first session
        readline.read_history_file(path)
    readline.set_history_length(1000)

    def save() -> None:
        with contextlib.suppress(OSError):  # history is a convenience, never an error
            path.parent.mkdir(parents=True, exist_ok=True)
            readline.write_history_file(path)

    return save


def run_console(
    assistant: Any,
    build_parser: Callable[..., argparse.ArgumentParser],
    handlers: Mapping[str, Callable[[Any, argparse.Namespace], int]],
    *,
    stdin: TextIO | None = None,
) -> int:
    parser = build_parser(for_console=True)
    commands = set(handlers) - {"console", "bot"}
    interactive = stdin is None and sys.stdin.isatty()
    save = _history(Path(assistant.settings.data_dir) / "console_history") if interactive else None
    source = stdin or sys.stdin
    print("Chorus console. Type a question, or 'help'.", file=sys.stderr)
    try:
        while True:
            try:
                line = input("chorus> ") if interactive else source.readline()
            except EOFError:
                break
            if not interactive and line == "":
                break
            line = line.strip()
            if not line:
                continue
            if line in ("quit", "exit"):
                break
            if line in ("help", "?"):
                print(HELP)
                continue
            try:
                words = shlex.split(line)
            except ValueError:
                words = line.split()
            if words[0] not in commands:
                words = ["ask", line]
            try:
                args = parser.parse_args(words)
            except (argparse.ArgumentError, SystemExit) as exc:
                print(
                    f"chorus: {exc}" if isinstance(exc, argparse.ArgumentError) else HELP,
                    file=sys.stderr,
                )
                continue
            try:
                handlers[args.command](assistant, args)
            except ChorusError as exc:
                print(f"chorus: {exc}", file=sys.stderr)
    finally:
        if save is not None:
            save()
    return 0
