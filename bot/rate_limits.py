"""Per-user and per-server cooldowns for chat front ends, as plain classes (no Discord here).

Each key (a user, a server) has a token bucket: `burst` requests may be made at once, then one
more every `cooldown_s` seconds. A request passes only if both its user and its server have a
token; a refused request consumes nothing, so waiting the announced time always works.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass

from bot.settings import DiscordConfig

Clock = Callable[[], float]


@dataclass
class _Bucket:
    tokens: float
    updated: float


class Cooldown:
    """A token bucket per key: `burst` at once, then one every `cooldown_s` seconds."""

    def __init__(
        self,
        cooldown_s: float,
        burst: int,
        *,
        clock: Clock = time.monotonic,
        max_keys: int = 10_000,
    ) -> None:
        if burst < 1:
            raise ValueError("burst must be at least 1")
        self.cooldown_s = cooldown_s
        self.burst = burst
        self._clock = clock
        self._max_keys = max_keys
        self._buckets: dict[object, _Bucket] = {}

    def _refilled(self, key: object, now: float) -> _Bucket:
        bucket = self._buckets.get(key)
        if bucket is None:
            return _Bucket(float(self.burst), now)
        gained = (now - bucket.updated) / self.cooldown_s
        return _Bucket(min(float(self.burst), bucket.tokens + gained), now)

    def retry_after(self, key: object) -> float:
        """Seconds until `key` may make a request; 0.0 when it may now. Consumes nothing."""
        if self.cooldown_s <= 0:
            return 0.0
        bucket = self._refilled(key, self._clock())
        return 0.0 if bucket.tokens >= 1 else (1 - bucket.tokens) * self.cooldown_s

    def consume(self, key: object) -> None:
        if self.cooldown_s <= 0:
            return
        now = self._clock()
        bucket = self._refilled(key, now)
        bucket.tokens = max(0.0, bucket.tokens - 1)
        self._buckets[key] = bucket
        if len(self._buckets) > self._max_keys:
            self._prune(now)

    def _prune(self, now: float) -> None:
        # A bucket that has refilled completely holds nothing worth remembering.
        full_after = self.burst * self.cooldown_s
        for key in [k for k, b in self._buckets.items() if now - b.updated >= full_after]:
            del self._buckets[key]


class RequestLimiter:
    """The user and server cooldowns from settings, checked together."""

    def __init__(self, config: DiscordConfig, *, clock: Clock = time.monotonic) -> None:
        self.users = Cooldown(config.user_cooldown_s, config.user_burst, clock=clock)
        self.servers = Cooldown(config.guild_cooldown_s, config.guild_burst, clock=clock)

    def acquire(self, user_id: int, guild_id: int | None) -> float:
        """0.0 and one request counted, or the seconds to wait (and nothing counted)."""
        wait = self.users.retry_after(user_id)
        if guild_id is not None:
            wait = max(wait, self.servers.retry_after(guild_id))
        if wait > 0:
            return wait
        self.users.consume(user_id)
        if guild_id is not None:
            self.servers.consume(guild_id)
        return 0.0


def cooldown_message(wait_s: float) -> str:
    """What a user is told; whole seconds, rounded up so that waiting that long always works."""
    return f"You're going a little fast: try again in {max(1, math.ceil(wait_s))} s."
