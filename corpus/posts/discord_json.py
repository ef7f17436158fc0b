"""DiscordChatExporter JSON (a channel export {guild, channel, messages: [...]}, or its
messages list alone) flattened into canonical fields, and other nested JSON records
flattened to dotted column names (`author.id`) so that `--map` can name a nested field.

The account is the author's id: display names (`name`, `nickname`) are not unique and a
nickname changes between messages, so neither may identify an account.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import PurePosixPath
from typing import Any

from common.errors import Hint, InputError
from corpus.posts.json_records import as_dict, as_list, as_text

DISCORD_EXPORT = "DiscordChatExporter JSON"
# Discord's snowflake ids carry their creation time (ms since 2015-01-01) in the top bits;
# a user id's time is when the account was created.
DISCORD_EPOCH_MS = 1420070400000
IMAGE_SUFFIXES = frozenset({".png", ".jpg", ".jpeg", ".gif", ".webp", ".bmp"})


def is_discord_export(value: Any) -> bool:
    """A whole channel export: the messages list beside the guild or channel it came from."""
    return (
        isinstance(value, dict)
        and isinstance(value.get("messages"), list)
        and ("channel" in value or "guild" in value)
    )


def is_discord_message(value: Any) -> bool:
    """One exported message: an author object with an id, a timestamp and content."""
    return (
        isinstance(value, dict)
        and "id" in value
        and "timestamp" in value
        and "content" in value
        and "id" in as_dict(value.get("author"))
    )


def snowflake_time(snowflake: str | None) -> str | None:
    """The creation time (epoch seconds, as text) a Discord id carries, if it is one."""
    if snowflake is None or not snowflake.isdigit() or not 17 <= len(snowflake) <= 20:
        return None
    return str(((int(snowflake) >> 22) + DISCORD_EPOCH_MS) / 1000)


def discord_records(value: Any) -> Iterator[tuple[dict[str, Any], int]]:
    """Canonical records, each with its message's number (1-based) in the export; one
    message given alone is number 1."""
    if is_discord_export(value):
        for i, msg in enumerate(as_list(value["messages"]), start=1):
            if isinstance(msg, dict):
                yield discord_message_record(msg), i
    elif isinstance(value, dict):
        yield discord_message_record(value), 1


def discord_message_record(msg: Mapping[str, Any]) -> dict[str, Any]:
    author = as_dict(msg.get("author"))
    author_id = as_text(author.get("id"))
    images = [as_dict(a) for a in as_list(msg.get("attachments")) if _is_image(as_dict(a))]
    # With --media, DiscordChatExporter rewrites attachment URLs to local paths beside the
    # export; those are read as files, the rest fetched as URLs.
    urls = [as_text(a.get("url")) for a in images]
    remote = [u for u in urls if u and u.lower().startswith(("http://", "https://"))]
    local = [u for u in urls if u and u not in remote]
    embeds = [as_text(as_dict(e).get("url")) for e in as_list(msg.get("embeds"))]
    return {
        "post_id": as_text(msg.get("id")),
        "account_id": author_id,
        "created_at": as_text(msg.get("timestamp")) or snowflake_time(as_text(msg.get("id"))),
        "text": as_text(msg.get("content")),
        "urls": [u for u in embeds if u],
        "hashtags": [],
        "image_files": local,
        "image_urls": remote,
        "reply_to": as_text(as_dict(msg.get("reference")).get("messageId")),
        "account_created_at": snowflake_time(author_id),
        "account_name": as_text(author.get("name")) or as_text(author.get("nickname")),
        "platform": "discord",
    }


def _is_image(attachment: Mapping[str, Any]) -> bool:
    name = as_text(attachment.get("fileName")) or as_text(attachment.get("url")) or ""
    return PurePosixPath(name.split("?", 1)[0].lower()).suffix in IMAGE_SUFFIXES


def flatten(value: Mapping[str, Any], prefix: str = "", depth: int = 0) -> dict[str, Any]:
    """Nested objects as dotted keys ({"author": {"id": 1}} -> {"author.id": 1}); lists and
    scalars stay as they are. Nesting past a few levels is kept as one value."""
    out: dict[str, Any] = {}
    for key, item in value.items():
        name = f"{prefix}{key}"
        if isinstance(item, dict) and item and depth < 4:
            out.update(flatten(item, f"{name}.", depth + 1))
        else:
            out[name] = item
    return out


def refuse_object_maps(mapping: Mapping[str, str], columns: tuple[str, ...], shown: str) -> None:
    """A `--map` naming a nested object (flattened away): refused with its fields."""
    for field, column in mapping.items():
        inner = [c for c in columns if c.startswith(f"{column}.")]
        if column not in columns and inner:
            raise InputError(
                Hint.option("map", f"{field}={column}"),
                f": in {shown}, {column!r} is a JSON object, not one value; map one of its "
                f"fields: {', '.join(inner)}",
            )
