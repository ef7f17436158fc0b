"""What every cog shares: the guard check, requesters, attachments, progress, paged replies."""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import threading
import time
from collections.abc import Awaitable, Callable, Collection, Sequence
from pathlib import PurePosixPath
from typing import TYPE_CHECKING, Any, TypeVar, cast

import discord
from discord import app_commands
from discord.ext import commands

from bot.discord_embeds import group_embeds
from bot.discord_permissions import (
    DM_MODERATION,
    is_moderator,
    moderator_rule,
    requester_for_interaction,
)
from bot.discord_text import NO_MENTIONS, plain_message
from bot.rate_limits import cooldown_message
from common.errors import InputError, LimitError
from corpus.reporting.load import safe_filename

if TYPE_CHECKING:
    from bot.assistant import Assistant, Requester
    from bot.discord_app import ChorusBot

logger = logging.getLogger(__name__)

F = TypeVar("F")

PROGRESS_INTERVAL_S = 2.0  # Discord rate-limits edits; one every 2 s reads as live anyway


class CooldownActive(app_commands.CheckFailure):
    """The user or the server asked too often; the message says how long to wait."""


class NotModerator(app_commands.CheckFailure):
    """Changing sources or datasets needs a moderator, in a server."""


def chorus(interaction: discord.Interaction[Any]) -> ChorusBot:
    return cast("ChorusBot", interaction.client)


def guarded(*, moderate: str | None = None) -> Callable[[F], F]:
    """The one check on every command, in this order: moderation when the command changes
    sources or datasets (`moderate` names the action), then the user and server cooldowns,
    so that a refused moderation costs no cooldown."""

    async def predicate(interaction: discord.Interaction[Any]) -> bool:
        bot = chorus(interaction)
        if moderate is not None:
            role = bot.settings.moderator_role
            if interaction.guild_id is None:
                raise NotModerator(DM_MODERATION)
            if not is_moderator(
                interaction.user, interaction.guild_id, interaction.permissions, role
            ):
                raise NotModerator(f"Only moderators can {moderate} here ({moderator_rule(role)}).")
        wait = bot.limiter.acquire(interaction.user.id, interaction.guild_id)
        if wait > 0:
            raise CooldownActive(cooldown_message(wait))
        return True

    return app_commands.check(predicate)


class ChorusCog(commands.Cog):
    def __init__(self, bot: ChorusBot) -> None:
        self.bot = bot

    @property
    def assistant(self) -> Assistant:
        return self.bot.assistant

    def requester(self, interaction: discord.Interaction[Any]) -> Requester:
        return requester_for_interaction(interaction, self.bot.settings.moderator_role)


# -- attachments --------------------------------------------------------------------------
def check_attachment(
    attachment: discord.Attachment, *, suffixes: Collection[str], max_bytes: int, what: str
) -> str:
    """The attachment's safe name, or a refusal before anything is downloaded.

    The name is the sender's: only its last component survives, and it is only ever a label
    and a type hint; attachments are read into memory and never written under their name.
    """
    name = safe_filename(attachment.filename)
    suffix = PurePosixPath(name).suffix.lower()
    if suffix not in suffixes:
        got = f"'{suffix}'" if suffix else "(no extension)"
        allowed = ", ".join(sorted(suffixes))
        raise InputError(f"{name}: unsupported file type {got} for {what}; supported: {allowed}")
    if attachment.size > max_bytes:
        raise LimitError(f"{name} is {attachment.size:,} bytes; the limit is {max_bytes:,}")
    return name


async def read_attachment(attachment: discord.Attachment, name: str, max_bytes: int) -> bytes:
    data = await attachment.read()
    if len(data) > max_bytes:  # the size Discord announced was not the size served
        raise LimitError(f"{name} is {len(data):,} bytes; the limit is {max_bytes:,}")
    return data


# -- progress -----------------------------------------------------------------------------
def progress_text(stage: str, done: int, total: int | None) -> str:
    if total:
        return f"{stage} {done:,}/{total:,} ({100 * done // total}%)"
    return f"{stage} {done:,}"


class StatusProgress:
    """A Progress callback, called from a worker thread, that edits a status message on the
    event loop at most once per interval; a slow edit is never queued behind another."""

    def __init__(
        self,
        loop: asyncio.AbstractEventLoop,
        edit: Callable[[str], Awaitable[object]],
        *,
        label: str,
        interval_s: float = PROGRESS_INTERVAL_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._loop = loop
        self._edit = edit
        self._label = label
        self._interval = interval_s
        self._clock = clock
        self._lock = threading.Lock()
        self._last = float("-inf")
        self._pending: concurrent.futures.Future[None] | None = None
        self._closed = False
        self.edits: list[str] = []  # what was shown, for tests and logs

    def __call__(self, stage: str, done: int, total: int | None) -> None:
        text = f"{self._label}: {progress_text(stage, done, total)}"
        with self._lock:
            now = self._clock()
            busy = self._pending is not None and not self._pending.done()
            if self._closed or busy or now - self._last < self._interval:
                return
            self._last = now
            self.edits.append(text)
            self._pending = asyncio.run_coroutine_threadsafe(self._show(text), self._loop)

    async def _show(self, text: str) -> None:
        try:
            await self._edit(text)
        except discord.HTTPException as exc:
            logger.debug("progress edit failed: %s", exc)

    async def close(self) -> None:
        """Stop editing and wait for an edit in flight, so none lands after the result."""
        with self._lock:
            self._closed = True
            pending = self._pending
        if pending is not None:
            await asyncio.wrap_future(pending)


def status_progress(interaction: discord.Interaction[Any], label: str) -> StatusProgress:
    async def edit(text: str) -> None:
        await interaction.edit_original_response(
            content=plain_message(text), allowed_mentions=NO_MENTIONS
        )

    return StatusProgress(asyncio.get_running_loop(), edit, label=label)


# -- replies ------------------------------------------------------------------------------
async def send_pages(
    interaction: discord.Interaction[Any],
    embeds: Sequence[discord.Embed],
    *,
    files: Sequence[discord.File] = (),
    ephemeral: bool = False,
) -> list[discord.Message]:
    """Follow-up messages after a defer: as few as Discord's limits allow."""
    sent: list[discord.Message] = []
    for i, group in enumerate(group_embeds(embeds)):
        message = await interaction.followup.send(
            embeds=group,
            files=list(files) if i == 0 else [],
            ephemeral=ephemeral,
            allowed_mentions=NO_MENTIONS,
            wait=True,
        )
        interaction.extras["answered"] = True
        sent.append(message)
    return sent


async def show_result(
    interaction: discord.Interaction[Any], content: str, embeds: Sequence[discord.Embed]
) -> list[discord.Message]:
    """Replace a status message with the result; further pages follow as new messages."""
    groups = group_embeds(embeds) or [[]]
    first = await interaction.edit_original_response(
        content=plain_message(content), embeds=groups[0], allowed_mentions=NO_MENTIONS
    )
    interaction.extras["answered"] = True
    sent: list[discord.Message] = [first]
    for group in groups[1:]:
        sent.append(
            await interaction.followup.send(embeds=group, allowed_mentions=NO_MENTIONS, wait=True)
        )
    return sent
