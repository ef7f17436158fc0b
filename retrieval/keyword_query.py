"""Keyword queries for the catalog's FTS5 index: a question's content words, and the OR-query
of them (BM25 ranks the matches, see Catalog.keyword_search)."""

from __future__ import annotations

import re
from collections.abc import Sequence

from retrieval.lexical import STOPWORDS

_FTS_TOKEN = re.compile(r"\w+", re.UNICODE)


# How many times `limit` matches FTS5 ranks before the scope filter (see keyword_search).
KEYWORD_POOL = 4


def fts_terms(text: str, max_terms: int = 32) -> list[str]:
    """The content words of `text` for a keyword query, each once, in order.

    Stopwords are left out: they match most rows, which costs time (5x at 50,000 chunks)
    and adds nothing to BM25's ranking. So are single ASCII letters, the halves of
    contractions and initials ("don't" gives "t", "U.S." gives "s")."""
    terms: list[str] = []
    for word in _FTS_TOKEN.findall(text.lower()):
        if len(word) == 1 and word.isascii() and word.isalpha():
            continue
        if word not in terms and word not in STOPWORDS:
            terms.append(word)
    return terms[:max_terms]


def fts_query(terms: Sequence[str]) -> str:
    """An FTS5 OR-query of `terms`, each quoted so none is an operator."""
    return " OR ".join('"' + t.replace('"', '""') + '"' for t in terms)
