"""Plain-language questions about coordination, recognised: what is asked (the intent)
and the names it mentions (accounts, links, hashtags, quoted text, cluster ids, datasets).

Only the question's shape is read here; whether a name exists is decided by exact lookup
in the stored analysis (patterns/queries.py), never by similarity.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal, cast

from corpus.posts.text_items import LINK, first_link
from patterns.age_questions import AGE_QUESTION_WORDS, ASKS_AGES, period_days
from patterns.queries import ItemKind
from patterns.question_kinds import (
    COORDINATING_WORDS,
    AccountFact,
    account_fact,
    asks_who_coordinates,
    asks_who_paid,
)

Intent = Literal["account", "item", "top", "cluster", "members", "count", "ages"]
# Which material answers a question (see Question.route).
Route = Literal["dataset", "either", "reporting", "reporting_only"]

CLUSTER_ID = re.compile(r"\bc[0-9a-f]{12}\b")
_HASHTAG = re.compile(r"(?<![\w&])#(\w+)")
_QUOTED = re.compile(r"\"([^\"]+)\"|“([^”]+)”|'([^']{3,})'")
_HANDLE = re.compile(r"(?<![\w/])@([\w.]+)")
_HEX = re.compile(r"\b[0-9a-f]{16,64}\b", re.IGNORECASE)
_PHASH = re.compile(r"\bphash:[0-9a-f]{16}\b", re.IGNORECASE)
_IMAGE_WORD = re.compile(r"\b(?:image|picture|photo|hash)s?\b")
_TRAILING = ".,;:!?)]}\"'’”"

# Words that name a signal in a question, and the signal they mean.
SIGNAL_WORDS: dict[str, str] = {
    "image": "image",
    "images": "image",
    "picture": "image",
    "pictures": "image",
    "photo": "image",
    "photos": "image",
    "link": "url",
    "links": "url",
    "url": "url",
    "urls": "url",
    "hashtag": "hashtags",
    "hashtags": "hashtags",
    "text": "text",
    "texts": "text",
    "message": "text",
    "messages": "text",
    "repost": "repost",
    "reposts": "repost",
    "retweet": "repost",
    "retweets": "repost",
    "reply": "reply",
    "replies": "reply",
    "domain": "domain",
    "domains": "domain",
}
_SIGNAL_ALT = "|".join(sorted(SIGNAL_WORDS, key=len, reverse=True))

_COUNT = re.compile(r"\bhow many (?:coordinat\w+ )?(?:clusters|campaigns|groups)\b", re.I)
_TOP_SIZE = re.compile(
    r"\b(?:biggest|largest|most accounts|largest number of accounts|"
    r"most members)\b",
    re.I,
)
_TOP_NEW = re.compile(
    r"\b(?:newest|youngest|freshest|most new|most recently created|"
    r"highest share of new)\b",
    re.I,
)
_TOP_SCORE = re.compile(
    r"\b(?:highest[- ]scor\w*|top[- ]ranked|top|strongest|best|most suspicious|"
    r"most coordinated|highest[- ]ranked|most likely)\b",
    re.I,
)
_TOP_SIGNAL = re.compile(rf"\bmost (?:shared |distinct |identical |same )?({_SIGNAL_ALT})\b", re.I)
_CLUSTER_WORD = re.compile(r"\b(?:cluster|clusters|campaign|campaigns|group|network)\b", re.I)
_MEMBERS = re.compile(
    r"\b(?:members?|who(?:'s| is| are)? (?:in|part of)|which accounts (?:are|were) (?:in|part of)|"
    r"accounts (?:in|of)|list (?:the )?accounts)\b",
    re.I,
)
_ACCOUNT_TEMPLATES = [
    re.compile(p, re.I)
    for p in (
        r"\bwho (?:is|was|has been|have been|are|were) (?P<x>.+?) "
        r"(?:coordinating|coordinated|working|linked|connected|tied|colluding|posting|acting)"
        r" (?:with|to|together)",
        r"\bwho (?:did|does|do) (?P<x>.+?) (?:coordinate|work|post|collude|act)\b",
        r"\b(?:who|which accounts?|what accounts?)\s+(?:is|are|was|were|has been|have been)\s+"
        r"(?:coordinating|coordinated|linked|connected|tied|working|colluding)\s+(?:with|to)\s+"
        r"(?:the )?(?:account |user )?(?P<x>.+?)\s*(?:\?|$| in (?:the )?dataset| in )",
        r"\b(?:is|was|are|were) (?:the )?(?:account |user )?(?P<x>\S+?) (?:in|inside|part of|a "
        r"member of|member of|among) (?:a|any|some|the|one|one of the) "
        r"(?:coordinat\w+ )?(?:cluster|campaign|group)",
        r"\b(?:is|was|does) (?:the )?(?:account |user )?(?P<x>\S+?) "
        r"(?:coordinat\w+|part of|belong)",
        r"\b(?:ties|partners|links|connections|network) of (?:the )?(?:account |user )?"
        r"(?P<x>\S+)",
        r"\b(?:tell me about|what about|show me|show|about|what is known about) "
        r"(?:the )?(?:account|user|handle) (?P<x>\S+)",
        r"\b(?:account|user|handle) (?P<x>\S+)",
    )
]
# Words the templates can catch that name no account: "Which account had the most
# followers?" was answered "there is no account named had" instead of from the reporting.
_NOT_NAMES = frozenset(
    "a an the any this that it who whom whose which what had has have having is was were are "
    "be been being did does do done with of in on at to for from and or by posted shared used "
    "said says holds held made makes got gets can could would should will may might must "
    # "Which accounts are coordinating in the campaign dataset?" names no account either.
    "coordinating coordinated colluding linked connected working posting acting together".split()
)
_DATASET_TAIL = re.compile(
    r"\s+(?:in|from|of|within) (?:the )?(?:dataset |data set )?\S+(?: dataset| data set| data)?"
    r"\s*$",
    re.I,
)
# "posts dataset", "dataset posts": the word on either side of "dataset" may be its name.
_DATASET_NAMED = re.compile(r"(?:\S+ )?\b(?:dataset|data set)\b(?: \S+)?", re.I)
_ITEM_VERB = re.compile(
    r"\b(?:shared|share|sharing|posted|post|posting|used|use|using|tweeted|tweet|pushed|push|"
    r"spread|spreading|reposted|retweeted|linked|carried|sent)\b",
    re.I,
)
_ITEM_KIND_WORDS: dict[str, ItemKind] = {
    "link": "url",
    "url": "url",
    "hashtag": "hashtag",
    "text": "text",
    "message": "text",
    "phrase": "text",
    "words": "text",
    "sentence": "text",
    "image": "image",
    "picture": "image",
    "photo": "image",
    "hash": "image",
    "post": "post",
    "tweet": "post",
}
# Words that ask how accounts used an item, besides the posting verbs, or that name the
# dataset: a question with one asks the dataset, whatever else it says.
_ASKS_DATASET = re.compile(
    r"\b(?:coordinat\w*|collud\w*|amplif\w*|boost\w*|promot\w*|together|datasets?|"
    r"data sets?)\b",
    re.I,
)
# Words a question about an item's posters is made of besides the item itself: question and
# function words, and the vocabulary of posting patterns. Any other word ("suspended",
# "flood", "why") asks a fact about the item, which the reporting holds.
_ITEM_QUESTION_WORDS = frozenset(
    """a an the this that these those it its of in on at to by for from with about as and or
    is are was were be been being do does did has have had who whom whose which what how many
    much most me us tell show give list any all some there here
    account accounts user users handle handles bot bots profile profiles cluster clusters
    campaign campaigns group groups network networks behind involved part same hashtag hashtags
    tag tags link links url urls text texts message messages phrase image images picture
    pictures photo photos post posts tweet tweets number carry carries contain contains
    containing mention mentions mentioning include includes including""".split()
)
COORDINATION_WORDS = re.compile(
    r"\b(?:coordinat\w*|cluster\w*|campaign\w*|linked|ties|tied|together|colluding|"
    r"accounts?|shared|same link|same hashtag|same image|same text|network|datasets?)\b",
    re.I,
)


@dataclass(frozen=True)
class Question:
    """What a question asks, and every name in it that could be looked up."""

    text: str
    intent: Intent | None
    subject: str | None = None  # the account, item or cluster asked about, as written
    item_kind: ItemKind | None = None
    sort: str | None = None  # for "top": size, score, new or a signal
    cluster_ids: tuple[str, ...] = ()
    words: tuple[str, ...] = field(default_factory=tuple)  # every token, for exact lookups
    # "dataset": asked about the analysis (who posted an item, an account's ties, clusters);
    # "either": names an item and asks nothing else ("Who is behind #X?"), so the dataset and
    # the reporting may both answer; "reporting": asks a fact about an item ("How many
    # accounts were suspended in the #X flood?"), which the reporting answers first;
    # "reporting_only": asks who paid for or ran something ("Who paid for the #X
    # campaign?"), which only the reporting says: who posted #X is no answer to it.
    route: Route = "dataset"
    period_days: float | None = None  # for "ages": "created in the last week" is 7

    @property
    def about_coordination(self) -> bool:
        return self.intent is not None or bool(COORDINATION_WORDS.search(self.text))

    @property
    def account_fact(self) -> AccountFact | None:
        """For a question about one account, the fact it asks (when it was created, its
        posts, its first or last post); None asks for its cluster and ties."""
        return account_fact(self.text) if self.intent == "account" else None


def _clean(token: str) -> str:
    return token.strip().rstrip(_TRAILING).lstrip("([{\"'‘“")


def tokens(text: str) -> tuple[str, ...]:
    """Whitespace-separated words with surrounding punctuation removed, plus their forms
    without a possessive 's; names may hold any other character."""
    out: list[str] = []
    for raw in text.split():
        word = _clean(raw)
        for form in (word, word.removesuffix("'s"), word.removesuffix("’s")):
            if form and form not in out:
                out.append(form)
    return tuple(out)


