"""Cooldowns, moderator rules and scopes: the plain classes under the cogs."""

from __future__ import annotations

from typing import Any

import discord
import pytest

from bot.discord_permissions import (
    has_moderator_role,
    is_moderator,
    moderator_rule,
    scope_for,
    user_label,
)
from bot.rate_limits import Cooldown, RequestLimiter, cooldown_message
from bot.settings import DiscordConfig


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_cooldown_allows_a_burst_then_one_per_period() -> None:
    clock = Clock()
    cd = Cooldown(5.0, 3, clock=clock)
    for _ in range(3):
        assert cd.retry_after("u") == 0
        cd.consume("u")
    assert cd.retry_after("u") == pytest.approx(5.0)
    clock.now = 2.0
    assert cd.retry_after("u") == pytest.approx(3.0)
    assert cd.retry_after("someone else") == 0
    clock.now = 5.0
    assert cd.retry_after("u") == 0
    cd.consume("u")
    assert cd.retry_after("u") == pytest.approx(5.0)
    clock.now = 1000.0  # refills to the burst, not beyond
    for _ in range(3):
        cd.consume("u")
    assert cd.retry_after("u") > 0


def test_zero_cooldown_means_unlimited() -> None:
    cd = Cooldown(0.0, 1, clock=Clock())
    for _ in range(100):
        assert cd.retry_after("u") == 0
        cd.consume("u")


def test_limiter_counts_nothing_when_refusing() -> None:
    clock = Clock()
    config = DiscordConfig(user_cooldown_s=10, user_burst=2, guild_cooldown_s=1, guild_burst=3)
    limiter = RequestLimiter(config, clock=clock)
    assert limiter.acquire(1, 100) == 0
    assert limiter.acquire(1, 100) == 0
    assert limiter.acquire(1, 100) == pytest.approx(10)  # user 1 is out
    assert limiter.acquire(2, 100) == 0  # the refusal did not spend the server's last token
    assert limiter.acquire(3, 100) == pytest.approx(1)  # now the server is out
    assert limiter.acquire(3, None) == 0  # a DM has no server bucket
    clock.now = 1.0
    assert limiter.acquire(3, 100) == 0


def test_pruning_forgets_only_full_buckets() -> None:
    clock = Clock()
    cd = Cooldown(1.0, 1, clock=clock, max_keys=10)
    for key in range(10):
        cd.consume(key)
    clock.now = 5.0
    cd.consume("fresh")  # 11 keys: the refilled ones are dropped
    assert cd.retry_after("fresh") > 0
    assert len(cd._buckets) == 1


@pytest.mark.parametrize(("wait", "shown"), [(0.01, "1 s"), (4.2, "5 s"), (5.0, "5 s")])
def test_cooldown_message_rounds_up(wait: float, shown: str) -> None:
    assert cooldown_message(wait).endswith(f"try again in {shown}.")


class FakeRole:
    def __init__(self, name: str, role_id: int) -> None:
        self.name, self.id = name, role_id


class FakeMember(discord.Member):
    """A real Member subclass (isinstance checks hold) whose roles need no guild cache."""

    def __init__(self, roles: list[FakeRole]) -> None:
        self._fake_roles = roles

    @property
    def roles(self) -> Any:
        return self._fake_roles


def member(roles: list[FakeRole]) -> Any:
    return FakeMember(roles)


def test_moderator_rules() -> None:
    none = discord.Permissions.none()
    plain = member([FakeRole("@everyone", 1), FakeRole("Reader", 2)])
    mod = member([FakeRole("Fact Checkers", 3)])
    assert not is_moderator(plain, 10, none, "3")
    assert is_moderator(mod, 10, none, "3")  # the role's id
    assert is_moderator(mod, 10, none, "99, 3")  # one of several (one per server)
    # Never by name: anyone with Manage Roles can create a role called that.
    assert not is_moderator(mod, 10, none, "Fact Checkers")
    assert not is_moderator(mod, 10, none, "")  # no role configured: none matches
    assert is_moderator(plain, 10, discord.Permissions(manage_guild=True), "")
    assert is_moderator(plain, 10, discord.Permissions(administrator=True), "")
    # In a DM there is no server to moderate, whatever the payload says.
    assert not is_moderator(mod, None, discord.Permissions.all(), "3")
    user = discord.User.__new__(discord.User)
    assert not has_moderator_role(user, "3")
    assert not is_moderator(user, 10, discord.Permissions.all(), "")


def test_scopes_and_labels() -> None:
    assert scope_for(5, 7) == "guild:5"
    assert scope_for(None, 7) == "dm:7"
    user = discord.Object(id=7)
    user.name = "alice"  # type: ignore[attr-defined]
    assert user_label(user) == "discord:7 (alice)"  # type: ignore[arg-type]
    assert "or the moderator role" in moderator_rule("5551")
    assert "role" not in moderator_rule("")
