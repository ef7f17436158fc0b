"""JSON post files, streamed: JSON Lines, a JSON array, or concatenated objects; flat records
or Twitter API (v2 and v1.1) tweets, which are flattened into canonical fields here.

JSON is parsed in Python, one bounded record at a time, so a hostile file (a record of a
million keys, a 100 MB string, deep nesting) is refused with a message instead of handed to
a reader whose memory use depends on the input.
"""

from __future__ import annotations

import codecs
import json
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from common.errors import InputError, LimitError

# Twitter's snowflake ids carry the post time (ms since the Twitter epoch) in the top bits.
TWITTER_EPOCH_MS = 1288834974657
READ_CHUNK = 1 << 20
EXPORT_HEAD = 64 << 10  # how far into a JSON object its `messages` key is looked for


def _first_line_object(f: Any, shown: str, max_record_bytes: int) -> dict[str, Any] | None:
    """The first line as a JSON object when it is one whole (JSON Lines), else None."""
    first = f.readline(max_record_bytes + 1)
    if not first.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"{"):
        return None
    try:
        value = json.loads(_decode(first, shown, "line 1"))
    except json.JSONDecodeError:
        return None
    return value if isinstance(value, dict) else None


def is_json_lines(path: Path, *, max_record_bytes: int) -> bool:
    """Whether the file is JSON Lines (its posts are named by line, not by record)."""
    with path.open("rb") as f:
        return _first_line_object(f, path.name, max_record_bytes) is not None


def iter_json_values(path: Path, shown: str, *, max_record_bytes: int) -> Iterator[tuple[int, Any]]:
    """Yield (number, parsed value) for JSON Lines (the number is the file's line, 1-based),
    a top-level array (its elements) or concatenated/pretty-printed objects (the record's
    number, counting from 1). Every record is at most max_record_bytes."""
    with path.open("rb") as f:
        value = _first_line_object(f, shown, max_record_bytes)
        if value is not None:
            yield 1, value
            yield from _iter_lines(f, shown, max_record_bytes, start=2)
            return
        f.seek(0)
        yield from _JsonStream(f, shown, max_record_bytes)


def _decode(raw: bytes, shown: str, place: str) -> str:
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(
            f"{shown} is not UTF-8 text ({place}, byte {exc.start}); save it as UTF-8"
        ) from None


def _iter_lines(f: Any, shown: str, limit: int, start: int) -> Iterator[tuple[int, Any]]:
    line_no = start - 1
    while True:
        raw = f.readline(limit + 1)
        if not raw:
            return
        line_no += 1
        if len(raw) > limit:
            raise LimitError(
                f"{shown}: line {line_no} is longer than {limit:,} bytes, over the limit "
                "for one record (max_field_chars)"
            )
        text = _decode(raw, shown, f"line {line_no}").strip()
        if not text:
            continue
        try:
            yield line_no, json.loads(text)
        except json.JSONDecodeError as exc:
            cut = "" if raw.endswith(b"\n") else " (the file looks truncated)"
            raise InputError(f"{shown}: line {line_no} is not valid JSON: {exc.msg}{cut}") from None
        except RecursionError:
            raise InputError(f"{shown}: line {line_no} is nested too deeply") from None


