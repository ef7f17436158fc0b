"""Questions in chat: mention the bot, reply to one of its answers, or write to it in a DM.

A reply to an answer is a follow-up: the earlier question and answer go to the Assistant as
context. Chorus reads only messages Discord lets it read without the privileged message-content
intent: those that mention it (a reply that pings it does), and DMs.
"""

from __future__ import annotations

import logging
import re
from typing import TYPE_CHECKING

import discord
from discord.ext import commands

from bot.access import checked_text
from bot.cogs._support import ChorusCog
from bot.discord_embeds import answer_embeds, group_embeds
from bot.discord_permissions import requester_for_message
from bot.discord_text import NO_MENTIONS, plain_message
from bot.rate_limits import cooldown_message

if TYPE_CHECKING:
    from bot.discord_app import ChorusBot

logger = logging.getLogger(__name__)

EMPTY_QUESTION = (
    "Ask me something after the mention, e.g. *@Chorus how many accounts were suspended?*"
)
UNREADABLE_REPLY = (
    "I can only read replies that mention me: keep the @ mention switched on when you reply."
)


def strip_mention(content: str, bot_id: int) -> str:
    return re.sub(rf"<@!?{bot_id}>", " ", content).strip()


def history_from_embed(message: discord.Message) -> tuple[str, str] | None:
    """The exchange shown in one of our answer embeds (title: question; description: answer),
    for replies to answers older than this process's memory."""
    if not message.embeds:
        return None
    embed = message.embeds[0]
    if not embed.title or not embed.description:
        return None
    return embed.title, embed.description


class Conversation(ChorusCog):
    @commands.Cog.listener()
    async def on_message(self, message: discord.Message) -> None:
        me = self.bot.user
        if me is None or message.author.bot:
            return
        history: tuple[str, str] | None = None
        reply_to_me = False
        ref = message.reference
        replied = ref.resolved if ref is not None else None
        if isinstance(replied, discord.Message) and replied.author.id == me.id:
            reply_to_me = True
            history = self.bot.memory.recall(replied.id) or history_from_embed(replied)
        mentioned = any(user.id == me.id for user in message.mentions)
        if not (message.guild is None or mentioned or reply_to_me):
            return
        question = strip_mention(message.content, me.id)
        if not question:
            await self._say(
                message, UNREADABLE_REPLY if reply_to_me and not mentioned else EMPTY_QUESTION
            )
            return
        wait = self.bot.limiter.acquire(
            message.author.id, message.guild.id if message.guild else None
        )
        if wait > 0:
            await self._say(message, cooldown_message(wait))
            return
        try:
            question = checked_text(
                question, self.bot.settings.limits.max_question_chars, "question"
            )
            answer = await self.bot.call(
                self.assistant.ask, question, requester_for_message(message), history=history
            )
        except Exception as exc:  # worded as slash commands' errors are, by the bot
            text, error_id = self.bot.describe_error(exc)
            if error_id is not None:
                logger.exception("unexpected error %s answering a message", error_id)
            await self._say(message, text)
            return
        groups = group_embeds(answer_embeds(answer))
        sent = [
            await message.reply(
                embeds=groups[0], mention_author=False, allowed_mentions=NO_MENTIONS
            )
        ]
        for group in groups[1:]:
            sent.append(await message.channel.send(embeds=group, allowed_mentions=NO_MENTIONS))
        self.bot.memory.remember([m.id for m in sent], answer.question, answer.answer)

    async def _say(self, message: discord.Message, text: str) -> None:
        await message.reply(plain_message(text), mention_author=False, allowed_mentions=NO_MENTIONS)


async def setup(bot: ChorusBot) -> None:
    await bot.add_cog(Conversation(bot))
