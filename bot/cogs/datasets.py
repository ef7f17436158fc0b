"""/dataset add: a CSV, JSON Lines or Parquet attachment (or a zip of one with its images),
analysed for clusters on arrival."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands

from bot.cogs._support import (
    ChorusCog,
    check_attachment,
    guarded,
    read_attachment,
    show_result,
    status_progress,
)
from bot.discord_render import clusters_embeds
from bot.uploads import DATASET_SUFFIXES
from common.wording import plural

if TYPE_CHECKING:
    from bot.discord_app import ChorusBot

# The Assistant has the last word on name and content; this refuses early, before download.
# A zip holds a dataset file and the image files its image_files column names.
ATTACHMENT_SUFFIXES = DATASET_SUFFIXES | {".gz", ".zip"}


class Datasets(ChorusCog):
    dataset = app_commands.Group(
        name="dataset", description="Post datasets to look for coordination in", guild_only=True
    )

    @dataset.command(name="add", description="Add a CSV / JSONL / Parquet dataset and analyse it")
    @app_commands.describe(
        file="The posts: CSV, JSON Lines or Parquet, or a zip of one with its images",
        name="A name for it",
    )
    @guarded(moderate="add datasets")
    async def add(
        self,
        interaction: discord.Interaction[Any],
        file: discord.Attachment,
        name: str | None = None,
    ) -> None:
        req = self.requester(interaction)
        limit = min(
            self.bot.settings.limits.max_dataset_bytes,
            self.bot.settings.discord.max_attachment_bytes,
        )
        filename = check_attachment(
            file, suffixes=ATTACHMENT_SUFFIXES, max_bytes=limit, what="datasets"
        )
        await interaction.response.defer(thinking=True)
        data = await read_attachment(file, filename, limit)
        progress = status_progress(interaction, f"Analysing {filename}")
        try:
            result = await self.bot.call_heavy(
                req.scope,
                self.assistant.analyze_upload,
                data,
                filename,
                req,
                name=name,
                progress=progress,
            )
        finally:
            await progress.close()
        from patterns.results import ClusterListing  # noqa: PLC0415 - patterns loads on use

        status = (
            f"Analysed {result.dataset}: {result.posts} posts, {result.accounts} accounts, "
            f"{plural(len(result.clusters), 'cluster')}."
        )
        # The analysis says best why nothing was found (window, thresholds).
        empty = result.empty_message(self.bot.wording)
        embeds = clusters_embeds(ClusterListing.of(result), empty=empty)
        await show_result(interaction, status, embeds)


async def setup(bot: ChorusBot) -> None:
    await bot.add_cog(Datasets(bot))
