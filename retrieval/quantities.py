"""Numbers, money, dates and quantity words in a sentence, each tied to what it counts.

Claim checks compare them: when the claim says "$5,000 a month" and strong evidence says
"$2,500 per month" for the same slot (money; "70 accounts" and "144 accounts": a count of
accounts), the explanation points at both.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Final

from retrieval.lexical import content_stems

_SMALL: Final = {
    w: i
    for i, w in enumerate(
        "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
        "fifteen sixteen seventeen eighteen nineteen twenty".split()
    )
}
_TENS: Final = {"thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80}
_VAGUE: Final = (
    "all every none no both several few many most dozens hundreds thousands millions "
    "dozen hundred thousand million"
).split()
_SCALE: Final = {"thousand": 1e3, "k": 1e3, "million": 1e6, "m": 1e6, "billion": 1e9, "bn": 1e9}
_MONTHS: Final = {
    m: i + 1
    for i, names in enumerate(
        "jan.january feb.february mar.march apr.april may jun.june jul.july aug.august "
        "sep.sept.september oct.october nov.november dec.december".split()
    )
    for m in names.split(".")
}
_NUM: Final = r"\d[\d,]*(?:\.\d+)?"
_MONEY: Final = re.compile(
    rf"(?P<cur>[$€£¥])\s?(?P<n>{_NUM})(?:\s?(?P<scale>thousand|million|billion|bn|k|m)\b)?"
    rf"|(?P<n2>{_NUM})\s?(?P<scale2>thousand|million|billion)?\s?(?P<cur2>dollars|euros|pounds)",
    re.I,
)
_PERCENT: Final = re.compile(rf"(?P<n>{_NUM})\s?(?:%|per ?cent\b)", re.I)
_MONTH_NAMES: Final = "|".join(sorted(_MONTHS, key=len, reverse=True))
# "April 17", "Apr. 17th", "17 April", "17th of April", "2026-04-17". A year written after
# the day and month is the date's year, and is also read as a year of its own (so "17 April
# 2026" agrees with "2026-04-17" and with "April 17", and "2025" with "2025").
_THEN_YEAR: Final = r"(?:(?=,?\s+(?P<{0}>(?:1[5-9]|20)\d\d)\b))?"
_DAY_DATE: Final = re.compile(
    rf"\b(?P<mon>{_MONTH_NAMES})\.?\s+(?P<day>\d{{1,2}})(?:st|nd|rd|th)?\b"
    + _THEN_YEAR.format("y1")
    + rf"|\b(?P<day2>\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?(?P<mon2>{_MONTH_NAMES})\b\.?"
    + _THEN_YEAR.format("y2")
    + r"|\b(?P<iso>(?P<iy>\d{4})-(?P<im>\d\d)-(?P<id>\d\d))\b",
    re.I,
)
# A month without a day ("in July", "July 2024"), written in full and capitalised, after a
# word that makes it a time ("in", "since", "early") or before a year: "March" and "May"
# are words too.
_FULL_MONTHS: Final = "|".join(
    "January February March April May June July August September October November December".split()
)
_MONTH_ONLY: Final = re.compile(
    r"\b(?i:in|of|since|by|until|till|from|during|early|late|mid|before|after|through|last|"
    rf"next|this|each|every|to|between|and|or)[\s-]+(?P<mon>{_FULL_MONTHS})\b"
    r"(?!\.?\s*\d{1,2}\b)"
    + _THEN_YEAR.format("y")
    + rf"|\b(?P<mon2>{_FULL_MONTHS})(?=,?\s+(?P<y2>(?:1[5-9]|20)\d\d)\b)"
)
_YEAR: Final = re.compile(r"\b(?:1[5-9]|20)\d\d\b")
# A number after its noun names one thing, not a count of it: "ticket 4471", "case 12".
# Only nouns that take a number this way; "banned 12" or "report 12 pages" are not labels.
_LABEL: Final = re.compile(
    r"\b(?P<noun>tickets?|cases?|issues?|incidents?|complaints?|requests?|dockets?|exhibits?|"
    r"sections?|articles?|rules?|pages?|chapters?|versions?|rooms?|flights?|waves?|rounds?|"
    r"phases?|ref|reference)\s+(?:#\s?|no\.\s?|number\s+)?(?P<n>\d[\d,]*)\b(?![.,:]\d)",
    re.I,
)
_NUMBER_WORD: Final = "|".join(sorted([*_SMALL, *_TENS], key=len, reverse=True))
_PAIR_SIDE: Final = rf"(?:\d+|{_NUMBER_WORD})"
# A vote or a score written as a pair: "6-1", "6 to 1", "six-to-one", "five votes to two".
# Only "votes" or a word about voting or winning in the text makes a pair one ("from 5 to
# 10 posts" is a range); "from", "between" or "aged" before it make it a range all the same.
_TALLY: Final = re.compile(
    rf"(?<!\bfrom )(?<!\bbetween )(?<!\baged )(?<!\bages )(?<![\d.,\-–—])\b(?P<a>{_PAIR_SIDE})"
    rf"(?P<votes>\s+votes?)?(?:\s*[-–—]\s*|[\s-]+to[\s-]+)(?P<b>{_PAIR_SIDE})(?:\s+votes?)?\b"
    r"(?![.,]\d)",
    re.I,
)
_TALLY_CONTEXT: Final = re.compile(
    r"\b(?:vot(?:e|es|ed|ing)|pass(?:ed|es)?|approv(?:e|ed|es)|reject(?:ed|s)?|won|wins?|"
    r"lost|loses?|beat|beats|defeat(?:ed|s)?|scored?|tally|margin|ballots?|ruled|split|"
    r"majority|upheld|overturned)\b",
    re.I,
)
_CONTEXT_WORDS: Final = 4  # words before a quantity that say what it is of ("the count on")
# The words after the number are looked at, not consumed: "between 10 and 40 accounts"
# has two counts.
_COUNT: Final = re.compile(
    rf"\b(?P<n>{_NUM}|" + "|".join([*_SMALL, *_TENS, *_VAGUE]) + r")\b"
    r"(?=(?:\s+of(?:\s+the|\s+their|\s+its)?)?"
    r"(?P<rest>(?:\s+[\w’'\-]+){1,3}))",
    re.I,
)
# A time of day: "21:10 UTC", "9:30 a.m.", "21:10:05". Read before counts, so that its
# minutes are not a count of whatever follows ("10 UTC").
_TIME: Final = re.compile(
    r"(?<![\d:.])(?P<h>[01]?\d|2[0-3]):(?P<m>[0-5]\d)(?::[0-5]\d)?(?![\d:])"
    r"(?:\s?(?P<mer>[ap]\.?m\b\.?))?"
    r"(?:\s?(?P<zone>UTC|GMT|[ECMP][SD]T|CES?T|BST)\b)?",
    re.I,
)
_WORD: Final = re.compile(r"[\w’'\-]+")
# Words after a number that leave its noun to the count before ("40 more were flagged").
_ELIDED: Final = frozenset("more fewer others other additional extra".split())


@dataclass(frozen=True)
class Quantity:
    kind: str  # "money" | "percent" | "date" | "time" | "label" | "year" | "tally" | "count"
    slot: str  # what it is of: currency, the noun counted
    value: str  # normalised, for comparison; a date's is "MM-DD" ("MM": a month); a tally's "6-1"
    text: str  # as written
    year: str = ""  # a date's year, when written with it
    dated: str = ""  # a date as written with its year ("17 April 2026")
    context: tuple[str, ...] = ()  # stems of the words just before it, in its clause

    def same_day(self, other: Quantity) -> bool:
        """The same value; for dates, the same month, and day where both name one ("July"
        agrees with "14 July": the evidence is only more precise)."""
        if self.kind == "time":
            return _same_time(self.value, other.value)
        if self.kind != "date":
            return self.value == other.value
        return all(
            a == b for a, b in zip(self.value.split("-"), other.value.split("-"), strict=False)
        )

    def agrees(self, other: Quantity) -> bool:
        """The same value (see same_day), and for dates the same year when both name one."""
        if not self.same_day(other):
            return False
        return not (self.year and other.year) or self.year == other.year

    def nearness(self, other: Quantity) -> tuple[int, int]:
        """How close another quantity of the same slot is, to point at the one the claim
        means: the words before both ("the count in July", "the count on 14 August"),
        then how much of a differing date they share (month, day, year), or for counts
        whether the word after the number is the same ("400 more" is nearer "40 more")."""
        context = len(set(self.context) & set(other.context))
        if self.kind != "date":
            return context, int(self.text.split()[1:] == other.text.split()[1:])
        mine, theirs = self.value.split("-"), other.value.split("-")
        same = sum(a == b for a, b in zip(mine, theirs, strict=False))  # a month has no day
        return context, same + (bool(self.year) and self.year == other.year)


def _number(text: str) -> float | None:
    raw = text.lower().replace(",", "")
    if raw in _SMALL:
        return float(_SMALL[raw])
    if raw in _TENS:
        return float(_TENS[raw])
    try:
        return float(raw)
    except ValueError:
        return None


def _fmt(value: float) -> str:
    return f"{value:.6g}"


Found = list[tuple[tuple[int, int], Quantity]]


def _read(text: str) -> tuple[Found, str]:
    """The quantities of `text` with their spans, money and dates first (a number is read
    once), and `text` with them blanked. Each knows the other words before it in its
    clause: what it is of."""
    found: Found = []
    for reader in (
        _money,
        _percents,
        _times,
        _dates,
        _months,
        _labels,
        _years,
        _tallies,
        _counts,
    ):
        for span, quantity in reader(text):
            if all(span[1] <= s or span[0] >= e for (s, e), _ in found):
                found.append((span, quantity))
    blank = text
    for (start, end), _ in found:
        blank = blank[:start] + " " * (end - start) + blank[end:]
    out: Found = []
    for span, quantity in found:
        clause = re.split(r"[,;:()]", blank[: span[0]])[-1]
        context = tuple(content_stems(clause)[-_CONTEXT_WORDS:])
        out.append((span, replace(quantity, context=context)))
    return out, blank


def quantities(text: str) -> list[Quantity]:
    """The quantities of `text`, money and dates first; a number is read once."""
    return [q for _, q in _read(text)[0]]


def without_quantities(text: str) -> str:
    """`text` with its quantities blanked: the words that remain say what it is about
    ("certified on 3 December" and "certified on 3 November" are about the same thing)."""
    return _read(text)[1]


def _money(text: str) -> Found:
    out: Found = []
    for m in _MONEY.finditer(text):
        n = _number(m.group("n") or m.group("n2") or "")
        if n is None:
            continue
        scale = (m.group("scale") or m.group("scale2") or "").lower()
        cur = (m.group("cur") or m.group("cur2") or "").lower()
        cur = {"dollars": "$", "euros": "€", "pounds": "£"}.get(cur, cur)
        value = _fmt(n * _SCALE.get(scale, 1.0))
        out.append((m.span(), Quantity("money", cur, value, m.group().strip())))
    return out


def _percents(text: str) -> Found:
    out: Found = []
    for m in _PERCENT.finditer(text):
        n = _number(m.group("n"))
        if n is not None:
            out.append((m.span(), Quantity("percent", "%", _fmt(n), m.group())))
    return out


def _times(text: str) -> Found:
    """Times of day, as "HH:MM" on a 24-hour clock; "~H:MM" (hour 1-12) when no a.m./p.m.
    says which half of the day, so "9:30" agrees with "9:30 p.m." and with "21:30"."""
    out: Found = []
    for m in _TIME.finditer(text):
        hour, minute = int(m.group("h")), m.group("m")
        mer = (m.group("mer") or "").lower()[:1]
        if mer and not 1 <= hour <= 12:
            continue  # "14:00 pm" is not a time anyone means
        if mer:
            hour = hour % 12 + (12 if mer == "p" else 0)
            value = f"{hour:02d}:{minute}"
        elif 1 <= hour <= 12:
            value = f"~{hour}:{minute}"
        else:
            value = f"{hour:02d}:{minute}"
        out.append((m.span(), Quantity("time", "time", value, m.group().rstrip())))
    return out


def _same_time(a: str, b: str) -> bool:
    if not (a.startswith("~") or b.startswith("~")):
        return a == b
    (ha, ma), (hb, mb) = (v.lstrip("~").split(":") for v in (a, b))
    return ma == mb and int(ha) % 12 == int(hb) % 12


def _dates(text: str) -> Found:
    out: Found = []
    for m in _DAY_DATE.finditer(text):
        year = ""
        if m.group("iso"):
            month, day, year = int(m.group("im")), int(m.group("id")), m.group("iy")
        else:
            name = m.group("mon") or m.group("mon2")
            if name == "may":  # the verb ("they may 3 times"); the month is written May
                continue
            month = _MONTHS[name.lower().rstrip(".")]
            day = int(m.group("day") or m.group("day2"))
            year = m.group("y1") or m.group("y2") or ""
        if not (1 <= month <= 12 and 1 <= day <= 31):
            continue
        value = f"{month:02d}-{day:02d}"
        shown = m.group().rstrip(".")
        group = "y1" if m.group("y1") else "y2"  # the year after the day and month
        dated = text[m.start() : m.end(group)] if m.group(group) else shown
        out.append((m.span(), Quantity("date", "day", value, shown, year, dated)))
    return out


def _months(text: str) -> Found:
    out: Found = []
    for m in _MONTH_ONLY.finditer(text):
        group = "mon" if m.group("mon") else "mon2"
        name, year = m.group(group), m.group("y" if group == "mon" else "y2") or ""
        dated = f"{name} {year}" if year else name
        value = f"{_MONTHS[name.lower()]:02d}"
        out.append((m.span(group), Quantity("date", "day", value, name, year, dated)))
    return out


def _labels(text: str) -> Found:
    """ "ticket 4471": the slot is the noun, the value the number; only the number is
    blanked, so the noun still says what the claim is about."""
    out: Found = []
    for m in _LABEL.finditer(text):
        noun = m.group("noun").lower()
        noun = noun[:-1] if noun.endswith("s") and noun != "ref" else noun
        value = m.group("n").replace(",", "")
        shown = f"{m.group('noun')} {m.group('n')}"
        out.append((m.span("n"), Quantity("label", noun, value, shown)))
    return out


def _years(text: str) -> Found:
    return [
        (m.span(), Quantity("year", "year", m.group(), m.group())) for m in _YEAR.finditer(text)
    ]


def _tallies(text: str) -> Found:
    """Votes and scores ("six to one", "5-2"): the pair is the value, in either order (which
    side won is said in words: "passed", "against")."""
    out: Found = []
    for m in _TALLY.finditer(text):
        if not (m.group("votes") or _TALLY_CONTEXT.search(text)):
            continue
        a, b = _number(m.group("a")), _number(m.group("b"))
        if a is None or b is None:
            continue
        value = f"{_fmt(max(a, b))}-{_fmt(min(a, b))}"
        out.append((m.span(), Quantity("tally", "votes", value, m.group())))
    return out


def _counts(text: str) -> Found:
    out: Found = []
    last = ""  # what the count before counted
    taken = 0  # the end of the words a count read as its own ("all seven")
    for m in _COUNT.finditer(text):
        if m.start() < taken:
            continue
        # What is counted is a word, not another number ("six to one" counts nothing).
        words = [w for w in _WORD.findall(m.group("rest")) if _number(w) is None]
        noun = next(iter(content_stems(" ".join(words))), "")
        if not noun and _first_word(m.group("rest")).strip().lower() in _ELIDED:
            noun = last  # "310 accounts ... 40 more were under review": 40 accounts
        if not noun:
            continue
        last = noun
        word = m.group("n").lower()
        if word == "all" and _number(_first_word(m.group("rest")).strip()) is not None:
            word = _first_word(m.group("rest")).strip().lower()  # "all seven": seven
            first = _WORD.search(m.group("rest"))  # found: the number word just read
            taken = m.start("rest") + (first.end() if first else 0)
        n = _number(word)
        value = _fmt(n) if n is not None else word
        shown = m.group("n") + _first_word(m.group("rest"))
        out.append((m.span("n"), Quantity("count", noun, value, shown)))
    return out


def _first_word(rest: str) -> str:
    words = _WORD.findall(rest)
    return f" {words[0]}" if words else ""


@dataclass(frozen=True)
class Mismatch:
    claim: Quantity
    n: int  # the citation number
    evidence: Quantity


def mismatches(claim: str, evidence: Sequence[tuple[int, str]]) -> list[Mismatch]:
    """Slots where the claim's value differs from the evidence's and no evidence agrees.

    `evidence` is (citation number, quote) for the strong evidence, best first.
    """
    mine = quantities(claim)
    theirs = [(n, q) for n, text in evidence for q in quantities(text)]
    out: list[Mismatch] = []
    for q in mine:
        same_slot = [(n, e) for n, e in theirs if e.kind == q.kind and e.slot == q.slot]
        if not same_slot or any(q.agrees(e) for _, e in same_slot):
            continue
        # The one said of the same thing ("the count on"), the closest date ("17 April" for
        # "17 May"), else the best evidence's first.
        n, e = max(same_slot, key=lambda ne: q.nearness(ne[1]))
        if q.same_day(e):  # only the years differ: show them
            out.append(Mismatch(replace(q, text=q.dated), n, replace(e, text=e.dated)))
        else:
            out.append(Mismatch(q, n, e))
    # A year already shown with its date is not shown again.
    dated = {m.claim.year for m in out if m.claim.kind == "date" and m.claim.text == m.claim.dated}
    return [m for m in out if not (m.claim.kind == "year" and m.claim.value in dated)]
