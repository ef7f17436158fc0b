"""Numbers, money, dates and quantity words in a sentence, each tied to what it counts.

Claim checks compare them: when the claim says "$5,000 a month" and strong evidence says
"$2,500 per month" for the same slot (money; "70 accounts" and "144 accounts": a count of
accounts), the explanation points at both.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
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
_DAY_DATE: Final = re.compile(
    r"\b(?P<mon>" + "|".join(sorted(_MONTHS, key=len, reverse=True)) + r")\.?\s+(?P<day>\d{1,2})\b"
    r"|\b(?P<iso>\d{4}-\d\d-\d\d)\b",
    re.I,
)
_YEAR: Final = re.compile(r"\b(?:1[5-9]|20)\d\d\b")
_COUNT: Final = re.compile(
    rf"\b(?P<n>{_NUM}|" + "|".join([*_SMALL, *_TENS, *_VAGUE]) + r")\b"
    r"(?:\s+of(?:\s+the|\s+their|\s+its)?)?"
    r"(?P<rest>(?:\s+[\w’'\-]+){1,3})",
    re.I,
)
_WORD: Final = re.compile(r"[\w’'\-]+")


@dataclass(frozen=True)
class Quantity:
    kind: str  # "money" | "percent" | "date" | "year" | "count"
    slot: str  # what it is of: currency, the noun counted
    value: str  # normalised, for comparison
    text: str  # as written


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


def quantities(text: str) -> list[Quantity]:
    """The quantities of `text`, money and dates first; a number is read once."""
    found: list[Quantity] = []
    taken: list[tuple[int, int]] = []
    for reader in (_money, _percents, _dates, _years, _counts):
        for span, quantity in reader(text):
            if all(span[1] <= s or span[0] >= e for s, e in taken):
                found.append(quantity)
                taken.append(span)
    return found


Found = list[tuple[tuple[int, int], Quantity]]


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


def _dates(text: str) -> Found:
    out: Found = []
    for m in _DAY_DATE.finditer(text):
        if m.group("iso"):
            value = m.group("iso")
        else:
            month = _MONTHS[m.group("mon").lower().rstrip(".")]
            value = f"{month:02d}-{int(m.group('day')):02d}"
        out.append((m.span(), Quantity("date", "day", value, m.group())))
    return out


def _years(text: str) -> Found:
    return [
        (m.span(), Quantity("year", "year", m.group(), m.group())) for m in _YEAR.finditer(text)
    ]


def _counts(text: str) -> Found:
    out: Found = []
    for m in _COUNT.finditer(text):
        noun = next((s for s in content_stems(m.group("rest")) if not s.isdigit()), "")
        if not noun:
            continue
        word = m.group("n").lower()
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
        if not same_slot or any(e.value == q.value for _, e in same_slot):
            continue
        n, e = same_slot[0]
        out.append(Mismatch(q, n, e))
    return out