def _item(text: str) -> tuple[ItemKind, str] | None:
    """The item a question names: a link, a hashtag, a quoted text, an image hash."""
    url = first_link(text)
    lower = text.lower()
    about_image = bool(_IMAGE_WORD.search(lower))
    if url:  # "the image https://.../a.jpg" names an image by its URL, not a shared link
        return ("image" if about_image else "url"), url.rstrip(_TRAILING)
    quoted = _QUOTED.search(text)
    if quoted:
        value = next(g for g in quoted.groups() if g)
        kind: ItemKind = "text"
        # What the quote is, said outside it and outside a dataset's name ("in the posts
        # dataset" names no post).
        around = _DATASET_NAMED.sub(" ", lower[: quoted.start()] + " " + lower[quoted.end() :])
        for word, k in _ITEM_KIND_WORDS.items():
            if re.search(rf"\b{word}s?\b", around) and k in ("url", "hashtag", "image", "post"):
                kind = k
                break
        return kind, value
    tag = _HASHTAG.search(text)
    if tag:
        return "hashtag", tag.group(1)
    # The key Chorus prints ("phash:...") names an image without other words.
    image_id = _PHASH.search(text) or (_HEX.search(text) if about_image else None)
    if image_id:
        return "image", image_id.group(0)
    for word, k in (("post", "post"), ("tweet", "post")):
        m = re.search(rf"\b(?:the )?{word} (\S+)", text, re.I)
        if m and k == "post" and re.search(r"\b(?:repost|retweet|replied|reply)", lower):
            return "post", _clean(m.group(1))
    return None


