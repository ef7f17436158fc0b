"""The Discord bot: construction, extension loading, command sync, errors, and `chorus bot`.

Everything the bot does is an `Assistant` call made from a cog (bot/cogs/). This module gives
the cogs what they share: the Assistant, the cooldowns, a way to run Assistant calls off the
event loop with a time limit, memory of recent answers for reply follow-ups, and the one
error handler that turns errors into a friendly ephemeral message (worded by
bot/discord_errors.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sys
import time
from collections import OrderedDict
from collections.abc import Callable, Coroutine, Sequence
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar

import aiohttp
import discord
import discord.http
import yarl
from discord import app_commands
from discord.ext import commands
from discord.gateway import DiscordWebSocket

from bot.discord_errors import DiscordWording, describe_error, slash_options
from bot.discord_text import NO_MENTIONS, plain_message
from bot.rate_limits import Clock, RequestLimiter
from bot.work_pools import WorkPools
from common.errors import ChorusError

if TYPE_CHECKING:
    from bot.assistant import Assistant
    from bot.settings import DiscordConfig, Settings

logger = logging.getLogger(__name__)

P = ParamSpec("P")
T = TypeVar("T")

# Loaded in this order by setup_hook; one that fails is logged and the others still load.
EXTENSIONS: tuple[str, ...] = (
    "bot.cogs.answers",
    "bot.cogs.conversation",
    "bot.cogs.sources",
    "bot.cogs.datasets",
    "bot.cogs.clusters",
    "bot.cogs.help",
)

README_HINT = 'see the README, section "Discord set-up"'


class RequestTimedOut(ChorusError):
    """An Assistant call ran past `limits.request_timeout_s`."""


def bot_intents() -> discord.Intents:
    """The gateway intents Chorus needs; none of them privileged.

    Message content is privileged, and not needed: Discord includes the text of messages that
    mention the bot, of replies that ping it, and of DMs, which are the only messages Chorus
    reads. Slash and context-menu commands carry their own data.
    """
    intents = discord.Intents.none()
    intents.guilds = True  # servers, channels and roles (the moderator role, by id)
    intents.guild_messages = True  # mentions of the bot and replies to its answers
    intents.dm_messages = True  # questions asked in a DM
    return intents


class AnswerMemory:
    """The recent exchanges behind the bot's answer messages, for reply follow-ups.

    Bounded (oldest forgotten first); after a restart a reply falls back to the answer embed.
    """

    def __init__(self, size: int = 2_000) -> None:
        self._size = size
        self._items: OrderedDict[int, tuple[str, str]] = OrderedDict()

    def remember(self, message_ids: Sequence[int], question: str, answer: str) -> None:
        for message_id in message_ids:
            self._items[message_id] = (question, answer)
            self._items.move_to_end(message_id)
        while len(self._items) > self._size:
            self._items.popitem(last=False)

    def recall(self, message_id: int) -> tuple[str, str] | None:
        return self._items.get(message_id)


class ChorusTree(app_commands.CommandTree["ChorusBot"]):
    async def on_error(
        self, interaction: discord.Interaction[ChorusBot], error: app_commands.AppCommandError
    ) -> None:
        await interaction.client.report_error(interaction, error)


class ChorusBot(commands.Bot):
    def __init__(
        self,
        assistant: Assistant,
        *,
        extensions: Sequence[str] = EXTENSIONS,
        sync_commands: bool = False,
        clock: Clock = time.monotonic,
    ) -> None:
        super().__init__(
            command_prefix=commands.when_mentioned,  # required; there are no prefix commands
            intents=bot_intents(),
            allowed_mentions=NO_MENTIONS,  # the default for every send that does not say
            help_command=None,
            tree_cls=ChorusTree,
        )
        self.assistant = assistant
        self.settings: Settings = assistant.settings
        self.limiter = RequestLimiter(self.settings.discord, clock=clock)
        self.memory = AnswerMemory()
        limits = self.settings.limits
        self.pools = WorkPools(
            quick_workers=limits.quick_workers,
            heavy_workers=limits.max_heavy_jobs,
            heavy_per_scope=limits.max_jobs_per_scope,
        )
        self.extension_names = tuple(extensions)
        self.failed_extensions: list[str] = []
        self.sync_commands = sync_commands

    async def setup_hook(self) -> None:
        for name in self.extension_names:
            try:
                await self.load_extension(name)
            except Exception:
                self.failed_extensions.append(name)
                logger.exception("could not load extension %s; loading the others", name)
        if self.sync_commands:
            await self.sync_app_commands()

    async def sync_app_commands(self) -> None:
        """Globally (can take up to an hour to show), or to CHORUS_DEV_GUILD (at once)."""
        try:
            if self.settings.dev_guild is not None:
                guild = discord.Object(id=self.settings.dev_guild)
                self.tree.copy_global_to(guild=guild)
                synced = await self.tree.sync(guild=guild)
                logger.info("synced %d commands to server %s", len(synced), guild.id)
            else:
                synced = await self.tree.sync()
                logger.info("synced %d commands globally", len(synced))
        except discord.HTTPException as exc:
            # Usually the invite lacked the applications.commands scope; keep running.
            logger.warning("could not sync slash commands (%s); %s", exc, README_HINT)

    async def on_message(self, message: discord.Message, /) -> None:
        """No prefix commands: messages are handled by the conversation cog's listener."""

    async def call(self, fn: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> T:
        """Run a quick Assistant call (ask, check, list) on the quick pool, bounded by
        `limits.request_timeout_s`; heavy work goes through `call_heavy` instead."""
        return await self._bounded(self.pools.quick(fn, *args, **kwargs))

    async def call_heavy(
        self, scope: str, fn: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs
    ) -> T:
        """Run an ingest, analysis or chart on the heavy pool, within the global and the
        per-server caps (bot/work_pools.py), bounded by `limits.request_timeout_s`."""
        return await self._bounded(self.pools.heavy(scope, fn, *args, **kwargs))

    async def _bounded(self, work: Coroutine[Any, Any, T]) -> T:
        # A thread cannot be killed: a job that times out still finishes in the background
        # (holding its slot until then); the user is told so.
        limit = self.settings.limits.request_timeout_s
        try:
            return await asyncio.wait_for(work, limit)
        except TimeoutError:
            raise RequestTimedOut(
                f"that took longer than {limit:g} s, so Chorus stopped waiting; an ingest or "
                "analysis may still finish in the background"
            ) from None

    async def close(self) -> None:
        await super().close()
        self.pools.shutdown()

    @property
    def wording(self) -> DiscordWording:
        """Hints in Discord's terms: this bot's slash options, its moderator rule."""
        return DiscordWording(slash_options(self.tree), self.settings.moderator_role)

    def describe_error(self, error: BaseException) -> tuple[str, str | None]:
        """(what the user is told, in Discord's terms; an error id when it was unexpected)."""
        return describe_error(error, self.wording)

    async def report_error(self, interaction: discord.Interaction, error: BaseException) -> None:
        """Tell the user what went wrong, privately; log what was not expected, with an id."""
        text, error_id = self.describe_error(error)
        if error_id is not None:
            original = getattr(error, "original", error)
            command = interaction.command.qualified_name if interaction.command else "?"
            logger.error(
                "unexpected error %s in /%s (server %s, user %s)",
                error_id,
                command,
                interaction.guild_id,
                interaction.user.id if interaction.user else "?",
                exc_info=original,
            )
        await send_private(interaction, text)


async def send_private(interaction: discord.Interaction, text: str) -> None:
    """An ephemeral message, whatever state the interaction's response is in."""
    text = plain_message(text)
    try:
        if not interaction.response.is_done():
            await interaction.response.send_message(
                text, ephemeral=True, allowed_mentions=NO_MENTIONS
            )
            return
        if not interaction.extras.get("answered"):
            # A public "thinking..." placeholder cannot become ephemeral: remove it first.
            with contextlib.suppress(discord.HTTPException):
                await interaction.delete_original_response()
        await interaction.followup.send(text, ephemeral=True, allowed_mentions=NO_MENTIONS)
    except discord.HTTPException:
        logger.warning("could not tell the user about an error: %s", text)


def create_bot(
    settings: Settings | None = None,
    *,
    assistant: Assistant | None = None,
    extensions: Sequence[str] = EXTENSIONS,
    sync_commands: bool = False,
    clock: Clock = time.monotonic,
) -> ChorusBot:
    """The fully configured bot, not connected (tests and tooling use it as it is)."""
    if assistant is None:
        from bot.assistant import Assistant  # noqa: PLC0415 - heavy; only when none is given
        from bot.settings import load_settings  # noqa: PLC0415

        assistant = Assistant(settings if settings is not None else load_settings())
    elif settings is not None and settings is not assistant.settings:
        raise ValueError("pass settings or an assistant built with them, not both")
    return ChorusBot(assistant, extensions=extensions, sync_commands=sync_commands, clock=clock)


def silence_voice_warnings() -> None:
    """Chorus uses no voice: discord.py's "PyNaCl / davey is not installed" warnings, logged
    when a client is created, would only bury the one line that matters."""
    discord.VoiceClient.warn_nacl = False
    discord.VoiceClient.warn_dave = False


def use_discord_endpoints(config: DiscordConfig) -> None:
    """Point discord.py at a local Discord (settings validated them as loopback-only).

    Every REST call, webhooks and interaction callbacks included, is built on Route.BASE; an
    unsharded client opens DEFAULT_GATEWAY without asking /gateway/bot, and comes back to it
    when Discord invalidates a session.
    """
    if config.api_base:
        discord.http.Route.BASE = config.api_base
    if config.gateway_url:
        DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(config.gateway_url)


def run_bot(assistant: Assistant) -> int:
    """`chorus bot`: run until interrupted. Token problems are one line, not a traceback."""
    token = assistant.settings.discord_token.get_secret_value().strip()
    if not token:
        print(f"chorus: DISCORD_TOKEN is not set; {README_HINT}", file=sys.stderr)
        return 2
    silence_voice_warnings()
    use_discord_endpoints(assistant.settings.discord)
    bot = create_bot(assistant=assistant, sync_commands=True)
    try:
        bot.run(token, log_handler=None)  # logging is configured once, by the CLI
    except discord.LoginFailure:
        print(
            "chorus: Discord rejected DISCORD_TOKEN (copy a fresh token from the Developer "
            f"Portal's Bot page); {README_HINT}",
            file=sys.stderr,
        )
        return 2
    except discord.PrivilegedIntentsRequired:
        print(f"chorus: Discord refused the bot's gateway intents; {README_HINT}", file=sys.stderr)
        return 2
    except (OSError, aiohttp.ClientError) as exc:
        print(f"chorus: could not reach Discord ({exc})", file=sys.stderr)
        return 1
    return 0
