"""Front ends: the Assistant façade, the CLI and console, and the Discord bot."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bot.discord_app import create_bot

__all__ = ["create_bot"]


def __getattr__(name: str) -> Any:
    # Lazy, so that `import bot` and the CLI start without importing discord.py.
    if name == "create_bot":
        from bot.discord_app import create_bot  # noqa: PLC0415

        return create_bot
    raise AttributeError(f"module 'bot' has no attribute {name!r}")