def _account_subject(text: str) -> str | None:
    handle = _HANDLE.search(text)
    for pattern in _ACCOUNT_TEMPLATES:
        m = pattern.search(text)
        if m:
            x = _DATASET_TAIL.sub("", m.group("x").strip())
            x = re.sub(r"^(?:the )?(?:account|user|handle) ", "", x, flags=re.I)
            x = _clean(x)
            if x and x.lower() not in _NOT_NAMES:
                return x
    return _clean(handle.group(0)) if handle else None


def _top_sort(text: str) -> str | None:
    m = _TOP_SIGNAL.search(text)
    if m:
        return SIGNAL_WORDS[m.group(1).lower()]
    if _TOP_NEW.search(text):
        return "new"
    if _TOP_SIZE.search(text):
        return "size"
    if _TOP_SCORE.search(text):
        return "score"
    return None


def _item_route(flat: str, value: str) -> Route:
    """Whether a question naming an item asks how accounts posted it (the dataset), a fact
    about it (the reporting), or nothing but the item (either may answer)."""
    if _ITEM_VERB.search(flat) or _ASKS_DATASET.search(flat):
        return "dataset"
    rest = flat.replace(value, " ")
    rest = _HASHTAG.sub(" ", LINK.sub(" ", _QUOTED.sub(" ", rest)))
    words = {w.lower() for w in re.findall(r"[^\W\d_]{2,}", rest)}
    return "reporting" if words - _ITEM_QUESTION_WORDS else "either"


