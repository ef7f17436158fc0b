"""How the CLI writes: JSON on stdout for `--json`, text for people made terminal-safe, and
errors' hints worded as flags and commands."""

from __future__ import annotations

import json
import sys
from typing import Any

from bot.terminal_text import terminal_safe
from common.errors import ChorusError, Hint


def emit_json(data: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2) + "\n")


def say(text: str, *, to_stderr: bool = False) -> None:
    print_line(text, file=sys.stderr if to_stderr else sys.stdout)


def print_line(text: str, *, file: Any) -> None:
    """Everything for people goes through here: data never writes escape codes."""
    print(terminal_safe(text), file=file)


def cli_wording(hint: Hint) -> str:
    """A hint as the command line names it: options as flags, commands as `chorus ...`."""
    if hint.kind == "option":
        flag = "--" + hint.name.replace("_", "-")
        return f"{flag} {hint.value}" if hint.value else flag
    if hint.kind == "command":
        return f"`chorus {hint.name}`"
    if hint.kind == "permission":
        return "moderator rights"  # the CLI's requester has them: said only for completeness
    return hint.name


def error_text(error: ChorusError) -> str:
    """The one line the CLI prints for an expected failure (after "chorus: ")."""
    return error.worded(cli_wording)
