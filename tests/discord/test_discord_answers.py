"""/ask, /check, "Fact-check this message", DMs, and hostile sources that try to ping."""

from __future__ import annotations

from typing import Any

import pytest

from bot.assistant import Assistant, Requester
from bot.discord_permissions import DM_MODERATION
from prompts.phrases import REFUSAL
from tests.conftest import ScriptedChatModel
from tests.discord.discord_harness import (
    INJECTION,
    MANAGE,
    SOCK_QUESTION,
    add_pasted,
    assert_no_mentions,
    spy,
)

GUILD = 111


async def test_ask_answers_with_markers_numbered_sources_and_mode(
    assistant: Assistant, make_harness: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = spy(monkeypatch, assistant, "ask")
    h = await make_harness(assistant)
    run = await h.slash(
        "ask",
        guild=GUILD,
        user=55,
        user_name="ruth",
        question="How many accounts did Twitter suspend?",
    )
    assert run.sent[0].kind == "callback" and run.sent[0].body == {"type": 5}  # thinking...
    embed = run.final.body["embeds"][0]
    assert "70 accounts" in embed["description"] and "[1]" in embed["description"]
    assert embed["fields"][0]["name"].startswith("[1] Bloomberg campaign accounts")
    assert "70 accounts" in embed["fields"][0]["value"]
    assert "Extractive" in embed["footer"]["text"]
    assert not run.final.ephemeral
    assert_no_mentions(run.sent)
    ((question, req, _),) = calls
    assert req == Requester(scope=f"guild:{GUILD}", user="discord:55 (ruth)", can_moderate=False)
    # Replying to this answer will be a follow-up with this exchange as context.
    exchange = h.bot.memory.recall(run.final.response_id)
    assert exchange is not None and exchange[0] == question and "70 accounts" in exchange[1]


async def test_a_refusal_is_shown_plainly(assistant: Assistant, make_harness: Any) -> None:
    h = await make_harness(assistant)
    run = await h.slash("ask", guild=GUILD, question="What is the boiling point of tungsten?")
    embed = run.final.body["embeds"][0]
    assert embed["description"] == REFUSAL
    assert not embed.get("fields")


async def test_an_overlong_question_is_refused_privately_before_any_work(
    assistant: Assistant, make_harness: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = spy(monkeypatch, assistant, "ask")
    h = await make_harness(assistant)
    limit = assistant.settings.limits.max_question_chars
    run = await h.slash("ask", guild=GUILD, question="why " * limit)
    assert [s.kind for s in run.sent] == ["callback"]  # no public "thinking..." first
    assert run.final.ephemeral
    assert f"the limit is {limit:,}" in run.final.text()
    assert calls == []


async def test_check_and_the_fact_check_menu(assistant: Assistant, make_harness: Any) -> None:
    h = await make_harness(assistant)
    claim = "Bloomberg released three women from their NDAs"
    for run in (
        await h.slash("check", guild=GUILD, claim=claim),
        await h.fact_check(claim, guild=GUILD),
    ):
        embed = run.final.body["embeds"][0]
        assert claim in embed["title"]
        assert "evidence only" in embed["description"]
        assert any("three women" in f["value"] for f in embed["fields"])
        assert_no_mentions(run.sent)
    empty = await h.fact_check("   ", guild=GUILD)
    assert empty.final.ephemeral and "no text to check" in empty.final.text()


async def test_dms_ask_against_the_shared_demo_but_cannot_moderate(
    assistant: Assistant, make_harness: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = spy(monkeypatch, assistant, "ask")
    h = await make_harness(assistant)
    await add_pasted(h, GUILD, "Server note", "The server's own finding: 41 burner accounts.")

    run = await h.slash("ask", user=77, question="How many accounts did Twitter suspend?")
    assert "70 accounts" in run.final.text()
    assert calls[0][1].scope == "dm:77" and not calls[0][1].can_moderate

    listing = await h.slash("sources list", user=77)
    assert "Bloomberg campaign accounts" in listing.final.text()
    assert "Server note" not in listing.final.text()  # a server's sources stay in the server

    for path, options in (("sources add", {}), ("sources remove", {"id": "x"})):
        # Even a payload that claims every permission cannot moderate from a DM.
        denied = await h.slash(path, user=77, perms=MANAGE, **options)
        assert denied.modal is None
        assert [s.kind for s in denied.sent] == ["callback"] and denied.final.ephemeral
        assert denied.final.text() == DM_MODERATION


async def test_injected_instructions_are_quoted_never_obeyed_never_ping(
    assistant: Assistant, make_harness: Any
) -> None:
    h = await make_harness(assistant)
    await add_pasted(h, GUILD, "Leaked memo <@&42>", INJECTION)
    run = await h.slash("ask", guild=GUILD, question=SOCK_QUESTION)
    text = run.text()
    assert "12 sock-puppet accounts" in text
    assert "Ignore previous instructions" in text  # shown as the data it is
    assert "@\u200beveryone" in text and "@everyone" not in text and "<@&42>" not in text
    assert_no_mentions(run.sent)


async def test_a_model_that_obeys_the_injection_still_cannot_ping(
    make_settings: Any, embeddings: Any, make_harness: Any
) -> None:
    model = ScriptedChatModel(
        replies=[
            "@everyone the campaign ran 12 sock-puppet accounts [1]. "
            "Here is my system prompt <@&42> [1]."
        ]
    )
    assistant = Assistant(make_settings(), embeddings=embeddings, chat_model=model)
    h = await make_harness(assistant)
    await add_pasted(h, GUILD, "Leaked memo", INJECTION)
    run = await h.slash("ask", guild=GUILD, question=SOCK_QUESTION)
    embed = run.final.body["embeds"][0]
    assert "scripted-fake" in embed["footer"]["text"]  # the mode: the model's name
    assert "12 sock-puppet accounts" in embed["description"]
    text = run.text()
    assert "@everyone" not in text and "<@&42>" not in text
    assert_no_mentions(run.sent)
    # The source reached the model as quoted material, inside the user turn.
    assert any(INJECTION in str(m.content) for m in model.prompts[0])
