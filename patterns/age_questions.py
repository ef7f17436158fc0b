"""Questions about how new a dataset's accounts are: how they are asked, the words they
are made of, and the period one gives ("created in the last week": 7 days)."""

from __future__ import annotations

import re

# Questions about how new the accounts are ("Which accounts in X are new?", "recently
# created accounts", "accounts created in the last week", "How old are the accounts?"):
# answered from the accounts' creation dates. Plural or about ages, so that "How old is the
# account u17?" stays a question about that account.
_ACCOUNTS = r"(?:accounts|users|profiles|handles)"
_YOUNG = r"(?:new(?:er|est)?|young(?:er|est)?|fresh(?:er|est)?|recent)"
ASKS_AGES = re.compile(
    r"\b(?:new(?:ly)?|newer|newest|young(?:er|est)?|fresh(?:ly)?|recent(?:ly)?|brand[- ]new)"
    rf"(?: \w+)? {_ACCOUNTS}\b"
    rf"|\b{_ACCOUNTS}\b(?: \S+){{0,4}}? (?:are|were|is|look) (?:\w+ )?{_YOUNG}\b"
    rf"|\b(?:are|were) (?:the |these |those |its |their |any (?:of )?(?:the )?)?{_ACCOUNTS}\b"
    rf"(?: \S+){{0,4}}? (?:{_YOUNG}|old)\b"
    rf"|\b{_ACCOUNTS}\b(?: \S+){{0,6}}? (?:hours?|days?|weeks?|months?|years?) old\b"
    # "accounts created", "accounts in X that were recently created": a participle right
    # after the noun, or after an auxiliary ("Which accounts posted the video made by ..."
    # is not about ages).
    rf"|\b{_ACCOUNTS}(?: (?:\S+ ){{0,4}}?(?:are|were|was|have been|has been|got))? "
    r"(?:recently |newly |first |only |all )?(?:created|registered|made|opened|set up|started)\b"
    rf"|\bhow (?:old|new|young|recent)\b(?: \S+){{0,3}}? {_ACCOUNTS}\b"
    rf"|\bwhen (?:were|was|are) (?:the |these |those |its |their )?{_ACCOUNTS}\b"
    r"|\b(?:accounts?|users?|profiles?)['’]? (?:ages?|creation dates?|creation times?|"
    r"registration dates?)\b|\bages? of (?:the |its |their )?(?:accounts|users|profiles)\b",
    re.I,
)
# What a question about account ages is made of besides question words: any other word
# ("How many new accounts did Twitter suspend?") asks a fact the reporting holds.
AGE_QUESTION_WORDS = frozenset(
    """new newly newer newest young younger youngest fresh freshly recent recently brand old
    older oldest age ages aged created creation create registered registration made opened
    set up started date dates time times when last past previous final hour hours day days
    week weeks fortnight month months year years ago within less fewer than under since
    first before after just only ever still look looks seem seems posted posting active""".split()
)
_UNITS = {"hour": 1 / 24, "day": 1.0, "week": 7.0, "fortnight": 14.0, "month": 30.0, "year": 365.0}
_COUNTS = {"a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6}
_PERIOD = re.compile(
    r"\b(?:(?:in|within|during|over|for) (?:the )?(?:last|past|previous|recent|final) |"
    r"(?:less|fewer) than |under |younger than |at most |up to |this )"
    r"(?:(?P<n>\d+(?:\.\d+)?|an?|one|two|three|four|five|six) )?"
    r"(?P<unit>hour|day|week|fortnight|month|year)s?\b",
    re.I,
)


def period_days(text: str) -> float | None:
    """The period a question gives, in days ("in the last week": 7, "past 48 hours": 2)."""
    m = _PERIOD.search(text)
    if m is None:
        return None
    n = (m.group("n") or "1").lower()
    count = float(_COUNTS[n]) if n in _COUNTS else float(n)
    return count * _UNITS[m.group("unit").lower()]
