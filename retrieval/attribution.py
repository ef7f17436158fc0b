"""Questions that ask who is behind something ("Who is behind #X?", "Who ran the
campaign?"), and the sentences that answer them: a sentence answers only if it names
someone the question does not (a capitalised word that is no month or weekday) and puts
the thing down to them ("run by", "behind", "paid", "hired" ...).

The sentence scorer counts any capitalised word as the name a "who" asks for, so "A wave
of posts with #X appeared on November 20." was quoted as the reporting's answer to "Who is
behind #X?". Where reporting is joined to a dataset's answer, only sentences that say who
are kept; when none does, that is said instead of quoting them as if they did.
"""

from __future__ import annotations

import re
from typing import Final

from retrieval.answer_features import NOT_NAMES
from retrieval.citations import Answer, kept_sentences
from retrieval.lexical import STOPWORDS

_ASKS: Final = re.compile(
    r"\b(?:who(?:['’]s| is| was| are| were| has been| have been)?|which (?:\w+ )?"
    r"(?:people|person|group|groups|firm|firms|company|companies|organi[sz]ations?|agency|"
    r"outlet|party|country|government)(?: is| was| are| were)?)\s+"
    r"(?:really\s+)?(?:behind|responsible for|running|ran|runs|run|organi[sz](?:ed|es|ing)|"
    r"orchestrat\w+|paid for|pays for|paying for|funded|funds|funding|financ\w+|started|"
    r"launched|created|operat\w+|masterminded|bankroll\w+)\b",
    re.IGNORECASE,
)
_ATTRIBUTES: Final = re.compile(
    r"\b(?:behind|run by|ran|runs|running|organi[sz](?:ed|es|ing|er|ers)|orchestrat\w+|"
    r"paid|pays|paying|hired|hires|funded|funds|funding|financ\w+|commissioned|sponsored|"
    r"backed|bankroll\w+|launched|created|started|founded|operat(?:ed|es|ing|or|ors)|"
    r"coordinated by|directed|managed by|traced (?:back )?to|linked to|tied to|"
    r"on behalf of|working for|worked for|works for|responsible|masterminded|engineered|"
    r"set up|attributed to|contracted|employed)\b",
    re.IGNORECASE,
)
_CAPITALISED: Final = re.compile(r"\b[A-Z][\w’'&.\-]*")


def asks_who_is_behind(question: str) -> bool:
    return bool(_ASKS.search(question))


def _names_someone(text: str, question: str) -> bool:
    """A capitalised word the question does not say and that is no date; the first word
    of the sentence counts unless it is a function word ("The", "It", "A")."""
    asked = {w.lower() for w in re.findall(r"\w+", question)}
    for m in _CAPITALISED.finditer(text):
        word = m.group().rstrip(".’'").lower()
        if word in asked or word in NOT_NAMES or (word in STOPWORDS and m.start() == 0):
            continue
        if word in STOPWORDS and re.search(r"[.!?:;\"“]\s*$", text[: m.start()]):
            continue  # a sentence inside the quote opens with it
        return True
    return False


def says_who_is_behind(text: str, question: str) -> bool:
    return bool(_ATTRIBUTES.search(text)) and _names_someone(text, question)


def who_is_behind(question: str, answer: Answer) -> tuple[Answer, str | None]:
    """For a question that asks who is behind something, the answer cut to the sentences
    that say who, and None; when none does, the answer as it was and a note saying so,
    with the passage it would have quoted. Any other question: the answer and None."""
    if not asks_who_is_behind(question):
        return answer, None
    if answer.refused:  # nothing scored near enough: none of it says who, a fortiori
        return answer, "none of the reporting found says who is behind it"
    kept = kept_sentences(answer, lambda sentence: says_who_is_behind(sentence, question))
    if kept is not None:
        return kept, None
    first = answer.citations[0] if answer.citations else None
    closest = ""
    if first is not None:
        quote = first.quote if len(first.quote) <= 200 else first.quote[:199].rstrip() + "…"
        closest = f"; the closest: “{quote}” ({first.title})"
    return answer, f"none of the reporting found says who is behind it{closest}"
