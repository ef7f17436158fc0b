"""Post-dataset formats: what a file is, its CSV dialect, and which column feeds which field.

Nothing here reads a whole file: detection looks at the first bytes, the CSV dialect at a
bounded sample. Column mapping is by name (known aliases, then the user's `--map`), so the
same rules serve CSV headers, Parquet schemas and JSON keys.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from common.errors import Hint, InputError, LimitError

# Every field a post can carry, once: (name, shape, role). The shape says how it is read (a
# time, a list of strings, else one string); the role whether it is part of the canonical
# record (DESIGN.md), which is also the column list of generated datasets, and whether posts
# can be compared by it. Besides the canonical record: `domains`, explicit link domains,
# which some exports (CooRTweet's german_elections) carry instead of, or besides, the URL;
# `image_files` (paths relative to the dataset file) and `image_urls`, whose images Chorus
# hashes; `image_phashes`, 64-bit perceptual hashes the data already carries (16 hex digits),
# matched like the ones Chorus computes.
_CANONICAL, _EXTRA, _SIGNAL = "canonical", "extra", "signal"
POST_FIELDS: tuple[tuple[str, str, frozenset[str]], ...] = tuple(
    (name, shape, frozenset(roles.split()))
    for name, shape, roles in (
        ("post_id", "one", _CANONICAL),
        ("account_id", "one", _CANONICAL),
        ("created_at", "time", _CANONICAL),
        ("text", "one", f"{_CANONICAL} {_SIGNAL}"),
        ("urls", "list", f"{_CANONICAL} {_SIGNAL}"),
        ("hashtags", "list", f"{_CANONICAL} {_SIGNAL}"),
        ("image_hashes", "list", f"{_CANONICAL} {_SIGNAL}"),
        ("repost_of", "one", f"{_CANONICAL} {_SIGNAL}"),
        ("reply_to", "one", f"{_CANONICAL} {_SIGNAL}"),
        ("account_created_at", "time", _CANONICAL),
        ("account_name", "one", _CANONICAL),
        ("platform", "one", _CANONICAL),
        ("domains", "list", f"{_EXTRA} {_SIGNAL}"),
        ("image_files", "list", f"{_EXTRA} {_SIGNAL}"),
        ("image_urls", "list", f"{_EXTRA} {_SIGNAL}"),
        ("image_phashes", "list", f"{_EXTRA} {_SIGNAL}"),
    )
)
CANONICAL_FIELDS: tuple[str, ...] = tuple(n for n, _, r in POST_FIELDS if _CANONICAL in r)
EXTRA_FIELDS: tuple[str, ...] = tuple(n for n, _, r in POST_FIELDS if _EXTRA in r)
ALL_FIELDS: tuple[str, ...] = CANONICAL_FIELDS + EXTRA_FIELDS
LIST_FIELDS: frozenset[str] = frozenset(n for n, shape, _ in POST_FIELDS if shape == "list")
TIME_FIELDS: frozenset[str] = frozenset(n for n, shape, _ in POST_FIELDS if shape == "time")
REQUIRED_FIELDS: tuple[str, ...] = ("account_id", "created_at")
# At least one of these must be present, or there is nothing to compare posts by.
SIGNAL_FIELDS: tuple[str, ...] = tuple(n for n, _, r in POST_FIELDS if _SIGNAL in r)

# Known column names, most specific first, compared by name_key (so `AuthorID`, `author_id`
# and `author.id` are one name). A column feeds one field only; fields are resolved in
# ALL_FIELDS order, so an id column (`AuthorID`) becomes the account and the display name
# (`Author`) its name: display names are not unique, and raiders share one on purpose.
ALIASES: dict[str, tuple[str, ...]] = {
    "post_id": (
        "post_id",
        "id",
        "tweet_id",
        "message_id",
        "status_id",
        "content_id",
        "id_str",
        "row_id",
    ),
    "account_id": (
        "account_id",
        "user_id",
        "author_id",
        "userid",
        "user_id_str",
        "member_id",
        "sender_id",
        "owner_id",
        "account",
        "user",
        "author",
    ),
    "created_at": (
        "created_at",
        "timestamp",
        "timestamp_share",
        "time",
        "datetime",
        "date",
        "published_at",
        "publish_date",
        "posted_at",
        "tweet_time",
        "created",
    ),
    "text": ("text", "content", "message", "full_text", "body", "tweet_text", "post_text"),
    "urls": ("urls", "url", "links", "link", "expanded_urls", "url_id"),
    "hashtags": ("hashtags", "hashtag", "tags", "hashtag_id"),
    "image_hashes": ("image_hashes", "image_hash", "phash", "phash_id", "media_hash", "image_id"),
    "repost_of": (
        "repost_of",
        "repost_id",
        "retweet_id",
        "retweeted_id",
        "retweeted_status_id",
        "referenced_tweets.retweeted.id",
        "object_id",
        "shared_id",
    ),
    "reply_to": (
        "reply_to",
        "reply_id",
        "in_reply_to",
        "in_reply_to_status_id",
        "in_reply_to_tweet_id",
        "referenced_tweets.replied_to.id",
        "replied_to_id",
    ),
    "account_created_at": (
        "account_created_at",
        "user_created_at",
        "author.created_at",
        "account_creation_date",
        "author_created_at",
    ),
    "account_name": (
        "account_name",
        "username",
        "screen_name",
        "user_name",
        "user_screen_name",
        "author.username",
        "author.name",
        "user.name",
        "author_name",
        "author",
        "name",
    ),
    "platform": ("platform", "source_platform"),
    "image_files": ("image_files", "image_file", "media_files", "media_file", "image_path"),
    "image_urls": (
        "image_urls",
        "image_url",
        "media_urls",
        "media_url",
        "media_url_https",
        "photo_url",
    ),
    "domains": ("domains", "domain", "domain_id"),
    "image_phashes": ("image_phashes", "image_phash", "phashes"),
}

TOOLKIT_COLUMNS = (
    "message_id",
    "user_id",
    "username",
    "repost_id",
    "reply_id",
    "message",
    "timestamp",
    "urls",
)
# The layout of a file whose columns were matched to fields by their names (aliases): the
# load report then says which column feeds which field, since that was a guess.
MAPPED_BY_NAME = "columns mapped by name"
DELIMITERS = (",", "\t", ";", "|")
SAMPLE_BYTES = 256 * 1024
MAX_HEADER_BYTES = 1024 * 1024


@dataclass(frozen=True)
class FileKind:
    """What the first bytes say a file is."""

    kind: str  # "csv", "json", "parquet", "gzip"


@dataclass(frozen=True)
class CsvDialect:
    delimiter: str
    columns: tuple[str, ...]  # unique, non-empty names, in file order


@dataclass(frozen=True)
class ColumnMapping:
    """field -> source column, and how the layout was recognised (for the load report)."""

    fields: dict[str, str]
    layout: str


# Reporting documents, never posts (content sniffing would read them as one-column CSV).
# Not .txt: Excel saves a tab-separated table as .txt.
DOCUMENT_SUFFIXES = frozenset(
    {".md", ".markdown", ".html", ".htm", ".pdf", ".doc", ".docx", ".odt", ".rtf"}
)


def refuse_documents(name: str, shown: str) -> None:
    """A reporting document given as a post dataset: refused by its name (also as .gz)."""
    inner = PurePosixPath(name.lower())
    if inner.suffix == ".gz":
        inner = inner.with_suffix("")
    if inner.suffix in DOCUMENT_SUFFIXES:
        raise InputError(
            f"{shown} is not a posts file (CSV, JSON, JSON Lines, Parquet, optionally .gz): use ",
            Hint.command("ingest"),
            " for reporting",
        )


def detect_kind(path: Path, shown: str) -> FileKind:
    """Classify a file by its first bytes; refuse the kinds Chorus cannot read safely."""
    with path.open("rb") as f:
        head = f.read(4096)
    if not head:
        raise InputError(f"{shown} is empty")
    if head.startswith(b"PAR1"):
        return FileKind("parquet")
    if head.startswith(b"\x1f\x8b"):
        return FileKind("gzip")
    if head.startswith((b"PK\x03\x04", b"BZh", b"\xfd7zXZ", b"\x28\xb5\x2f\xfd", b"7z\xbc\xaf")):
        raise InputError(
            f"{shown} is an archive or compressed file other than gzip; "
            "unpack it and give the CSV, JSON Lines or Parquet file itself"
        )
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise InputError(f"{shown} is UTF-16 text; save it as UTF-8 and try again")
    if b"\x00" in head:
        raise InputError(f"{shown} contains NUL bytes: it is not a text file (CSV, JSON Lines)")
    first = head.lstrip(b"\xef\xbb\xbf \t\r\n")[:1]
    if first in (b"{", b"["):
        return FileKind("json")
    return FileKind("csv")


def _decode_sample(raw: bytes, shown: str, complete: bool) -> str:
    if not complete:
        # Cut at the last newline so a multi-byte character or a row is never split.
        cut = raw.rfind(b"\n")
        raw = raw[: cut + 1] if cut >= 0 else raw
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise InputError(
            f"{shown} is not UTF-8 text (line {line}, byte {exc.start}); save it as UTF-8"
        ) from None


def sniff_csv(path: Path, shown: str, *, max_columns: int) -> CsvDialect:
    """Find the delimiter and the header from a bounded sample (DuckDB's own sniffer can
    exhaust memory on hostile rows, so it is never run on the file itself)."""
    with path.open("rb") as f:
        raw = f.read(SAMPLE_BYTES + 1)
        complete = len(raw) <= SAMPLE_BYTES
        if b"\n" not in raw and not complete:
            more = f.read(MAX_HEADER_BYTES - len(raw))
            raw += more
            if b"\n" not in raw and len(raw) >= MAX_HEADER_BYTES:
                raise LimitError(
                    f"{shown}: the first line is longer than {MAX_HEADER_BYTES:,} bytes; "
                    "a CSV header that long is not a post dataset"
                )
            complete = not more or len(raw) < MAX_HEADER_BYTES
    if b"\x00" in raw:
        raise InputError(f"{shown} contains NUL bytes: it is not a text file (CSV, JSON Lines)")
    sample = _decode_sample(raw, shown, complete)
    if not sample.strip():
        raise InputError(f"{shown} has no header row and no data")
    best: tuple[float, int, str, list[str]] | None = None
    for delim in DELIMITERS:
        header, consistency = _try_delimiter(sample, delim)
        if header is None:
            continue
        score = (consistency, len(header), delim, header)
        if best is None or score[:2] > best[:2]:
            best = score
    if best is None:
        raise InputError(f"{shown} could not be read as CSV: no row could be parsed")
    header = best[3]
    if len(header) > max_columns:
        raise LimitError(
            f"{shown} has {len(header):,} columns, over the limit of {max_columns:,} (max_columns)"
        )
    return CsvDialect(best[2], _unique_names(header))


def _try_delimiter(sample: str, delim: str) -> tuple[list[str] | None, float]:
    try:
        rows = list(csv.reader(io.StringIO(sample), delimiter=delim, quotechar='"', strict=False))
    except csv.Error:
        return None, 0.0
    rows = [r for r in rows if r]
    if not rows:
        return None, 0.0
    header = rows[0]
    body = rows[1:-1] if len(rows) > 2 else rows[1:]  # the last sample row may be cut
    if not body:
        return header, 1.0 if len(header) > 1 else 0.5
    same = sum(1 for r in body if len(r) == len(header))
    consistency = same / len(body)
    if len(header) == 1:
        consistency *= 0.5  # a delimiter that splits nothing is the weakest explanation
    return header, consistency


def _unique_names(header: Sequence[str]) -> tuple[str, ...]:
    seen: dict[str, int] = {}
    names: list[str] = []
    for i, raw in enumerate(header, start=1):
        name = raw.strip() or f"column{i}"
        key = name.lower()
        if key in seen:
            seen[key] += 1
            name = f"{name}_{seen[key]}"
            key = name.lower()
        seen[key] = seen.get(key, 1)
        names.append(name)
    return tuple(names)


def name_key(name: str) -> str:
    """A column name as aliases are compared: case, spaces, `_`, `-` and `.` do not count."""
    return "".join(ch for ch in name.lower() if ch.isalnum())


def resolve_mapping(
    columns: Sequence[str], user_mapping: Mapping[str, str], shown: str
) -> ColumnMapping:
    """Decide which column feeds each canonical field; explain any failure with the columns
    that were found."""
    found = ", ".join(columns) if columns else "(none)"
    by_lower: dict[str, str] = {}
    by_key: dict[str, str] = {}
    for col in columns:
        by_lower.setdefault(col.strip().lower(), col)
        by_key.setdefault(name_key(col), col)
    fields: dict[str, str] = {}
    claimed: set[str] = set()
    for field, column in user_mapping.items():
        if field not in ALL_FIELDS:
            raise InputError(
                Hint.option("map", f"{field}={column}"),
                f": {field!r} is not a post field; fields are {', '.join(ALL_FIELDS)}",
            )
        actual = column if column in columns else by_lower.get(column.strip().lower())
        if actual is None:
            raise InputError(
                Hint.option("map", f"{field}={column}"),
                f": {shown} has no column {column!r}; columns found: {found}",
            )
        fields[field] = actual
        claimed.add(actual)
    for field in ALL_FIELDS:
        if field in fields:
            continue
        for alias in ALIASES[field]:
            found_col = by_lower.get(alias) or by_key.get(name_key(alias))
            if found_col is not None and found_col not in claimed:
                fields[field] = found_col
                claimed.add(found_col)
                break
    for field in REQUIRED_FIELDS:
        if field not in fields:
            raise InputError(
                f"{shown} has no {field} column (looked for "
                f"{', '.join(ALIASES[field][:6])}); map one with ",
                Hint.option("map", f"{field}=COLUMN"),
                f". Columns found: {found}",
            )
    if not any(f in fields for f in SIGNAL_FIELDS):
        raise InputError(
            f"{shown} has no column to compare posts by ({', '.join(SIGNAL_FIELDS)}); "
            "map one with ",
            Hint.option("map", "FIELD=COLUMN"),
            f". Columns found: {found}",
        )
    return ColumnMapping(fields, _layout(columns, fields, bool(user_mapping)))


def _layout(columns: Sequence[str], fields: Mapping[str, str], mapped: bool) -> str:
    lower = tuple(c.lower() for c in columns)
    if lower == TOOLKIT_COLUMNS:
        return "coordination-network-toolkit CSV"
    if {"object_id", "account_id", "content_id", "timestamp_share"} <= set(lower):
        return "CooRTweet object table"
    if {"account_id", "post_id", "timestamp"} <= set(lower) and any(
        c.endswith("_id") and c not in ("account_id", "post_id") for c in lower
    ):
        return "CooRTweet multi-object table"
    if all(fields.get(f) == f for f in fields if f in CANONICAL_FIELDS):
        return "canonical columns"
    return MAPPED_BY_NAME + (" and --map" if mapped else "")
