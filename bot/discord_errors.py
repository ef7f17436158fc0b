"""The one error translator for Discord: what a user is told when a command or a chat
question fails, with each error's hints worded in Discord's terms (slash-command options as
`name:`, the permission a server grants), and an id to quote for unexpected failures."""

from __future__ import annotations

import secrets
from collections.abc import Collection
from typing import Any

from discord import app_commands

from bot.discord_permissions import moderator_rule
from common.errors import ChorusError, Hint

UNEXPECTED = (
    "Something went wrong on Chorus's side (error id `{error_id}`). It has been logged; "
    "please quote the id if you report it."
)


class DiscordWording:
    """Hints as a Discord user reads them. `options` are the slash commands' option names
    (`title`, `name`...); an option only the command line has is named as the command
    line's flag, said to be one, so nobody looks for it among the slash commands."""

    def __init__(self, options: Collection[str], moderator_role: str) -> None:
        self._options = frozenset(options)
        self._moderator_role = moderator_role

    def __call__(self, hint: Hint) -> str:
        if hint.kind == "option":
            if hint.name in self._options:
                return f"`{hint.name}: {hint.value}`" if hint.value else f"`{hint.name}:`"
            flag = "--" + hint.name.replace("_", "-") + (f" {hint.value}" if hint.value else "")
            return f"`{flag}` (an option of the `chorus` command line)"
        if hint.kind == "command":
            return f"`chorus {hint.name}` (on the command line, where Chorus runs)"
        if hint.kind == "permission":
            return moderator_rule(self._moderator_role)
        return f"`{hint.name}`"


def slash_options(tree: app_commands.CommandTree[Any]) -> frozenset[str]:
    """Every option name the registered slash commands take, as users see it."""
    return frozenset(
        p.display_name
        for command in tree.walk_commands()
        if isinstance(command, app_commands.Command)
        for p in command.parameters
    )


def describe_error(error: BaseException, wording: DiscordWording) -> tuple[str, str | None]:
    """(what the user is told, an error id when the error was unexpected and must be logged)."""
    original = error.original if isinstance(error, app_commands.CommandInvokeError) else error
    if isinstance(original, ChorusError):
        return original.worded(wording), None
    if isinstance(original, app_commands.CheckFailure):
        return str(original) or "You can't use this command here.", None
    if isinstance(original, app_commands.CommandNotFound | app_commands.CommandSignatureMismatch):
        return "This command changed since Discord last synced it; try again in a minute.", None
    if isinstance(original, app_commands.TransformerError):
        return str(original), None
    error_id = secrets.token_hex(4)
    return UNEXPECTED.format(error_id=error_id), error_id
