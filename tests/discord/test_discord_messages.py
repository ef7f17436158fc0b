"""Questions in chat, through dpytest: mentions, reply follow-ups, DMs, cooldowns, pings."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, cast

import discord
import discord.ext.test as dpytest
import pytest
from discord.ext.test import backend, factories

from bot.assistant import Assistant, Requester
from bot.cogs.conversation import EMPTY_QUESTION, UNREADABLE_REPLY
from bot.discord_app import AnswerMemory, create_bot
from common.errors import ChorusError, Hint
from tests.conftest import ScriptedChatModel
from tests.discord.discord_harness import INJECTION, SOCK_QUESTION, spy

QUESTION = "How many accounts did Twitter suspend?"


@dataclass
class Chat:
    bot: Any
    payloads: list[dict[str, Any]] = field(default_factory=list)

    @property
    def guild(self) -> discord.Guild:
        guild: discord.Guild = dpytest.get_config().guilds[0]
        return guild

    @property
    def me(self) -> str:
        return f"<@{self.bot.user.id}>"

    async def say(self, content: str, **kwargs: Any) -> discord.Message:
        message: discord.Message = await dpytest.message(content, **kwargs)
        return message

    async def reply(self, to: discord.Message, content: str, *, ping: bool = True) -> None:
        """A reply to `to`, as Discord delivers it (a ping puts the author in mentions)."""
        channel = to.channel
        author = dpytest.get_config().members[0]
        data = factories.make_message_dict(
            cast(Any, channel),
            cast(Any, author),
            content=content,
            mentions=[to.author] if ping else [],
        )
        referenced = factories.dict_from_message(to)
        referenced.update(channel_id=channel.id, timestamp=to.created_at.isoformat())
        data["message_reference"] = {"message_id": to.id, "channel_id": channel.id}
        data["referenced_message"] = referenced
        backend.get_state().parse_message_create(cast(Any, data))
        await dpytest.run_all_events()

    def texts(self) -> list[str]:
        out = []
        for p in self.payloads:
            parts = [p.get("content") or ""]
            for e in p.get("embeds") or []:
                parts += [e.get("title") or "", e.get("description") or ""]
                parts += [f["name"] + "\n" + f["value"] for f in e.get("fields") or []]
            out.append("\n".join(parts))
        return out


@pytest.fixture
async def make_chat(
    clock: Any, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[Callable[[Assistant], Awaitable[Chat]]]:
    async def make(assistant: Assistant) -> Chat:
        bot = create_bot(assistant=assistant, clock=clock)
        await bot._async_setup_hook()  # dpytest needs this with discord.py 2.7
        # dpytest resolves mentions through its member cache, which only exists with the
        # members intent; real Discord puts mentioned users in the payload. Test-only.
        intents = discord.Intents(**{**dict(bot.intents), "members": True})
        bot._connection._intents = intents
        bot._connection.member_cache_flags = discord.MemberCacheFlags.from_intents(intents)
        dpytest.configure(bot)
        await bot.setup_hook()
        chat = Chat(bot)
        real_send = bot.http.send_message

        async def record(channel_id: int, *, params: Any) -> Any:
            chat.payloads.append(params.payload)
            # dpytest's send_message looks `channel` up in its caller's frame: this one.
            channel = bot.get_channel(channel_id) or bot._connection._get_private_channel(  # noqa: F841
                channel_id
            )
            return await real_send(channel_id, params=params)

        monkeypatch.setattr(bot.http, "send_message", record)
        return chat

    yield make
    await dpytest.empty_queue()


def assert_quiet(chat: Chat) -> None:
    assert chat.payloads
    for p in chat.payloads:
        assert p["allowed_mentions"] == {"parse": [], "replied_user": False}


async def test_a_mention_asks_and_the_answer_replies_without_pinging(
    assistant: Assistant, make_chat: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = spy(monkeypatch, assistant, "ask")
    chat = await make_chat(assistant)
    asked = await chat.say(f"{chat.me} {QUESTION}")
    (payload,) = chat.payloads
    assert payload["message_reference"]["message_id"] == asked.id
    embed = payload["embeds"][0]
    assert embed["title"] == QUESTION and "70 accounts" in embed["description"]
    assert embed["fields"][0]["name"].startswith("[1] ")
    assert_quiet(chat)
    question, req, kwargs = calls[0]
    assert question == QUESTION and kwargs == {"history": None}
    assert req.scope == f"guild:{chat.guild.id}" and req.user.startswith("discord:")


async def test_messages_that_are_not_for_the_bot_are_ignored(
    assistant: Assistant, make_chat: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = spy(monkeypatch, assistant, "ask")
    chat = await make_chat(assistant)
    await chat.say(QUESTION)
    assert chat.payloads == [] and calls == []
    await chat.say(chat.me)
    assert chat.texts() == [EMPTY_QUESTION] and calls == []


async def test_replying_to_an_answer_asks_a_follow_up_with_the_exchange(
    assistant: Assistant, make_chat: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = spy(monkeypatch, assistant, "ask")
    chat = await make_chat(assistant)
    await chat.say(f"{chat.me} {QUESTION}")
    answer = dpytest.get_message()
    first_answer = answer.embeds[0].description
    await chat.reply(answer, "and why were they suspended?")
    assert calls[1][0] == "and why were they suspended?"
    assert calls[1][2]["history"] == (QUESTION, first_answer)
    assert "violat" in chat.texts()[1]  # "...in a pattern that violates company rules"

    # After a restart the memory is empty: the answer embed itself gives the exchange.
    chat.bot.memory = AnswerMemory()
    await chat.reply(answer, "and who said so?")
    assert calls[2][2]["history"] == (QUESTION, first_answer)

    # A reply that does not ping the bot carries no text without the content intent.
    await chat.reply(answer, "", ping=False)
    assert chat.texts()[-1] == UNREADABLE_REPLY and len(calls) == 3


async def test_a_dm_needs_no_mention_and_uses_the_users_own_scope(
    assistant: Assistant, make_chat: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = spy(monkeypatch, assistant, "ask")
    chat = await make_chat(assistant)
    member = dpytest.get_config().members[0]
    dm = await member.create_dm()
    await chat.say(QUESTION, channel=dm, member=member)
    assert "70 accounts" in chat.texts()[0]
    assert calls[0][1] == Requester(
        scope=f"dm:{member.id}", user=f"discord:{member.id} ({member.name})"
    )
    assert_quiet(chat)


async def test_chat_has_the_same_cooldown_and_length_limits(
    assistant: Assistant, make_chat: Any, clock: Any
) -> None:
    chat = await make_chat(assistant)
    long = "why " * assistant.settings.limits.max_question_chars
    await chat.say(f"{chat.me} {long}")
    assert "the limit is 2,000" in chat.texts()[-1]
    clock.step = 0.0
    for _ in range(3):  # the default burst
        await chat.say(f"{chat.me} {QUESTION}")
        assert "70 accounts" in chat.texts()[-1]
    await chat.say(f"{chat.me} {QUESTION}")
    assert chat.texts()[-1].endswith("try again in 5 s.")
    assert_quiet(chat)


@pytest.mark.parametrize("with_model", [False, True])
async def test_an_injected_source_never_pings_from_chat(
    make_settings: Any, embeddings: Any, make_chat: Any, with_model: bool
) -> None:
    model = ScriptedChatModel(replies=["@everyone the campaign ran 12 sock-puppet accounts [1]."])
    assistant = Assistant(
        make_settings(), embeddings=embeddings, chat_model=model if with_model else None
    )
    chat = await make_chat(assistant)
    mod = Requester(scope=f"guild:{chat.guild.id}", user="test", can_moderate=True)
    assistant.ingest_text(INJECTION, "Leaked memo", mod)
    await chat.say(f"{chat.me} {SOCK_QUESTION}")
    text = chat.texts()[0]
    assert "12 sock-puppet accounts" in text
    assert "@everyone" not in text and "@\u200beveryone" in text
    assert_quiet(chat)
    message = dpytest.get_message()
    assert not message.mention_everyone and not message.mentions and not message.role_mentions


async def test_a_mention_answers_coordination_questions_from_the_analysis(
    assistant: Assistant, make_chat: Any, tmp_path: Any
) -> None:
    from tests.cli.test_analysis_commands import write_posts

    chat = await make_chat(assistant)
    posts = tmp_path / "campaign.csv"
    write_posts(posts)
    req = Requester(scope=f"guild:{chat.guild.id}", user="mod", can_moderate=True)
    [cluster] = assistant.analyze(str(posts), req).clusters
    await chat.say(f"{chat.me} Is camp3 in a cluster?")
    (text,) = chat.texts()
    assert f"camp3 is in cluster {cluster.id} with 3 other accounts" in text
    assert "dataset campaign" in text and "org1" not in text
    assert_quiet(chat)


async def test_chat_errors_are_worded_by_the_bot_s_one_translator(
    assistant: Assistant, make_chat: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A question in chat fails as a slash command would: hints in Discord's terms, and an
    unexpected failure as an id to quote, its internals only in the log."""
    failures: list[Exception] = [
        ChorusError("the index is stale: run ", Hint.command("sources reindex")),
        RuntimeError("disk on fire"),
    ]

    def failing(*args: Any, **kwargs: Any) -> Any:
        raise failures.pop(0)

    monkeypatch.setattr(assistant, "ask", failing)
    chat = await make_chat(assistant)
    await chat.say(f"{chat.me} {QUESTION}")
    await chat.say(f"{chat.me} {QUESTION}")
    stale, unexpected = chat.texts()
    assert stale == (
        "the index is stale: run `chorus sources reindex` (on the command line, where Chorus runs)"
    )
    assert re.search(r"error id `[0-9a-f]{8}`", unexpected) and "disk on fire" not in unexpected
    assert_quiet(chat)
