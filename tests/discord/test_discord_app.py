"""The bot as built by create_bot: intents, extensions, sync, `chorus bot`, errors, timeouts."""

from __future__ import annotations

import asyncio
import logging
import re
import subprocess
import sys
import time
from typing import Any

import discord
import pytest

from bot.assistant import Assistant
from bot.discord_app import EXTENSIONS, create_bot, run_bot
from tests.discord.discord_harness import assert_no_mentions

COMMANDS = {"ask", "check", "clusters", "cluster", "account", "sources", "dataset", "help"}


def test_create_bot_builds_without_connecting(make_settings: Any) -> None:
    bot = create_bot(make_settings())
    assert not bot.is_ready() and bot.ws is None
    assert isinstance(bot.assistant, Assistant)
    intents = bot.intents
    # No privileged intent: message content, members and presences all stay off.
    assert not intents.message_content and not intents.members and not intents.presences
    assert intents.guilds and intents.guild_messages and intents.dm_messages
    assert bot.allowed_mentions is not None
    assert bot.allowed_mentions.to_dict() == {"parse": []}


async def test_every_extension_loads_and_registers_its_commands(
    assistant: Assistant, make_harness: Any
) -> None:
    h = await make_harness(assistant)
    assert h.bot.failed_extensions == []
    assert set(h.bot.extensions) == set(EXTENSIONS)
    slash = h.bot.tree.get_commands(type=discord.AppCommandType.chat_input)
    assert {c.name for c in slash} == COMMANDS
    menus = h.bot.tree.get_commands(type=discord.AppCommandType.message)
    assert [m.name for m in menus] == ["Fact-check this message"]
    sources = h.bot.tree.get_command("sources")
    assert {c.name for c in sources.commands} == {"list", "add", "remove"}
    # Moderation commands that make no sense in a DM are hidden there (a hint; checks enforce).
    assert h.bot.tree.get_command("dataset").guild_only


async def test_a_failing_extension_is_logged_and_the_rest_load(
    assistant: Assistant, make_harness: Any, caplog: pytest.LogCaptureFixture
) -> None:
    broken = ("bot.cogs.answers", "bot.cogs.does_not_exist", "bot.cogs.help")
    with caplog.at_level(logging.ERROR, logger="bot.discord_app"):
        h = await make_harness(assistant, extensions=broken)
    assert h.bot.failed_extensions == ["bot.cogs.does_not_exist"]
    assert set(h.bot.extensions) == {"bot.cogs.answers", "bot.cogs.help"}
    assert "bot.cogs.does_not_exist" in caplog.text


@pytest.mark.parametrize("dev_guild", [None, 4242])
async def test_sync_is_global_or_to_the_dev_guild(
    make_settings: Any, embeddings: Any, monkeypatch: pytest.MonkeyPatch, dev_guild: int | None
) -> None:
    assistant = Assistant(make_settings(dev_guild=dev_guild), embeddings=embeddings)
    bot = create_bot(assistant=assistant, sync_commands=True)
    synced: list[Any] = []

    async def fake_sync(*, guild: Any = None) -> list[Any]:
        synced.append(guild)
        return []

    monkeypatch.setattr(bot.tree, "sync", fake_sync)
    await bot._async_setup_hook()
    await bot.setup_hook()
    assert len(synced) == 1
    if dev_guild is None:
        assert synced[0] is None
    else:
        assert synced[0].id == dev_guild
        copied = {c.name for c in bot.tree.get_commands(guild=synced[0])}
        assert copied == COMMANDS | {"Fact-check this message"}
    await bot.close()


def test_missing_token_is_one_line_pointing_at_the_readme(
    make_settings: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run_bot(Assistant(make_settings())) == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err
    assert "DISCORD_TOKEN" in err and '"Discord set-up"' in err


def test_rejected_token_is_one_line_pointing_at_the_readme(
    make_settings: Any, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    async def reject(self: Any, token: str) -> Any:
        raise discord.LoginFailure("Improper token has been passed.")

    # The login request itself is what Discord answers with 401; nothing leaves the machine.
    monkeypatch.setattr(discord.http.HTTPClient, "static_login", reject)
    assert run_bot(Assistant(make_settings(discord_token="not-a-token"))) == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err
    assert "rejected DISCORD_TOKEN" in err and '"Discord set-up"' in err
    assert "not-a-token" not in err


def test_import_bot_and_the_cli_do_not_import_discord() -> None:
    code = (
        "import sys, bot, bot.cli; print(sorted(m for m in sys.modules if m.startswith('discord')))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False, timeout=120
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"
    import bot

    assert bot.create_bot is create_bot  # resolved lazily, on first use


async def test_unexpected_errors_are_logged_with_an_id_the_user_sees(
    assistant: Assistant,
    make_harness: Any,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    def explode(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(assistant, "ask", explode)
    h = await make_harness(assistant)
    with caplog.at_level(logging.ERROR, logger="bot.discord_app"):
        run = await h.slash("ask", guild=1, question="anything?")
    final = run.final
    assert final.ephemeral and final.kind == "followup"
    error_id = re.search(r"error id `([0-9a-f]{8})`", final.text())
    assert error_id, final.text()
    assert "disk on fire" not in final.text()  # internals stay in the log
    assert error_id.group(1) in caplog.text and "disk on fire" in caplog.text
    # The public "thinking..." placeholder was removed, so only the asker sees the error.
    assert [s.kind for s in run.sent] == ["callback", "delete", "followup"]
    assert_no_mentions(run.sent)


async def test_domain_errors_are_friendly_ephemeral_and_not_logged(
    assistant: Assistant, make_harness: Any, caplog: pytest.LogCaptureFixture
) -> None:
    h = await make_harness(assistant)
    with caplog.at_level(logging.ERROR):
        run = await h.slash(
            "sources remove", guild=1, perms=discord.Permissions(manage_guild=True), id="nope"
        )
    assert run.final.ephemeral
    assert run.final.text() == "no source with id nope"
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


async def test_slow_calls_time_out_without_blocking_the_loop(
    make_settings: Any, embeddings: Any, make_harness: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    assistant = Assistant(make_settings(limits={"request_timeout_s": 0.2}), embeddings=embeddings)

    def slow(*args: Any, **kwargs: Any) -> Any:
        time.sleep(1.0)  # a CPU-bound call: it runs in a worker thread, not on the loop

    monkeypatch.setattr(assistant, "check", slow)
    h = await make_harness(assistant)
    ticks = 0

    async def ticker() -> None:
        nonlocal ticks
        while True:
            await asyncio.sleep(0.01)
            ticks += 1

    task = asyncio.create_task(ticker())
    started = time.monotonic()
    run = await h.slash("check", guild=1, claim="a claim")
    task.cancel()
    assert time.monotonic() - started < 0.9
    assert ticks >= 5  # the event loop kept running while the call was in its thread
    assert run.final.ephemeral and "longer than 0.2 s" in run.final.text()
