"""Shapes of question the parser (patterns/questions.py) tells apart besides its intents:
who paid for or ran something (a fact only the reporting holds), which accounts are
coordinating (the dataset's clusters), and the fact asked about one account (its creation
date, its posts, its first or last post). Links are read as posts' text is
(corpus/posts/text_items.py)."""

from __future__ import annotations

import re
from typing import Literal

AccountFact = Literal["created", "posts", "first_post", "last_post"]

# Who paid for, funded, organised or ran something: the reporting says; a dataset only
# shows who posted. "Who is behind #X?" is not here: both may answer it (questions.py).
_SPONSOR_VERBS = (
    r"(?:paid|pays|paying|pay|funded|funds|funding|fund|financ\w*|bankroll\w*|"
    r"sponsor(?:ed|s|ing)?|commission(?:ed|s|ing)?|organi[sz](?:ed|es|ing|e)|"
    r"orchestrat\w*|mastermind\w*|ran|runs|running|run|hired|hires|hire)"
)
_WHO = (
    r"(?:who|whom|which (?:\w+ )?(?:company|companies|firm|firms|agency|agencies|"
    r"organi[sz]ations?|group|groups|people|person|party|parties|client|clients|"
    r"government|country|countries|business|businesses|entity|entities|outlet))"
)
_ASKS_SPONSOR = re.compile(
    rf"\b{_WHO}\b(?:['’]s|\s+(?:is|was|are|were|has|have|had|did|does|do|really|"
    rf"actually|originally|been|initially))*\s+{_SPONSOR_VERBS}\b"
    rf"|\b{_WHO}\b.*\b(?:paid for|funded|financed|sponsored|commissioned|organi[sz]ed|"
    r"orchestrated|bankrolled|run|hired) by\b"
    r"|\bwho(?:['’]s| is| was| are| were) (?:the |its |their )?(?:funders?|sponsors?|"
    r"clients?|paymasters?|organi[sz]ers?|financiers?|backers?)\b",
    re.I,
)


def asks_who_paid(text: str) -> bool:
    """Whether a question asks who paid for, funded, organised or ran something."""
    return bool(_ASKS_SPONSOR.search(text))


# Which accounts coordinate, with no account, item or cluster named: the clusters.
_ACCOUNTS = r"(?:accounts?|users?|profiles?|handles?|bots?|trolls?|sock ?puppets?)"
_TOGETHER = (
    r"(?:coordinat\w*|collud\w*|in concert|in sync|in lockstep|in tandem|together|"
    r"simultaneous\w*|at (?:the same|one|about the same|nearly the same) (?:time|moment)|"
    r"at once|within (?:\S+ ){0,2}(?:seconds?|minutes?|secs?)|seconds apart|minutes apart|"
    r"(?:same|identical) (?:text|texts|message|messages|posts?|links?|hashtags?|content)"
    r"(?: \S+){0,3}? (?:at the same time|together|within))"
)
_ASKS_COORDINATING = re.compile(
    rf"\b(?:which|what|who|any|list|show|name|how many|are there|is there|find)\b"
    rf"(?: \S+){{0,3}}? {_ACCOUNTS}\b(?: \S+){{0,5}}? {_TOGETHER}"
    r"|\bwho(?:['’]s| is| are| was| were)? (?:coordinating|colluding)\b(?! with)"
    r"|\b(?:is there|are there|was there|were there|any) (?:any )?(?:signs? of )?"
    r"(?:coordination|coordinated (?:accounts|activity|behaviou?r|posting|campaigns?))\b",
    re.I,
)
# What such a question is made of besides its asking words; any other word ("Which
# accounts did Chirper suspend for coordinating?") asks a fact the reporting holds.
COORDINATING_WORDS = frozenset(
    """a an the this that these those it its of in on at to by for from with about as and or
    is are was were be been being do does did has have had who whom which what how many
    any all some there here me us list show name find tell give
    account accounts user users profile profiles handle handles bot bots troll trolls sock
    puppet puppets sockpuppet sockpuppets coordinating coordinated coordinate coordination
    colluding collude colluded concert sync lockstep tandem together simultaneous
    simultaneously same time moment once within few seconds second secs minutes minute
    apart each other one another identical text texts message messages post posts posted
    posting link links hashtag hashtags content shared sharing share acting act acted
    working worked work signs sign activity behaviour behavior campaign campaigns nearly
    about dataset data set clusters cluster group groups network networks""".split()
)


def asks_who_coordinates(text: str) -> bool:
    """Whether a question asks which accounts coordinate, naming none of them."""
    return bool(_ASKS_COORDINATING.search(text))


# The fact asked about one account, in the order they are tried ("first post" before
# "post").
_FACTS: tuple[tuple[AccountFact, re.Pattern[str]], ...] = (
    (
        "created",
        re.compile(
            r"\bwhen\b.*\b(?:created|registered|made|opened|set up|signed up|joined)\b|"
            r"\b(?:creation|registration|sign-?up|join) (?:date|time|day)\b|"
            r"\bhow old\b|\b(?:account )?age of\b|\bwhen\b.*\b(?:create|register|open|join)\b",
            re.I,
        ),
    ),
    (
        "first_post",
        re.compile(
            r"\b(?:first|earliest|oldest) (?:post|tweet|message)\w*\b|"
            r"\b(?:first|start(?:ed)?|begin|began|begun) (?:to )?(?:post|tweet)\w*\b",
            re.I,
        ),
    ),
    (
        "last_post",
        re.compile(
            r"\b(?:last|latest|newest|most recent|final) (?:post|tweet|message)\w*\b|"
            r"\b(?:last|stop(?:ped)?|ceased?) (?:to )?(?:post|tweet)\w*\b",
            re.I,
        ),
    ),
    (
        "posts",
        re.compile(
            # "What did X share with Y?" asks for their ties.
            r"\bwhat (?:did|does|has|have|had|do)\b(?!.*\b(?:with|together)\b).*\b(?:post|"
            r"posted|tweet|tweeted|write|written|wrote|share|shared|say|said)\b|"
            r"\b(?:posts|tweets|messages) (?:of|by|from)\b|['’]s (?:posts|tweets|messages)\b|"
            r"\bhow many (?:posts|tweets|messages)\b|"
            r"\b(?:show|list|give)(?: me)? (?:the |its |all )?(?:posts|tweets|messages)\b",
            re.I,
        ),
    ),
)


def account_fact(text: str) -> AccountFact | None:
    """The fact a question about one account asks, if it asks one."""
    for fact, pattern in _FACTS:
        if pattern.search(text):
            return fact
    return None
