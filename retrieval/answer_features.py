"""What the sentence scorer reads about a question and a candidate quote, as numbers.

One row per candidate quote (a sentence, or a sentence with the one it leans back on):
meaning (MiniLM cosine of question and quote, and of question and chunk), shared words
(stemmed, idf-weighted), whether the quote holds the kind of thing the question asks for
(a name for "who", a date for "when", a number for "how many", money for "how much ... paid"),
whether it names the role a "who is the X of Y" question asks about, and the heading above it.
The joint part of the vectors (q * s and |q - s|) is appended for scorers that read them (see
sentence_scorer.py).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import pairwise
from typing import Final

import numpy as np

from retrieval.lexical import STOPWORDS, content_stems, coverage

FEATURES: Final = (
    "sent_cos",
    "chunk_cos",
    "coverage",
    "overlap",
    "bigrams",
    "novel",
    "log_len",
    "cos_margin",
    "cov_margin",
    "wants_number",
    "wants_date",
    "wants_name",
    "wants_money",
    "type_met",
    "type_unmet",
    "heading_cov",
    "leans_back",
    "q_len",
    "focus_unmet",
    "soft_cov",
)
# Bumped whenever a feature is computed differently, so cached feature rows are not reused.
FEATURES_VERSION: Final = 3

_WH_NUMBER = re.compile(
    r"\bhow (?:many|much|long|far|old|big|large|often|tall|high)\b|\bwhat (?:number|percentage|"
    r"share|proportion|amount)\b|\bhow much\b",
    re.I,
)
_WH_DATE = re.compile(
    r"\bwhen\b|\b(?:what|which) (?:year|date|day|month|time|decade|century)\b|\bhow recently\b"
    r"|\bsince when\b",
    re.I,
)
# "Which newspaper ...", "what federal agency ...": a question asking which named thing (users
# ask so where SQuAD says "who"); the answer holds a name the question does not say. One word
# may come between, but not a verb ("what did people say" asks for no name).
_VERB = r"(?:is|are|was|were|did|do|does|has|have|had|can|could|will|would|should)\b"
_WHICH = r"\b(?:which|what) (?:(?!" + _VERB + r")[a-z]+ )?"
_WH_NAME = re.compile(
    r"\bwho(?:m|se)?\b|" + _WHICH + r"(?:person|people|company|companies|group|groups|"
    r"organi[sz]ations?|newspapers?|paper|outlets?|networks?|platforms?|sites?|websites?|"
    r"body|bodies|agency|agencies|firms?|consultancy|regulators?|team|lab|party|parties|"
    r"official|officials|brand|app)\b",
    re.I,
)
_WH_WHERE = re.compile(
    r"\bwhere\b|" + _WHICH + r"(?:city|cities|town|towns|village|country|countries|state|"
    r"states|place|places|region|county|area|district|street|neighbou?rhood)\b",
    re.I,
)
_NAME_OF = re.compile(r"\bnames? of\b|\bname the\b|\b(?:is|was) (?:his|her|their|its) name\b", re.I)
# "Who is the lead analyst at X?", "What is the name of the CEO of Y?": the question names the
# role whose holder it asks for; a quote that never says the role ("analyst", "CEO") does not
# answer it, whatever names it holds.
_ROLE = re.compile(
    r"^\s*(?:(?:who|whom)\s+(?:is|was|are|were|has been|will be)\s+"
    r"|(?:what|which)\s+(?:is|was|are|were)\s+(?:the\s+)?names?\s+of\s+)"
    r"(?:(?:the|a|an|its|their|his|her|our)\s+|(?:[\w.&\-]+\s+){0,3}?[\w.&\-]+['’]s?\s+)"
    r"(?P<role>(?:[\w\-]+\s+){0,2}?[\w\-]+)"
    r"(?=\s+(?:of|at|in|for|on|from|behind|with|to|who|that|when|during)\b|\s*[?.!]*\s*$)",
    re.I,
)
_MONEY_Q = re.compile(r"\b(?:pay|paid|cost|spen[dt]|earn|worth|price|salary|receive|fund)", re.I)

NUMBER_WORDS: Final = (
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
    "fifteen sixteen seventeen eighteen nineteen twenty thirty forty fifty sixty seventy eighty "
    "ninety hundred hundreds thousand thousands million millions billion billions dozen dozens "
    "half twice"
).split()
_NUMBER = re.compile(r"\d|\b(?:" + "|".join(NUMBER_WORDS) + r")\b", re.I)
_MONTHS = (
    "january february march april may june july august september october november december "
    "jan feb mar apr jun jul aug sep sept oct nov dec"
).split()
_DATE = re.compile(
    r"\b(?:1[5-9]\d\d|20\d\d)s?\b|\b(?:" + "|".join(_MONTHS) + r")\b\.?|\d{4}-\d\d-\d\d"
    r"|\b(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday|yesterday|today)\b"
    r"|\b(?:century|decade)\b",
    re.I,
)
_MONEY = re.compile(r"[$€£¥]\s?\d|\b\d[\d,.]*\s?(?:dollars|euros|pounds|usd|eur|gbp)\b", re.I)
_CAPITALISED = re.compile(r"\b[A-Z][\w’'\-]+")
# Capitalised words that name no one and nowhere: "founded in January" does not answer "who".
NOT_NAMES: Final = frozenset(
    _MONTHS + "monday tuesday wednesday thursday friday saturday sunday".split()
)
_SENTENCE_START = re.compile(r"(?:^|[.!?:;\"“”]\s+|\n\s*)\Z")
_NAME_AFTER = re.compile(r",| [A-Z]")
_OPENERS: Final = STOPWORDS | frozenset(
    "according after although as at before but during however if in on since so then there "
    "this while yet also now later many most some several one two three last earlier "
    "meanwhile still instead both each every its their his her our".split()
)
# "When" is also answered by a relative time: "within an hour", "the night before", "at 11:40".
_RELATIVE_TIME = re.compile(
    r"\b(?:hours?|minutes?|days?|weeks?|months?|years?|nights?|morning|evening|afternoon|noon"
    r"|midnight|tonight|ago|weekend)\b|\b\d{1,2}[:.]\d\d\b|\b[ap]\.m\.",
    re.I,
)


@dataclass(frozen=True)
class QuestionInfo:
    """What is computed once per question."""

    stems: tuple[str, ...]
    vector: np.ndarray
    wants_number: bool
    wants_date: bool
    wants_name: bool
    wants_money: bool
    words: frozenset[str]  # lower-cased words, to tell a new name from one the question says
    focus: tuple[str, ...] = ()  # the stem of the role asked about ("who is the CEO of ...")


def role_asked(question: str) -> tuple[str, ...]:
    """The stem of the role whose holder a question asks for, or () (see _ROLE)."""
    m = _ROLE.search(question)
    if not m:
        return ()
    words = m.group("role").split()
    while len(words) > 1 and re.search(r"(?:ed|ing)$", words[-1], re.I):
        words.pop()  # "the retired teacher quoted in ...": the role ends before the participle
    return tuple(content_stems(words[-1]))


def question_info(question: str, stems: Sequence[str], vector: np.ndarray) -> QuestionInfo:
    how_much_money = bool(re.search(r"\bhow much\b", question, re.I)) and bool(
        _MONEY_Q.search(question)
    )
    return QuestionInfo(
        stems=tuple(stems),
        vector=vector,
        wants_number=bool(_WH_NUMBER.search(question)),
        wants_date=bool(_WH_DATE.search(question)),
        wants_name=bool(
            _WH_NAME.search(question) or _WH_WHERE.search(question) or _NAME_OF.search(question)
        ),
        wants_money=how_much_money,
        words=frozenset(w.lower() for w in re.findall(r"\w+", question)),
        focus=role_asked(question),
    )


def _has_new_name(text: str, words: frozenset[str]) -> bool:
    """A capitalised word that the question does not say, and not a month or weekday. One
    opening a sentence counts only when it reads as a name there: followed by a comma or
    another capitalised word ("Brightline, a consultancy, ...", "Piet Halloran said"), and
    not a word that often opens sentences ("Researchers found", "However, ...")."""
    for m in _CAPITALISED.finditer(text):
        word = m.group().lower()
        if word in words or word in NOT_NAMES:
            continue
        if _SENTENCE_START.search(text, max(0, m.start() - 3), m.start()) and (
            word in _OPENERS or not _NAME_AFTER.match(text, m.end())
        ):
            continue
        return True
    return False


SOFT_PREFIX: Final = 5  # stems sharing this many first letters count as the same word


def soft_coverage(query: Sequence[str], sentence: Iterable[str], idf: dict[str, float]) -> float:
    """Like `coverage`, but a question stem also counts when a sentence stem shares its first
    SOFT_PREFIX letters: users paraphrase with other forms of a word ("suspensions" and
    "suspending", "consultancy" and "consultant") that the stemmer keeps apart."""
    wanted = set(query)
    if not wanted:
        return 0.0
    have = set(sentence)
    prefixes = {h[:SOFT_PREFIX] for h in have if len(h) >= SOFT_PREFIX}
    default = max(idf.values(), default=1.0)
    total = sum(idf.get(s, default) for s in wanted)
    met = sum(
        idf.get(s, default)
        for s in wanted
        if s in have or (len(s) >= SOFT_PREFIX and s[:SOFT_PREFIX] in prefixes)
    )
    return met / total


def _bigrams(stems: Sequence[str]) -> set[tuple[str, str]]:
    return set(pairwise(stems))


@dataclass(frozen=True)
class Unit:
    """A candidate quote as the features see it."""

    text: str
    stems: tuple[str, ...]
    vector: np.ndarray
    chunk_cos: float
    heading_stems: tuple[str, ...]
    leans_back: bool


def feature_rows(q: QuestionInfo, units: Sequence[Unit], idf: dict[str, float]) -> np.ndarray:
    """One row of FEATURES per unit (float32)."""
    rows = np.zeros((len(units), len(FEATURES)), dtype=np.float32)
    if not units:
        return rows
    qset = set(q.stems)
    qbig = _bigrams(q.stems)
    cos = np.stack([u.vector for u in units]) @ q.vector
    covs = [coverage(q.stems, u.stems, idf) for u in units]
    best_cos = float(cos.max())
    best_cov = max(covs)
    for i, u in enumerate(units):
        have = set(u.stems)
        has_number = bool(_NUMBER.search(u.text))
        has_date = bool(_DATE.search(u.text) or _RELATIVE_TIME.search(u.text))
        has_name = _has_new_name(u.text, q.words)
        has_money = bool(_MONEY.search(u.text))
        wanted = [
            (q.wants_number, has_number),
            (q.wants_date, has_date),
            (q.wants_name, has_name),
            (q.wants_money, has_money),
        ]
        asked = [have_it for want, have_it in wanted if want]
        rows[i] = (
            float(cos[i]),
            u.chunk_cos,
            covs[i],
            len(qset & have) / len(qset) if qset else 0.0,
            len(qbig & _bigrams(u.stems)) / len(qbig) if qbig else 0.0,
            len(have - qset) / len(have) if have else 0.0,
            math.log1p(len(u.stems)),
            float(cos[i]) - best_cos,
            covs[i] - best_cov,
            float(q.wants_number and has_number),
            float(q.wants_date and has_date),
            float(q.wants_name and has_name),
            float(q.wants_money and has_money),
            float(bool(asked) and all(asked)),
            float(bool(asked) and not any(asked)),
            coverage(q.stems, u.heading_stems, idf) if u.heading_stems else 0.0,
            float(u.leans_back),
            math.log1p(len(qset)),
            float(bool(q.focus) and not set(q.focus) & (have | set(u.heading_stems))),
            soft_coverage(q.stems, u.stems, idf),
        )
    return rows


def joint_rows(q: np.ndarray, vectors: np.ndarray) -> np.ndarray:
    """The question and quote vectors read jointly: q * s and |q - s| (2 x 384 columns)."""
    return np.hstack([vectors * q, np.abs(vectors - q)]).astype(np.float32)