def _ages_route(flat: str) -> Route:
    """Whether a question about new accounts asks the dataset, or a fact of the reporting
    (a word outside the vocabulary of ages; a dataset's name is the answerer's to see)."""
    if _ASKS_DATASET.search(flat):
        return "dataset"
    words = {w.lower() for w in re.findall(r"[^\W\d_]{2,}", flat)}
    return "reporting" if words - _ITEM_QUESTION_WORDS - AGE_QUESTION_WORDS else "dataset"


def _about_the_whole(flat: str) -> tuple[Intent, dict[str, str]] | None:
    """A question about the dataset's clusters by some measure ("top"), or its accounts'
    ages: neither names one account or item."""
    sort = _top_sort(flat)
    if sort is not None and _CLUSTER_WORD.search(flat):
        return "top", {"sort": sort}
    if ASKS_AGES.search(flat):
        return "ages", {"route": _ages_route(flat)}
    return None


def _intent(flat: str, ids: tuple[str, ...]) -> tuple[Intent | None, dict[str, str]]:
    """The intent and what it is about (subject, item_kind, sort), in order of precedence."""
    if _COUNT.search(flat):
        return "count", {}
    if ids:
        return ("members" if _MEMBERS.search(flat) else "cluster"), {"subject": ids[0]}
    item = _item(flat)
    about_item = (
        {"subject": item[1], "item_kind": item[0], "route": _item_route(flat, item[1])}
        if item is not None
        else {}
    )
    if item is not None and (_ITEM_VERB.search(flat) or item[0] in ("url", "hashtag")):
        return "item", about_item
    whole = _about_the_whole(flat)
    if whole is not None:
        return whole
    subject = _account_subject(flat)
    if subject is not None:
        return "account", {"subject": subject}
    return _unnamed(flat, item, about_item)


def _unnamed(
    flat: str, item: tuple[ItemKind, str] | None, about_item: dict[str, str]
) -> tuple[Intent | None, dict[str, str]]:
    """A question naming no account, cluster or count: which accounts coordinate (the
    members of every cluster), or one about the item it names, if any."""
    if item is None and asks_who_coordinates(flat):
        return "members", {"route": _coordinating_route(flat)}
    return ("item" if item is not None else None), about_item


def _coordinating_route(flat: str) -> Route:
    """Whether "which accounts are coordinating?" asks the dataset, or a fact of the
    reporting (a word outside the vocabulary of coordination: "suspended"). The words
    around "dataset" may be its name; the answerer sees the others."""
    words = {w.lower() for w in re.findall(r"[^\W\d_]{2,}", _DATASET_NAMED.sub(" ", flat))}
    return "reporting" if words - COORDINATING_WORDS else "dataset"


def parse(text: str) -> Question:
    """The intent and names of a question (intent None: not a coordination question
    this parser knows; the caller may still find names in it)."""
    flat = " ".join(text.split())
    ids = tuple(dict.fromkeys(CLUSTER_ID.findall(flat)))
    intent, about = _intent(flat, ids)
    if asks_who_paid(flat):  # who paid for or ran it: the reporting's, whatever it names
        about = {**about, "route": "reporting_only"}
    kind = about.get("item_kind")
    return Question(
        flat,
        intent,
        subject=about.get("subject"),
        item_kind=cast("ItemKind | None", kind),
        sort=about.get("sort"),
        cluster_ids=ids,
        words=tokens(flat),
        route=cast("Route", about.get("route", "dataset")),
        period_days=period_days(flat) if intent == "ages" else None,
    )
