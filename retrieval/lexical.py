"""Word-level relevance: stemmed content words, and how much of a question a sentence covers."""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from functools import lru_cache

import snowballstemmer

STOPWORDS = frozenset(
    """a about above after again against all am an and any are as at be because been before
    being below between both but by can could did do does doing down during each few for from
    further had has have having he her here hers herself him himself his how i if in into is it
    its itself just me more most my myself no nor not now of off on once only or other our ours
    ourselves out over own she should so some such than that the their theirs them
    themselves then there these they this those through to too under until up very was we were
    what when where which while who whom why will with would you your yours yourself yourselves
    tell me please show give list explain describe many much""".split()
)
_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)?", re.UNICODE)
_ACRONYM_PLURAL = re.compile(r"[A-Z]{2,}s")  # NDAs, URLs: the stemmer would keep the s

# Irregular past forms the stemmer cannot join to their verb ("paid" and "pay").
IRREGULAR = {
    form: base
    for base, forms in {
        "pay": "paid",
        "say": "said",
        "make": "made",
        "run": "ran",
        "begin": "began begun",
        "take": "took taken",
        "give": "gave given",
        "write": "wrote written",
        "send": "sent",
        "spend": "spent",
        "buy": "bought",
        "sell": "sold",
        "leave": "left",
        "lose": "lost",
        "win": "won",
        "bring": "brought",
        "think": "thought",
        "find": "found",
        "hold": "held",
        "keep": "kept",
        "meet": "met",
        "build": "built",
        "choose": "chose chosen",
        "know": "knew known",
        "grow": "grew grown",
        "hide": "hid hidden",
        "steal": "stole stolen",
        "strike": "struck",
        "fall": "fell fallen",
        "flee": "fled",
        "go": "went gone",
        "see": "saw seen",
        "get": "got gotten",
        "come": "came",
        "become": "became",
        "speak": "spoke spoken",
        "tell": "told",
    }.items()
    for form in forms.split()
}
_stemmer = snowballstemmer.stemmer("english")


@lru_cache(maxsize=65536)
def _stem(word: str) -> str:
    return str(_stemmer.stemWord(word))


# Words people use interchangeably about coordinated posting, joined so that "which accounts
# pushed the same link?" matches "posted the same URL" (stem -> the stem it counts as).
SYNONYMS = {
    "push": "post",
    "share": "post",
    "spread": "post",
    "amplifi": "post",
    "promot": "post",
    "tweet": "post",
    "publish": "post",
    "ident": "same",
    "duplic": "same",
    "url": "link",
}


def content_stems(text: str) -> list[str]:
    """Stems of the non-stopword words of `text`, in order (numbers kept as they are)."""
    out = []
    for raw in _WORD.findall(text):
        token = raw[:-1] if _ACRONYM_PLURAL.fullmatch(raw) else raw
        word = token.lower().replace("’", "'").removesuffix("'s")
        if word not in STOPWORDS:
            stem = _stem(IRREGULAR.get(word, word))
            out.append(SYNONYMS.get(stem, stem))
    return out


def idf_weights(documents: Sequence[Iterable[str]]) -> dict[str, float]:
    """Smoothed inverse document frequency over a small set of stem lists."""
    n = len(documents)
    df: dict[str, int] = {}
    for doc in documents:
        for stem in set(doc):
            df[stem] = df.get(stem, 0) + 1
    return {stem: math.log(1.0 + (n + 1) / (count + 0.5)) for stem, count in df.items()}


def coverage(query: Sequence[str], sentence: Iterable[str], idf: dict[str, float]) -> float:
    """Share of the question's (idf-weighted) stems that the sentence contains, 0..1."""
    wanted = set(query)
    if not wanted:
        return 0.0
    have = set(sentence)
    default = max(idf.values(), default=1.0)  # a stem absent from every candidate is rare
    total = sum(idf.get(s, default) for s in wanted)
    return sum(idf.get(s, default) for s in wanted & have) / total


def jaccard(a: Iterable[str], b: Iterable[str]) -> float:
    sa, sb = set(a), set(b)
    return len(sa & sb) / len(sa | sb) if sa or sb else 0.0
