"""README's command synopsis is the user contract: every flag a command takes is in it (a
new user found `--new-account-days` and `--normalisation` missing from `chorus analyze`)."""

from __future__ import annotations

import argparse
import re
from pathlib import Path

import pytest

from bot.cli_parser import build_parser

README = Path(__file__).resolve().parents[2] / "README.md"


def _synopsis() -> dict[str, str]:
    """Each command's synopsis text (its first line and the indented lines under it)."""
    text = README.read_text()
    block = text[text.index("chorus ingest PATH_OR_URL") :]
    block = block[: block.index("```")]
    entries: dict[str, str] = {}
    command = ""
    for line in block.splitlines():
        head = re.match(r"chorus (\w+)", line)
        if head:
            command = head.group(1)
        entries[command] = entries.get(command, "") + " " + line
    return entries


def _commands() -> dict[str, argparse.ArgumentParser]:
    [sub] = [a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction)]
    return dict(sub.choices)


@pytest.mark.parametrize("command", sorted(_commands()))
def test_every_flag_of_a_command_is_in_its_readme_synopsis(command: str) -> None:
    flags = {
        option
        for action in _commands()[command]._actions
        for option in action.option_strings
        if option.startswith("--") and option != "--help"
    }
    synopsis = _synopsis()
    assert command in synopsis, f"README's synopsis has no `chorus {command}`"
    missing = flags - set(re.findall(r"--[a-z][a-z-]*", synopsis[command]))
    assert not missing, f"chorus {command}: {sorted(missing)} not in README's synopsis"