class _JsonStream:
    """A top-level array's elements, or a sequence of JSON values (concatenated or
    pretty-printed), decoded incrementally: memory is one chunk plus one record."""

    def __init__(self, f: Any, shown: str, limit: int) -> None:
        self.f, self.shown, self.limit = f, shown, limit
        self.utf8 = codecs.getincrementaldecoder("utf-8-sig")()
        self.json = json.JSONDecoder()
        self.buf = ""
        self.pos = 0
        self.eof = False
        self.record = 0

    def _fill(self) -> bool:
        if self.eof:
            return False
        chunk = self.f.read(READ_CHUNK)
        try:
            text = self.utf8.decode(chunk, final=not chunk)
        except UnicodeDecodeError:
            raise InputError(
                f"{self.shown} is not UTF-8 text (near record {self.record + 1}); save it as UTF-8"
            ) from None
        self.eof = not chunk
        self.buf = self.buf[self.pos :] + text
        self.pos = 0
        return bool(chunk)

    def _skip(self, commas: bool) -> bool:
        """Skip whitespace (and commas inside an array); False at the end of the input."""
        while True:
            buf = self.buf
            while self.pos < len(buf) and buf[self.pos] in " \t\r\n,":
                if buf[self.pos] == "," and not commas:
                    raise InputError(
                        f"{self.shown}: unexpected ',' before record {self.record + 1}"
                    )
                self.pos += 1
            if self.pos < len(buf):
                return True
            if not self._fill():
                return False

    def _too_long(self) -> LimitError:
        return LimitError(
            f"{self.shown}: record {self.record + 1} is longer than {self.limit:,} bytes, over "
            "the limit for one record (max_field_chars)"
        )

    def _value(self) -> Any:
        while True:
            try:
                value, end = self.json.raw_decode(self.buf, self.pos)
            except json.JSONDecodeError as exc:
                if len(self.buf) - self.pos > self.limit:
                    raise self._too_long() from None
                if not self._fill():
                    raise InputError(
                        f"{self.shown}: record {self.record + 1} is not valid JSON: {exc.msg} "
                        "(the file looks truncated or malformed)"
                    ) from None
                continue
            except RecursionError:
                raise InputError(
                    f"{self.shown}: record {self.record + 1} is nested too deeply"
                ) from None
            if end - self.pos > self.limit:
                raise self._too_long()
            self.pos = end
            return value

    def _export_messages(self) -> int | None:
        """Where the messages of a DiscordChatExporter export start (just inside its
        `"messages": [`), found among the top-level keys of the first chunk, after its
        `guild` or `channel`; None for any other value. A channel's export is one object
        far larger than one record may be, so its messages are streamed as the records."""
        buf, i, end = self.buf, self.pos, min(len(self.buf), self.pos + EXPORT_HEAD)
        if buf[i] != "{":
            return None
        depth, key_start = 0, -1
        keys: set[str] = set()
        while i < end:
            ch = buf[i]
            if ch == '"':
                close = i + 1
                while close < end and buf[close] != '"':
                    close += 2 if buf[close] == "\\" else 1
                if depth == 1:
                    key_start = i
                i = close
            elif ch in "{[":
                depth += 1
            elif ch in "}]":
                depth -= 1
                if depth == 0:
                    return None
            elif ch == ":" and depth == 1 and key_start >= 0:
                key = buf[key_start + 1 : buf.rindex('"', key_start, i)]
                after = len(buf[i + 1 : end]) - len(buf[i + 1 : end].lstrip())
                if key == "messages" and keys & {"guild", "channel"}:
                    at = i + 1 + after
                    return at + 1 if at < end and buf[at] == "[" else None
                keys.add(key)
                key_start = -1
            i += 1
        return None

    def __iter__(self) -> Iterator[tuple[int, Any]]:
        if not self._skip(commas=False):
            return
        inner = self._export_messages()
        in_array = inner is not None or self.buf[self.pos] == "["
        self.pos = inner if inner is not None else self.pos + int(in_array)
        while True:
            if not self._skip(commas=in_array):
                if in_array:
                    raise InputError(
                        f"{self.shown}: the JSON array is not closed (the file looks truncated)"
                    )
                return
            if in_array and self.buf[self.pos] == "]":
                self.pos += 1
                if inner is None and self._skip(commas=False):
                    raise InputError(f"{self.shown}: unexpected data after the JSON array")
                return
            value = self._value()
            self.record += 1
            yield self.record, value


# --- flattening -------------------------------------------------------------------------


def as_dict(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, dict) else {}


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def as_text(value: Any) -> str | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, str | int | float):
        return str(value)
    return None


def _snowflake_time(tweet_id: str | None) -> str | None:
    if tweet_id is None or not tweet_id.isdigit() or len(tweet_id) > 20:
        return None
    return str(((int(tweet_id) >> 22) + TWITTER_EPOCH_MS) / 1000)


def is_twitter_v2_page(value: Any) -> bool:
    return isinstance(value, dict) and isinstance(value.get("data"), list)


def is_twitter_v2_tweet(value: Any) -> bool:
    return isinstance(value, dict) and "author_id" in value and "id" in value and "text" in value


def is_twitter_v1_tweet(value: Any) -> bool:
    return isinstance(value, dict) and "id_str" in value and isinstance(value.get("user"), dict)


def twitter_v2_records(value: Any) -> Iterator[dict[str, Any]]:
    """Canonical records from a v2 page ({"data": [...], "includes": {"users": [...]}}) or
    one v2 tweet (as twarc2 flatten writes them, with an "author" object)."""
    if is_twitter_v2_page(value):
        includes = as_dict(value.get("includes"))
        users = {as_text(as_dict(u).get("id")): as_dict(u) for u in as_list(includes.get("users"))}
        media = _media_urls(as_list(includes.get("media")))
        for tweet in as_list(value["data"]):
            if isinstance(tweet, dict):
                yield _v2_tweet(tweet, users, media)
    elif isinstance(value, dict):
        yield _v2_tweet(value, {}, {})


