"""Which source sentences may be quoted as an answer.

An extractive answer repeats sentences verbatim with a citation, which lends them the
answer's authority. Two kinds of sentence should never get that: a bare link (a phishing
URL with a word or two around it says nothing checkable, yet would be shown as the answer),
and a sentence that is little but an instruction aimed at the reader or at a model
("ignore previous instructions", "reply with ..."), which is data planted in a source, not
a fact about the world. An instruction wrapped around a fact is still quoted, as data.
A run-in label ("Summary.", "Key findings:") says nothing either.
"""

from __future__ import annotations

import re
from typing import Final

_LINK: Final = re.compile(r"(?:https?://|www\.)\S+", re.IGNORECASE)
_WORD: Final = re.compile(r"[^\W\d_]{2,}")
MIN_WORDS_BESIDE_A_LINK: Final = 4
# A sentence that also states something (an instruction wrapped around a fact) is still
# quoted, as the data it is; one that is little but the instruction is not.
MIN_WORDS_BESIDE_AN_INSTRUCTION: Final = 6
_INSTRUCTION: Final = re.compile(
    r"\b(?:ignore|disregard|forget|override)\b.{0,40}\b(?:instructions?|prompts?|rules|"
    r"guidelines|everything)\b"
    r"|\bsystem\s+prompt\b"
    r"|\b(?:you\s+are\s+now|act\s+as|pretend\s+(?:to\s+be|you\s+are))\b"
    r"|\b(?:reply|respond|answer)\s+(?:only\s+)?with\b"
    r"|\bnew\s+instructions?\b",
    re.IGNORECASE | re.DOTALL,
)
# "Summary." / "Key findings:" / "Main Results." opening a paragraph: a label, not a
# statement (one word, or up to three ending with a colon or all capitalised; "It works."
# is a sentence).
_LABEL_WORDS: Final = re.compile(r"^([^\W\d_][\w'’-]*(?:\s+[^\W\d_][\w'’-]*){0,2})\s*([.:])$")


def _is_label(sentence: str) -> bool:
    m = _LABEL_WORDS.match(sentence.strip())
    if m is None:
        return False
    words = m.group(1).split()
    return len(words) == 1 or m.group(2) == ":" or all(w[0].isupper() for w in words)


def quotable(sentence: str) -> bool:
    """False for a bare link, a run-in label and a sentence that is little but an
    instruction."""
    if _is_label(sentence):
        return False
    if _INSTRUCTION.search(sentence):
        rest = _WORD.findall(_LINK.sub(" ", _INSTRUCTION.sub(" ", sentence)))
        if len(rest) < MIN_WORDS_BESIDE_AN_INSTRUCTION or _LINK.search(sentence):
            return False  # little else, or an instruction that comes with a link
    if _LINK.search(sentence):
        words = _WORD.findall(_LINK.sub(" ", sentence))
        return len(words) >= MIN_WORDS_BESIDE_A_LINK
    return True
