"""Fixtures for the Discord front end: a created bot driven through discord.py, offline."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import discord.interactions
import discord.webhook.async_
import pytest

from bot.assistant import Assistant
from bot.discord_app import create_bot
from tests.discord.discord_harness import Harness, Recorder, _Context
from tests.discord.fakes import PatternsAssistant


class FakeClock:
    """Time for the cooldowns: jumps `step` seconds per reading unless a test freezes it."""

    def __init__(self) -> None:
        self.now = 1_000.0
        self.step = 1_000.0

    def __call__(self) -> float:
        self.now += self.step
        return self.now


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
async def make_harness(
    clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[Callable[..., Awaitable[Harness]]]:
    recorder = Recorder()
    context = _Context(recorder)
    monkeypatch.setattr(discord.interactions, "async_context", context)
    monkeypatch.setattr(discord.webhook.async_, "async_context", context)
    bots: list[Any] = []

    async def make(assistant: Assistant, **kwargs: Any) -> Harness:
        bot = create_bot(assistant=assistant, clock=clock, **kwargs)
        await bot._async_setup_hook()  # what login() does before setup_hook
        await bot.setup_hook()
        bots.append(bot)
        return Harness(bot, recorder)

    yield make
    for bot in bots:
        await bot.close()


@pytest.fixture
def patterns_assistant(make_settings: Any, embeddings: Any) -> PatternsAssistant:
    return PatternsAssistant(make_settings(), embeddings=embeddings)
