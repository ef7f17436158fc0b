"""How the CLI writes: JSON on stdout for `--json`, text for people made terminal-safe."""

from __future__ import annotations

import json
import sys
from typing import Any

from bot.terminal_text import terminal_safe


def emit_json(data: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2) + "\n")


def say(text: str, *, to_stderr: bool = False) -> None:
    print_line(text, file=sys.stderr if to_stderr else sys.stdout)


def print_line(text: str, *, file: Any) -> None:
    """Everything for people goes through here: data never writes escape codes."""
    print(terminal_safe(text), file=file)
