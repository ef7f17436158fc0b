"""Links and hashtags written inside a post's text, for datasets that carry no urls or
hashtags column (a Discord export has only the message). One link reader serves the load
and the question parser (patterns/question_kinds.py), so a link a question names is found
the way posts were read."""

from __future__ import annotations

import re

import duckdb
import pyarrow as pa

from corpus.posts.readers import in_file_order

# A link written without a scheme ("kesslingtruth.org/petition", "discord.gg/abc"): a host
# and a path. A bare host needs a common top-level domain, so "posts.csv" stays a file name;
# "e.g." and "8.6 s" have no two-letter label; an e-mail address is not a host (the @).
BARE_LINK = re.compile(
    r"(?<![\w@/.#:-])(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+"
    r"(?:[a-z]{2,}/[^\s<>\"'“”‘’]*|(?:com|org|net|info|news|io|co|uk|de|fr|ru|eu|gov|edu|"
    r"me|tv|ly|us|ca|au|in|nl|it|es|pl|biz|online|site|xyz)\b(?!\.?\w))",
    re.IGNORECASE,
)
# Any link: with a scheme, from "www.", or bare. Scheme first, so "https://x.com/a" is one
# link, not also "x.com/a".
LINK = re.compile(
    r"(?<![\w@])(?:https?://|www\.)[^\s<>\"'“”‘’]+|" + BARE_LINK.pattern, re.IGNORECASE
)
# Sentence punctuation and Discord markdown (**bold**, ||spoiler||, ~~strike~~) around a link.
_TRAILING = ".,;:!?]}\"'’”*_~|"
# A hashtag needs a letter: "#1", Discord's channel mention "<#1234>" and "&#39;" are not.
_HASHTAG = re.compile(r"(?<![\w&#/])#(\w*[^\W\d_]\w*)")
# Rows worth reading in Python: those that may hold a link or a hashtag (RE2, in DuckDB).
_MAY_HOLD = r"(?i)https?://|www\.|[a-z0-9]\.[a-z]{2,}|#\w"


def _trimmed(link: str) -> str:
    """`link` without the punctuation that closes its sentence; a ")" stays when the link
    opened one ("wiki/Foo_(bar)")."""
    while link:
        closes = link[-1] == ")" and link.count("(") < link.count(")")
        if link[-1] in _TRAILING or closes:
            link = link[:-1]
        else:
            break
    return link


def links_in(text: str) -> list[str]:
    """The links in `text` as written (trailing punctuation removed), first seen first,
    each once."""
    out: list[str] = []
    for m in LINK.finditer(text):
        link = _trimmed(m.group(0))
        if link.lower() not in ("http://", "https://", "www") and link not in out:
            out.append(link)
    return out


def first_link(text: str) -> str | None:
    """The first link in `text`, or None."""
    found = links_in(text)
    return found[0] if found else None


def hashtags_in(text: str) -> list[str]:
    """The hashtags in `text` without their "#", outside its links ("x.com/a#top" is a
    fragment), first seen first, each once as written."""
    out: list[str] = []
    for m in _HASHTAG.finditer(LINK.sub(" ", text)):
        if m.group(1) not in out:
            out.append(m.group(1))
    return out


def fill_from_text(
    con: duckdb.DuckDBPyConnection, fields: set[str], *, max_items: int
) -> dict[str, int]:
    """Fill `fields` ("urls", "hashtags") of the staged rows in _src from their text, and
    return how many posts got at least one of each. At most `max_items` per post are kept
    (what a column may hold): one spam message does not refuse the whole file."""
    if not fields:
        return {}
    rows = con.execute(
        "SELECT rowid, text FROM _src WHERE text IS NOT NULL AND regexp_matches(text, ?)",
        [_MAY_HOLD],
    ).fetchall()
    rids: list[int] = []
    got: dict[str, list[list[str] | None]] = {f: [] for f in sorted(fields)}
    for rid, text in rows:
        found = {
            "urls": links_in(text)[:max_items] if "urls" in fields else [],
            "hashtags": hashtags_in(text)[:max_items] if "hashtags" in fields else [],
        }
        if not any(found[f] for f in fields):
            continue
        rids.append(int(rid))
        for f, column in got.items():
            column.append(found[f] or None)
    counts = {f: sum(1 for v in column if v) for f, column in got.items()}
    if not rids:
        return counts
    table = pa.table(
        {"rid": pa.array(rids, pa.int64())}
        | {f: pa.array(v, pa.list_(pa.string())) for f, v in got.items()}
    )
    con.register("_text_items_in", table)
    # Rewritten in file order, not updated: an UPDATE moves the rows it changes to the end,
    # and a row's position is its row number in the file (readers.py).
    filled = ", ".join(f"coalesce(x.{f}, s.{f}) AS {f}" for f in got)
    try:
        with in_file_order(con):
            con.execute(
                f"CREATE OR REPLACE TEMP TABLE _src AS SELECT s.* REPLACE ({filled}) "
                "FROM _src s LEFT JOIN _text_items_in x ON x.rid = s.rowid ORDER BY s.rowid"
            )
    finally:
        con.unregister("_text_items_in")
    return counts
