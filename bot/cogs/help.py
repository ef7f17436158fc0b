"""/help: what Chorus can do here, who may change what, and what works in a DM."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands

from bot.cogs._support import ChorusCog
from bot.discord_embeds import notice_embed
from bot.discord_permissions import moderator_rule
from bot.discord_text import NO_MENTIONS

if TYPE_CHECKING:
    from bot.discord_app import ChorusBot


def help_text(moderator_role: str) -> str:
    return "\n".join(
        [
            "**Ask and check** (anyone)",
            "`/ask question` answers from the sources with numbered, verbatim quotes.",
            "`/check claim` shows the evidence for and against a claim.",
            "Mention me with a question, or reply to one of my answers to follow up.",
            "Right-click a message \u2192 Apps \u2192 *Fact-check this message*.",
            "",
            "**Coordination** (anyone)",
            "`/clusters [dataset] [sort]` lists the clusters (by score, size, newest accounts "
            "or a signal); `/cluster id` shows one, with posts and charts; `/account name` "
            "shows an account's cluster and ties. `/ask` answers questions about them too: "
            "*who is X coordinating with?*, *which accounts shared this link?*",
            "",
            f"**Moderators** ({moderator_rule(moderator_role)})",
            "`/sources add` a URL, a file, or pasted text \u00b7 `/sources remove id` \u00b7 "
            "`/dataset add file` (CSV, JSON Lines, Parquet). `/sources list` shows who added "
            "what, and when.",
            "",
            "**Privacy**: each server has its own sources, datasets and clusters; no other "
            "server can see them. In a DM you can ask and check against the shared demo "
            "source; adding sources or datasets needs a server.",
        ]
    )


class Help(ChorusCog):
    @app_commands.command(name="help", description="What Chorus can do")
    async def help(self, interaction: discord.Interaction[Any]) -> None:
        await interaction.response.send_message(
            embed=notice_embed("Chorus", help_text(self.bot.settings.moderator_role)),
            ephemeral=True,
            allowed_mentions=NO_MENTIONS,
        )


async def setup(bot: ChorusBot) -> None:
    await bot.add_cog(Help(bot))