def _media_urls(media: list[Any]) -> dict[str | None, str | None]:
    """media_key -> the picture's URL: `url` for photos, `preview_image_url` for videos."""
    out: dict[str | None, str | None] = {}
    for m in media:
        item = as_dict(m)
        out[as_text(item.get("media_key"))] = as_text(item.get("url")) or as_text(
            item.get("preview_image_url")
        )
    return out


def _v2_tweet(
    tweet: Mapping[str, Any],
    users: Mapping[str | None, Mapping[str, Any]],
    media: Mapping[str | None, str | None],
) -> dict[str, Any]:
    refs: dict[str, str | None] = {}
    for item in as_list(tweet.get("referenced_tweets")):
        ref = as_dict(item)
        kind = as_text(ref.get("type"))
        if kind:
            refs[kind] = as_text(ref.get("id"))
    entities = as_dict(tweet.get("entities"))
    author_id = as_text(tweet.get("author_id"))
    author = as_dict(tweet.get("author")) or users.get(author_id, {})
    post_id = as_text(tweet.get("id"))
    attachments = as_dict(tweet.get("attachments"))
    keys = [as_text(k) for k in as_list(attachments.get("media_keys"))]
    # twarc2's flattened tweets carry their media objects inline, under attachments.media.
    inline = _media_urls(as_list(attachments.get("media")))
    return {
        "post_id": post_id,
        "account_id": author_id,
        "created_at": as_text(tweet.get("created_at")) or _snowflake_time(post_id),
        "text": as_text(tweet.get("text")),
        "urls": [
            as_text(as_dict(u).get("expanded_url")) or as_text(as_dict(u).get("url"))
            for u in as_list(entities.get("urls"))
        ],
        "hashtags": [as_text(as_dict(h).get("tag")) for h in as_list(entities.get("hashtags"))],
        "image_hashes": keys,
        "image_urls": [inline.get(k) or media.get(k) for k in keys],
        "repost_of": refs.get("retweeted"),
        "reply_to": refs.get("replied_to"),
        "account_created_at": as_text(author.get("created_at")),
        "account_name": as_text(author.get("username")),
        "platform": "twitter",
    }


def twitter_v1_record(tweet: Mapping[str, Any]) -> dict[str, Any]:
    user = as_dict(tweet.get("user"))
    retweeted = as_dict(tweet.get("retweeted_status"))
    extended = as_dict(tweet.get("extended_tweet"))
    text = (
        as_text(tweet.get("full_text"))
        or as_text(extended.get("full_text"))
        or as_text(tweet.get("text"))
    )
    entities = as_dict(extended.get("entities")) or as_dict(tweet.get("entities"))
    media = as_list(as_dict(tweet.get("extended_entities")).get("media")) or as_list(
        entities.get("media")
    )
    post_id = as_text(tweet.get("id_str"))
    return {
        "post_id": post_id,
        "account_id": as_text(user.get("id_str")) or as_text(user.get("id")),
        "created_at": as_text(tweet.get("created_at")) or _snowflake_time(post_id),
        "text": text,
        "urls": [
            as_text(as_dict(u).get("expanded_url")) or as_text(as_dict(u).get("url"))
            for u in as_list(entities.get("urls"))
        ],
        "hashtags": [as_text(as_dict(h).get("text")) for h in as_list(entities.get("hashtags"))],
        "image_hashes": [as_text(as_dict(m).get("id_str")) for m in media],
        "image_urls": [
            as_text(as_dict(m).get("media_url_https")) or as_text(as_dict(m).get("media_url"))
            for m in media
        ],
        "repost_of": as_text(retweeted.get("id_str")),
        "reply_to": as_text(tweet.get("in_reply_to_status_id_str")),
        "account_created_at": as_text(user.get("created_at")),
        "account_name": as_text(user.get("screen_name")),
        "platform": "twitter",
    }


def scalar_text(value: Any) -> str | None:
    """A flat record's value as text: scalars as written, nested values as compact JSON."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str | int | float):
        return str(value)
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def list_text(value: Any) -> list[str]:
    """A list field: a JSON array of scalars, or a space-separated string."""
    if value is None:
        return []
    if isinstance(value, list):
        out = []
        for item in value:
            text = scalar_text(item)
            if text is not None and text.strip():
                out.append(text.strip())
        return out
    text = scalar_text(value)
    return text.split() if text else []
