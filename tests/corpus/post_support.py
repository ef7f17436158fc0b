"""Posts as Python records, for tests that compare what a load kept field by field.

The product never needs them: loads leave canonical rows in DuckDB, and every consumer reads
those with SQL. (Moved here from corpus/posts, issue 14: test-only code out of the product.)
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from corpus.posts.load import load_posts
from corpus.posts.records import LoadReport, PostLimits


@dataclass(frozen=True)
class Post:
    """One post in canonical form (DESIGN.md, "Canonical post columns")."""

    post_id: str
    account_id: str
    created_at: datetime
    text: str | None = None
    urls: tuple[str, ...] = ()
    hashtags: tuple[str, ...] = ()
    image_hashes: tuple[str, ...] = ()
    repost_of: str | None = None
    reply_to: str | None = None
    account_created_at: datetime | None = None
    account_name: str | None = None
    platform: str | None = None
    domains: tuple[str, ...] = ()
    image_files: tuple[str, ...] = ()
    image_urls: tuple[str, ...] = ()


def read_posts(
    path: Path,
    *,
    limits: PostLimits,
    mapping: Mapping[str, str] | None = None,
    strict: bool = False,
) -> tuple[list[Post], LoadReport]:
    """Every post of a (small) file as `Post` records, in file order."""
    con = duckdb.connect()
    try:
        report = load_posts(path, con, limits=limits, mapping=mapping, strict=strict)
        return list(iter_posts(con, "clean_posts")), report
    finally:
        con.close()


def iter_posts(con: duckdb.DuckDBPyConnection, relation: str) -> Iterator[Post]:
    """Posts of a relation with the canonical columns, in source order."""
    cur = con.execute(
        "SELECT post_id, account_id, t, text, urls, hashtags, image_hashes, repost_of, "
        "reply_to, account_created_at, account_name, platform, domains, image_files, "
        "image_urls "
        f"FROM {relation} ORDER BY row"
    )
    while rows := cur.fetchmany(10_000):
        for r in rows:
            yield Post(
                post_id=r[0],
                account_id=r[1],
                created_at=datetime.fromtimestamp(r[2], UTC),
                text=r[3],
                urls=tuple(r[4] or ()),
                hashtags=tuple(r[5] or ()),
                image_hashes=tuple(r[6] or ()),
                repost_of=r[7],
                reply_to=r[8],
                account_created_at=None if r[9] is None else datetime.fromtimestamp(r[9], UTC),
                account_name=r[10],
                platform=r[11],
                domains=tuple(r[12] or ()),
                image_files=tuple(r[13] or ()),
                image_urls=tuple(r[14] or ()),
            )
