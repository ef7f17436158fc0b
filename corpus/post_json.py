"""JSON post files, streamed: JSON Lines, a JSON array, or concatenated objects; flat records
or Twitter API (v2 and v1.1) tweets, which are flattened into canonical fields here.

JSON is parsed in Python, one bounded record at a time, so a hostile file (a record of a
million keys, a 100 MB string, deep nesting) is refused with a message instead of handed to
a reader whose memory use depends on the input.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from corpus.errors import InputError, LimitError

# Twitter's snowflake ids carry the post time (ms since the Twitter epoch) in the top bits.
TWITTER_EPOCH_MS = 1288834974657
READ_CHUNK = 1 << 20


def iter_json_values(path: Path, shown: str, *, max_record_bytes: int) -> Iterator[tuple[int, Any]]:
    """Yield (record number, parsed value) for JSON Lines, a top-level array (its elements)
    or concatenated/pretty-printed objects. Every record is at most max_record_bytes."""
    with path.open("rb") as f:
        first = f.readline(max_record_bytes + 1)
        stripped = first.lstrip(b"\xef\xbb\xbf \t\r\n")
        if stripped.startswith(b"{"):
            try:
                value = json.loads(_decode(first, shown, 1))
            except json.JSONDecodeError:
                value = None
            if isinstance(value, dict):
                yield 1, value
                yield from _iter_lines(f, shown, max_record_bytes, start=2)
                return
        f.seek(0)
        yield from _iter_stream(f, shown, max_record_bytes)


def _decode(raw: bytes, shown: str, record: int) -> str:
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(
            f"{shown} is not UTF-8 text (record {record}, byte {exc.start}); save it as UTF-8"
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
        text = _decode(raw, shown, line_no).strip()
        if not text:
            continue
        try:
            yield line_no, json.loads(text)
        except json.JSONDecodeError as exc:
            cut = "" if raw.endswith(b"\n") else " (the file looks truncated)"
            raise InputError(f"{shown}: line {line_no} is not valid JSON: {exc.msg}{cut}") from None
        except RecursionError:
            raise InputError(f"{shown}: line {line_no} is nested too deeply") from None


def _iter_stream(f: Any, shown: str, limit: int) -> Iterator[tuple[int, Any]]:
    """A top-level array or a sequence of JSON values, decoded incrementally."""
    decoder = json.JSONDecoder()
    buf = ""
    raw_tail = b""
    eof = False
    in_array = False
    record = 0

    def fill() -> bool:
        nonlocal buf, raw_tail, eof
        chunk = f.read(READ_CHUNK)
        if not chunk:
            eof = True
            if raw_tail:
                _decode(raw_tail, shown, record + 1)  # raises: a cut multi-byte character
            return False
        data = raw_tail + chunk
        # Keep an incomplete UTF-8 sequence for the next chunk.
        cut = len(data)
        for back in range(1, min(4, len(data)) + 1):
            byte = data[-back]
            if byte & 0xC0 == 0x80:
                continue
            if byte & 0x80:
                need = 2 if byte & 0xE0 == 0xC0 else 3 if byte & 0xF0 == 0xE0 else 4
                if back < need:
                    cut = len(data) - back
            break
        raw_tail = data[cut:]
        buf += _decode(data[:cut], shown, record + 1)
        if not record and buf.startswith("\ufeff"):
            buf = buf[1:]
        return True

    fill()
    pos = 0
    while True:
        while True:
            while pos < len(buf) and buf[pos] in " \t\r\n,":
                if buf[pos] == "," and not in_array:
                    raise InputError(f"{shown}: unexpected ',' before record {record + 1}")
                pos += 1
            if pos < len(buf) or eof:
                break
            buf, pos = "", 0
            if not fill():
                break
        if pos >= len(buf):
            if in_array:
                raise InputError(
                    f"{shown}: the JSON array is not closed (the file looks truncated)"
                )
            return
        if record == 0 and not in_array and buf[pos] == "[":
            in_array = True
            pos += 1
            continue
        if in_array and buf[pos] == "]":
            rest = buf[pos + 1 :].strip()
            while not rest and fill():
                rest = buf[pos + 1 :].strip()
            if rest:
                raise InputError(f"{shown}: unexpected data after the JSON array")
            return
        while True:
            try:
                value, end = decoder.raw_decode(buf, pos)
                break
            except json.JSONDecodeError as exc:
                if len(buf) - pos > limit:
                    raise LimitError(
                        f"{shown}: record {record + 1} is longer than {limit:,} bytes, over "
                        "the limit for one record (max_field_chars)"
                    ) from None
                if eof or not fill():
                    raise InputError(
                        f"{shown}: record {record + 1} is not valid JSON: {exc.msg} "
                        "(the file looks truncated or malformed)"
                    ) from None
            except RecursionError:
                raise InputError(f"{shown}: record {record + 1} is nested too deeply") from None
        if end - pos > limit:
            raise LimitError(
                f"{shown}: record {record + 1} is longer than {limit:,} bytes, over the "
                "limit for one record (max_field_chars)"
            )
        record += 1
        yield record, value
        buf, pos = buf[end:], 0


# --- flattening -------------------------------------------------------------------------


def _d(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, dict) else {}


def _l(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _s(value: Any) -> str | None:
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
        users = {_s(_d(u).get("id")): _d(u) for u in _l(_d(value.get("includes")).get("users"))}
        for tweet in _l(value["data"]):
            if isinstance(tweet, dict):
                yield _v2_tweet(tweet, users)
    elif isinstance(value, dict):
        yield _v2_tweet(value, {})


def _v2_tweet(
    tweet: Mapping[str, Any], users: Mapping[str | None, Mapping[str, Any]]
) -> dict[str, Any]:
    refs: dict[str, str | None] = {}
    for ref in _l(tweet.get("referenced_tweets")):
        ref = _d(ref)
        kind = _s(ref.get("type"))
        if kind:
            refs[kind] = _s(ref.get("id"))
    entities = _d(tweet.get("entities"))
    author_id = _s(tweet.get("author_id"))
    author = _d(tweet.get("author")) or users.get(author_id, {})
    post_id = _s(tweet.get("id"))
    return {
        "post_id": post_id,
        "account_id": author_id,
        "created_at": _s(tweet.get("created_at")) or _snowflake_time(post_id),
        "text": _s(tweet.get("text")),
        "urls": [
            _s(_d(u).get("expanded_url")) or _s(_d(u).get("url")) for u in _l(entities.get("urls"))
        ],
        "hashtags": [_s(_d(h).get("tag")) for h in _l(entities.get("hashtags"))],
        "image_hashes": [_s(k) for k in _l(_d(tweet.get("attachments")).get("media_keys"))],
        "repost_of": refs.get("retweeted"),
        "reply_to": refs.get("replied_to"),
        "account_created_at": _s(author.get("created_at")),
        "account_name": _s(author.get("username")),
        "platform": "twitter",
    }


def twitter_v1_record(tweet: Mapping[str, Any]) -> dict[str, Any]:
    user = _d(tweet.get("user"))
    retweeted = _d(tweet.get("retweeted_status"))
    extended = _d(tweet.get("extended_tweet"))
    text = _s(tweet.get("full_text")) or _s(extended.get("full_text")) or _s(tweet.get("text"))
    entities = _d(extended.get("entities")) or _d(tweet.get("entities"))
    media = _l(_d(tweet.get("extended_entities")).get("media")) or _l(entities.get("media"))
    post_id = _s(tweet.get("id_str"))
    return {
        "post_id": post_id,
        "account_id": _s(user.get("id_str")) or _s(user.get("id")),
        "created_at": _s(tweet.get("created_at")) or _snowflake_time(post_id),
        "text": text,
        "urls": [
            _s(_d(u).get("expanded_url")) or _s(_d(u).get("url")) for u in _l(entities.get("urls"))
        ],
        "hashtags": [_s(_d(h).get("text")) for h in _l(entities.get("hashtags"))],
        "image_hashes": [_s(_d(m).get("id_str")) for m in media],
        "repost_of": _s(retweeted.get("id_str")),
        "reply_to": _s(tweet.get("in_reply_to_status_id_str")),
        "account_created_at": _s(user.get("created_at")),
        "account_name": _s(user.get("screen_name")),
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
