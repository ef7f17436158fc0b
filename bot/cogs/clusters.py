"""/clusters [dataset] [sort], /cluster id (the summary, example posts, timeline and network
PNGs) and /account name (its clusters, ties and evidence)."""

from __future__ import annotations

import logging
import tempfile
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands

from bot.cogs._support import ChorusCog, guarded, send_pages
from bot.discord_render import account_embeds, cluster_detail_embeds, clusters_embeds
from common.errors import ChorusError

if TYPE_CHECKING:
    from bot.discord_app import ChorusBot

logger = logging.getLogger(__name__)

MAX_FILES = 10  # Discord's limit per message
SORT_CHOICES = (
    ("score", "score"),
    ("size (most accounts)", "size"),
    ("newest accounts", "new"),
    ("most images", "image"),
    ("most links", "url"),
    ("most hashtag sets", "hashtags"),
    ("most identical texts", "text"),
    ("most near-identical texts", "near_text"),
    ("most reposts", "repost"),
    ("most replies", "reply"),
    ("most link domains", "domain"),
)


class Clusters(ChorusCog):
    @app_commands.command(name="clusters", description="The coordination clusters found here")
    @app_commands.describe(
        dataset="Only this dataset (default: all of this server's datasets)",
        sort="Order (default: score)",
    )
    @app_commands.choices(sort=[app_commands.Choice(name=n, value=v) for n, v in SORT_CHOICES])
    @guarded()
    async def clusters(
        self,
        interaction: discord.Interaction[Any],
        dataset: str | None = None,
        sort: str = "score",
    ) -> None:
        req = self.requester(interaction)
        await interaction.response.defer(thinking=True)
        data = await self.bot.call(
            partial(self.assistant.clusters, sort=sort), req, dataset.strip() if dataset else None
        )
        await send_pages(interaction, clusters_embeds(data, sort=sort))

    @app_commands.command(name="account", description="An account's clusters, ties and evidence")
    @app_commands.describe(
        name="The account id or display name, exactly as in the dataset",
        dataset="Only this dataset (default: all of this server's datasets)",
    )
    @guarded()
    async def account(
        self, interaction: discord.Interaction[Any], name: str, dataset: str | None = None
    ) -> None:
        req = self.requester(interaction)
        await interaction.response.defer(thinking=True)
        views = await self.bot.call(
            self.assistant.account, name.strip(), req, dataset.strip() if dataset else None
        )
        await send_pages(interaction, account_embeds([v.to_json() for v in views]))

    @app_commands.command(name="cluster", description="One cluster in full, with example posts")
    @app_commands.rename(cluster_id="id")
    @app_commands.describe(cluster_id="The cluster's id, as /clusters shows it")
    @guarded()
    async def cluster(self, interaction: discord.Interaction[Any], cluster_id: str) -> None:
        req = self.requester(interaction)
        cluster_id = cluster_id.strip()
        await interaction.response.defer(thinking=True)
        detail = await self.bot.call(self.assistant.cluster, cluster_id, req)
        embeds = cluster_detail_embeds(cluster_id, detail.summary_text(), detail.to_json())
        # The PNGs live in a temporary folder named by us, never by the user's input.
        with tempfile.TemporaryDirectory(prefix="chorus-plot-") as tmp:
            try:
                paths = await self.bot.call_heavy(
                    req.scope,
                    self.assistant.plot_cluster,
                    cluster_id,
                    req,
                    Path(tmp) / "cluster.png",
                )
            except ChorusError as exc:
                logger.info("no plots for cluster %s: %s", cluster_id, exc)
                paths = []
            limit = interaction.filesize_limit
            files = [
                discord.File(p, filename=p.name)
                for p in paths[:MAX_FILES]
                if p.is_file() and p.stat().st_size <= limit
            ]
            try:
                await send_pages(interaction, embeds, files=files)
            finally:
                for f in files:
                    f.close()


async def setup(bot: ChorusBot) -> None:
    await bot.add_cog(Clusters(bot))
