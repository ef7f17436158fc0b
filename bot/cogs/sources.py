"""/sources list | add (URL, attachment, or pasted text through a modal) | remove."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands

from bot.assistant import DEMO_SCOPE, IngestItem
from bot.cogs._support import (
    ChorusCog,
    check_attachment,
    chorus,
    guarded,
    read_attachment,
    send_pages,
    show_result,
    status_progress,
)
from bot.discord_embeds import notice_embed, sources_embeds
from bot.discord_permissions import requester_for_interaction
from bot.discord_text import neutralise, shorten
from common.errors import ChorusError, InputError
from common.wording import plural
from corpus.reporting.load import SUPPORTED_SUFFIXES

if TYPE_CHECKING:
    from bot.discord_app import ChorusBot

PASTE_LIMIT = 4000  # Discord's longest text input in a modal


def added_text(item: IngestItem) -> tuple[str, str]:
    """(status line, embed text) for a finished ingest; a failed one raises its message."""
    if item.error is not None:
        raise item.error
    if item.source is None:
        raise ChorusError(f"nothing could be added from {item.target}")
    s = item.source
    label = f"`{s.id}` **{neutralise(shorten(s.title, 200))}**"
    if item.duplicate:
        return (
            "Already a source.",
            f"{label} already holds the same text; `/sources add force:True` adds a second copy.",
        )
    return (
        "Source added.",
        f"{label}: {plural(s.chunks, 'chunk')}, added by {neutralise(s.added_by)}.",
    )


class PasteModal(discord.ui.Modal, title="Add a source by pasting its text"):
    source_title: discord.ui.TextInput[PasteModal] = discord.ui.TextInput(
        label="Title", max_length=200, placeholder="e.g. LA Times, 21 Feb 2020"
    )
    text: discord.ui.TextInput[PasteModal] = discord.ui.TextInput(
        label="Text", style=discord.TextStyle.paragraph, max_length=PASTE_LIMIT
    )

    def __init__(self, title: str | None = None, *, force: bool = False) -> None:
        super().__init__()
        self.force = force
        if title:
            self.source_title.default = title[:200]

    async def on_submit(self, interaction: discord.Interaction[Any]) -> None:
        bot = chorus(interaction)
        # Permissions are read again from this interaction: they may have changed meanwhile.
        req = requester_for_interaction(interaction, bot.settings.moderator_role)
        await interaction.response.defer(thinking=True)
        progress = status_progress(interaction, "Adding the pasted text")
        try:
            item = await bot.call_heavy(
                req.scope,
                bot.assistant.ingest_text,
                self.text.value,
                self.source_title.value.strip() or "pasted text",
                req,
                progress=progress,
                force=self.force,
            )
        finally:
            await progress.close()
        status, text = added_text(item)
        await show_result(interaction, status, [notice_embed("Sources", text)])

    # Modal narrows View.on_error (no item argument); discord.py's stubs carry the same ignore.
    async def on_error(  # type: ignore[override]
        self, interaction: discord.Interaction[Any], error: Exception, /
    ) -> None:
        await chorus(interaction).report_error(interaction, error)


class Sources(ChorusCog):
    sources = app_commands.Group(
        name="sources", description="The reporting sources Chorus answers from"
    )

    @sources.command(name="list", description="List the sources this server can read")
    @guarded()
    async def list_sources(self, interaction: discord.Interaction[Any]) -> None:
        await interaction.response.defer(thinking=True, ephemeral=True)
        records = await self.bot.call(self.assistant.sources, self.requester(interaction))
        await send_pages(
            interaction, sources_embeds(records, shared_scope=DEMO_SCOPE), ephemeral=True
        )

    @sources.command(name="add", description="Add a source: a URL, a file, or paste its text")
    @app_commands.describe(
        url="A web page or document address (http/https)",
        file="A text, Markdown, HTML or PDF file",
        title="A title for it (optional)",
        force="Add it even if the same text is already a source here",
    )
    @guarded(moderate="add sources")
    async def add(
        self,
        interaction: discord.Interaction[Any],
        url: str | None = None,
        file: discord.Attachment | None = None,
        title: str | None = None,
        force: bool = False,
    ) -> None:
        if url and file:
            raise InputError("give a URL or a file, not both")
        if not url and file is None:
            await interaction.response.send_modal(PasteModal(title, force=force))
            return
        req = self.requester(interaction)
        limit = min(
            self.bot.settings.limits.max_source_bytes,
            self.bot.settings.discord.max_attachment_bytes,
        )
        name = ""
        if file is not None:  # refused before anything is downloaded
            name = check_attachment(
                file, suffixes=SUPPORTED_SUFFIXES, max_bytes=limit, what="sources"
            )
        await interaction.response.defer(thinking=True)
        progress = status_progress(interaction, "Adding the source")
        try:
            if file is not None:
                data = await read_attachment(file, name, limit)
                item = await self.bot.call_heavy(
                    req.scope,
                    self.assistant.ingest_bytes,
                    data,
                    name,
                    req,
                    title=title,
                    progress=progress,
                    force=force,
                )
            else:
                item = await self.bot.call_heavy(
                    req.scope,
                    self.assistant.ingest_url,
                    str(url),
                    req,
                    title=title,
                    progress=progress,
                    force=force,
                )
        finally:
            await progress.close()
        status, text = added_text(item)
        await show_result(interaction, status, [notice_embed("Sources", text)])

    @sources.command(name="remove", description="Remove one of this server's sources")
    @app_commands.rename(source_id="id")
    @app_commands.describe(source_id="The source's id, as /sources list shows it")
    @guarded(moderate="remove sources")
    async def remove(self, interaction: discord.Interaction[Any], source_id: str) -> None:
        req = self.requester(interaction)
        await interaction.response.defer(thinking=True)
        record = await self.bot.call(self.assistant.remove_source, source_id.strip(), req)
        text = f"`{record.id}` **{neutralise(shorten(record.title, 200))}** was removed."
        await send_pages(interaction, [notice_embed("Source removed", text)])


async def setup(bot: ChorusBot) -> None:
    await bot.add_cog(Sources(bot))
