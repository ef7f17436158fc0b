"""`chorus console`: the CLI's commands in one interactive session; a bare line is a question."""

from __future__ import annotations

import argparse
import contextlib
import difflib
import shlex
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, TextIO

from bot.cli_output import error_text
from common.errors import ChorusError


def console_help(parser: argparse.ArgumentParser) -> str:
    """Every command the console takes, from the parser itself (a hand-kept list fell
    behind: it lacked analyze, clusters, cluster and account)."""
    rows = [
        f"  {choice.dest:<10} {choice.help or ''}"
        for action in parser._actions
        if isinstance(action, argparse._SubParsersAction)
        for choice in action._choices_actions
    ]
    return "\n".join(
        [
            "Commands (options as on the command line; COMMAND --help for them):",
            *rows,
            "  help       this list",
            "  quit       leave (also exit, Ctrl-D)",
            "Add --json to a command for JSON output. Any other line is asked as a question.",
        ]
    )


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


def _command_words(line: str, commands: set[str]) -> list[str]:
    """The line as a command's words, or as `ask LINE` when it starts with no command."""
    try:
        words = shlex.split(line)
    except ValueError:
        words = line.split()
    if words and words[0] in commands:
        return words
    close = difflib.get_close_matches((words or [""])[0].lower(), sorted(commands), 2, 0.8)
    if close:  # still asked (it may be a question), but the likely slip is named
        names = " or ".join(repr(c) for c in close)
        print(f"(asked as a question; did you mean the command {names}?)", file=sys.stderr)
    return ["ask", line]


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
                print(console_help(parser))
                continue
            words = _command_words(line, commands)
            try:
                args = parser.parse_args(words)
            except (argparse.ArgumentError, SystemExit) as exc:
                print(
                    f"chorus: {exc}"
                    if isinstance(exc, argparse.ArgumentError)
                    else console_help(parser),
                    file=sys.stderr,
                )
                continue
            try:
                handlers[args.command](assistant, args)
            except ChorusError as exc:
                print(f"chorus: {error_text(exc)}", file=sys.stderr)
    finally:
        if save is not None:
            save()
    return 0
