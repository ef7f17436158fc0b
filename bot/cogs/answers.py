"""/ask, /check and the "Fact-check this message" context menu."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands

from bot.access import checked_text
from bot.cogs._support import ChorusCog, guarded, send_pages
from bot.discord_embeds import answer_embeds, check_embeds
from common.errors import InputError

if TYPE_CHECKING:
    from bot.discord_app import ChorusBot

FACT_CHECK = "Fact-check this message"


class Answers(ChorusCog):
    def __init__(self, bot: ChorusBot) -> None:
        super().__init__(bot)
        # Context menus cannot be declared in a cog's body; they are added to the tree here.
        self.fact_check_menu: app_commands.ContextMenu = guarded()(
            app_commands.ContextMenu(name=FACT_CHECK, callback=self.fact_check)
        )

    async def cog_load(self) -> None:
        self.bot.tree.add_command(self.fact_check_menu)

    async def cog_unload(self) -> None:
        self.bot.tree.remove_command(FACT_CHECK, type=discord.AppCommandType.message)

    @app_commands.command(name="ask", description="Answer from the sources, with verbatim quotes")
    @app_commands.describe(question="What you want to know")
    @guarded()
    async def ask(self, interaction: discord.Interaction[Any], question: str) -> None:
        question = checked_text(question, self.bot.settings.limits.max_question_chars, "question")
        req = self.requester(interaction)
        await interaction.response.defer(thinking=True)
        answer = await self.bot.call(self.assistant.ask, question, req)
        sent = await send_pages(interaction, answer_embeds(answer))
        # Replying to the answer asks a follow-up with this exchange as context.
        self.bot.memory.remember([m.id for m in sent], answer.question, answer.answer)

    @app_commands.command(name="check", description="Look a claim up in the sources")
    @app_commands.describe(claim="The statement to check")
    @guarded()
    async def check(self, interaction: discord.Interaction[Any], claim: str) -> None:
        await self._check(interaction, claim)

    async def fact_check(
        self, interaction: discord.Interaction[Any], message: discord.Message
    ) -> None:
        if not message.content.strip():
            raise InputError("that message has no text to check (only its text can be checked)")
        await self._check(interaction, message.content)

    async def _check(self, interaction: discord.Interaction[Any], claim: str) -> None:
        claim = checked_text(claim, self.bot.settings.limits.max_question_chars, "claim")
        req = self.requester(interaction)
        await interaction.response.defer(thinking=True)
        result = await self.bot.call(self.assistant.check, claim, req)
        await send_pages(interaction, check_embeds(result))


async def setup(bot: ChorusBot) -> None:
    await bot.add_cog(Answers(bot))
