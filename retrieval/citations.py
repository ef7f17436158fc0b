"""Answers, citations, and the check every model-written answer goes through before it is shown."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from typing import Any

from prompts.phrases import REFUSAL
from retrieval.lexical import content_stems, jaccard
from retrieval.sentences import split_sentences

MARKER = re.compile(r"\[(\d{1,3})\]")
_TRAILING_MARKERS = re.compile(r"([.!?])((?:\s*\[\d{1,3}\])+)")
# Markers written right after a link ("https://x.org/a[1]."): terminals and Discord take
# them for part of the link, which then leads nowhere.
_GLUED_MARKERS = re.compile(
    r"((?:https?://|www\.)\S*?)((?:\[\d{1,3}\])+)(?=[.,;:!?]*(?:\s|$))", re.IGNORECASE
)
_WORDS = re.compile(r"\w+")
MIN_SUPPORT = 0.34  # share of a sentence's content words its cited passages must contain
ECHO_WORDS = 8  # this many consecutive words of the system prompt in an answer: an echo


@dataclass(frozen=True)
class Citation:
    """A reporting source's passage (kind "source"), or evidence from a stored analysis
    (kind "analysis": a post's verbatim text or a fact of the analysis, with the dataset,
    the cluster where there is one, and the posts behind it)."""

    n: int
    source_id: str
    title: str
    origin: str  # a URL, a file path or pasted:<name> (the JSON calls it url)
    quote: str  # verbatim text of the source, at [start, end); or of a post, or a fact
    score: float
    start: int
    end: int
    kind: str = "source"  # "source" | "analysis"
    dataset: str | None = None
    cluster_id: str | None = None
    post_ids: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        # The --json contract's key for the origin is "url", in the field's place.
        data = {("url" if k == "origin" else k): v for k, v in asdict(self).items()}
        del data["start"], data["end"]  # the --json contract (DESIGN.md) has no offsets
        data["score"] = round(self.score, 4)
        if self.kind == "analysis":
            data["post_ids"] = list(self.post_ids)
        else:
            del data["dataset"], data["cluster_id"], data["post_ids"]
        return data


@dataclass(frozen=True)
class Answer:
    question: str
    answer: str
    mode: str  # "extractive" | "llm"
    refused: bool
    citations: list[Citation]
    model: str = ""  # the model spec, in llm mode
    evidence: float = 0.0  # the best evidence score seen (what refusal is decided on)
    notes: list[str] = field(default_factory=list)  # e.g. "dropped 1 uncited sentence"

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "question": self.question,
            "answer": self.answer,
            "mode": self.mode,
            "refused": self.refused,
            "citations": [c.to_json() for c in self.citations],
        }
        if self.notes:  # a refusal's closest passage, dropped sentences: as the text shows
            data["notes"] = list(self.notes)
        return data


@dataclass(frozen=True)
class Passage:
    """A numbered passage offered to a model: a span of one source."""

    n: int
    source_id: str
    title: str
    origin: str
    text: str
    start: int
    score: float


@dataclass(frozen=True)
class CheckedText:
    text: str
    cited: list[int]  # passage numbers in order of first use
    dropped_sentences: int
    removed_markers: int
    refused: bool


def spaced_markers(text: str) -> str:
    """`text` with a space between a link and the citation markers right after it, so
    the link stays the link when clicked."""
    return _GLUED_MARKERS.sub(r"\1 \2", text)


def is_refusal(text: str) -> bool:
    flat = " ".join(text.split()).lower()
    return REFUSAL.lower().rstrip(".") in flat


def _shingles(text: str, n: int = ECHO_WORDS) -> set[tuple[str, ...]]:
    words = [w.lower() for w in _WORDS.findall(text)]
    return {tuple(words[i : i + n]) for i in range(len(words) - n + 1)}


def supported(sentence: str, passages: Sequence[str]) -> bool:
    """Whether enough of a sentence's content words occur in the passages it cites.

    A loose, lexical test (models paraphrase): it catches sentences that cite a passage but
    say something else, such as a reply that obeys instructions planted in a source.
    """
    stems = set(content_stems(MARKER.sub("", sentence)))
    if not stems:
        return False
    have: set[str] = set()
    for text in passages:
        have.update(content_stems(text))
    share = len(stems & have) / len(stems)
    return share >= MIN_SUPPORT if len(stems) >= 3 else bool(stems & have)


def check_citations(text: str, passages: Mapping[int, str], *, never_echo: str = "") -> CheckedText:
    """Keep only sentences that cite a valid passage and are supported by what they cite.

    Unknown markers are removed. A sentence with no valid citation, one the cited passages do
    not support, or one that repeats `never_echo` (the system prompt) is dropped, not shown
    with a warning: a reader must be able to check every sentence Chorus shows.
    """
    kept: list[str] = []
    cited: list[int] = []
    dropped = removed = 0
    forbidden = _shingles(never_echo) if never_echo else set()
    # "... accounts. [1]" cites the sentence before it: move such markers inside it.
    text = _TRAILING_MARKERS.sub(lambda m: f"{m.group(2)}{m.group(1)}", text)
    for sentence in split_sentences(text):
        # The refusal phrase is never shown inside an answer; an answer that is only the
        # refusal keeps nothing and is a refusal. One planted copy of the phrase (a source
        # quoting it, or told to make the model say it) no longer blanks a cited answer.
        if is_refusal(sentence.text):
            continue
        numbers = [int(m) for m in MARKER.findall(sentence.text)]
        good = [n for n in numbers if n in passages]
        removed += len(numbers) - len(good)
        if (
            not good
            or not supported(sentence.text, [passages[n] for n in good])
            or (forbidden and _shingles(sentence.text) & forbidden)
        ):
            dropped += 1
            continue
        cleaned = MARKER.sub(
            lambda m: m.group(0) if int(m.group(1)) in passages else "", sentence.text
        )
        kept.append(" ".join(cleaned.split()).replace(" .", ".").replace(" ,", ","))
        cited.extend(n for n in good if n not in cited)
    if not kept:
        return CheckedText(REFUSAL, [], dropped, removed, refused=True)
    return CheckedText(" ".join(kept), cited, dropped, removed, refused=False)


def join_answers(first: Answer, second: Answer) -> Answer:
    """Both answers to one question, the second's citations numbered after the first's, so
    every [n] still names its own citation."""
    offset = max((c.n for c in first.citations), default=0)
    text = MARKER.sub(lambda m: f"[{int(m.group(1)) + offset}]", second.answer)
    return Answer(
        question=first.question,
        answer=f"{first.answer} {text}",
        mode="llm" if "llm" in (first.mode, second.mode) else first.mode,
        refused=first.refused and second.refused,
        citations=[*first.citations, *(replace(c, n=c.n + offset) for c in second.citations)],
        model=first.model or second.model,
        evidence=max(first.evidence, second.evidence),
        notes=[*first.notes, *second.notes],
    )


# A model-written answer's sentences: text up to the citation markers that close it.
_CITED_SENTENCE = re.compile(r"\S.*?(?:\s*\[\d{1,3}\])+[.!?\"”’)]*(?=\s|$)", re.DOTALL)


def kept_sentences(answer: Answer, keep: Callable[[str], bool]) -> Answer | None:
    """The answer with only the cited sentences `keep` accepts (an extractive answer's
    quotes; a model's sentences, each with its markers), the citations they use numbered
    from 1; None when it accepts none."""
    if answer.mode == "extractive":
        parts = [(c.quote, [c.n]) for c in answer.citations]
    else:
        found = _CITED_SENTENCE.findall(answer.answer)
        parts = [(s, [int(n) for n in MARKER.findall(s)]) for s in found]
    parts = [(s, ns) for s, ns in parts if keep(MARKER.sub("", s).strip())]
    if not parts:
        return None
    order = list(dict.fromkeys(n for _, ns in parts for n in ns))
    by_n = {c.n: c for c in answer.citations}
    citations = [replace(by_n[old], n=new) for new, old in enumerate(order, 1) if old in by_n]
    if answer.mode == "extractive":
        text = " ".join(f"{c.quote} [{c.n}]" for c in citations)
    else:
        text = renumber(" ".join(s for s, _ in parts), order)
    return replace(answer, answer=text, citations=citations)


def renumber(text: str, order: Sequence[int]) -> str:
    """Rewrite markers so the first cited passage is [1], the next [2], and so on."""
    mapping = {old: new for new, old in enumerate(order, start=1)}
    return MARKER.sub(lambda m: f"[{mapping[int(m.group(1))]}]", text)


def best_quote(passage: Passage, claim_text: str) -> tuple[str, int, int]:
    """The sentence of a passage that best matches the sentence(s) citing it, verbatim."""
    wanted = content_stems(MARKER.sub("", claim_text))
    sentences = split_sentences(passage.text, offset=passage.start)
    if not sentences:
        return passage.text, passage.start, passage.start + len(passage.text)
    best = max(sentences, key=lambda s: (jaccard(wanted, content_stems(s.text)), -s.start))
    return best.text, best.start, best.end


def sentences_citing(text: str, n: int) -> str:
    return " ".join(s.text for s in split_sentences(text) if str(n) in MARKER.findall(s.text))
