"""Training pairs for the cross-encoder: (question, candidate quote, label).

SQuAD 2.0 training articles only (the by-article split of squad_data.py): for each question,
the sentences of its own paragraph, cut by the product's splitter and joined to the sentence
before where they lean back (as the answer path quotes them). A sentence holding a gold answer
is a positive; the paragraph's other sentences, and every sentence for an unanswerable
question (written to look answerable from that paragraph), are negatives. The project's
calibration questions add the demo source's sentences the same way (a fact string marks the
positives). Sentences that are titles or headings never reach the scorer, so none are here.

Negatives beyond `max_negatives` are dropped hardest-last: the ones that share the most
content stems with the question are kept (those are the ones a shallow signal confuses).
"""

from __future__ import annotations

import json
import random
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise

from benchmarks.retrieval.common import DATA, SEED, contains_fact, load_questions, shared_file
from benchmarks.retrieval.squad_data import SQUAD, load_articles, split_articles


@dataclass(frozen=True)
class Pair:
    question: str
    text: str
    label: float
    group: str  # the question's id: pairs of one question stay together in the report


def quotes(paragraph: str) -> list[str]:
    """The paragraph's candidate quotes as the answer path makes them."""
    from retrieval.extractive import leans_back
    from retrieval.sentences import split_sentences

    sents = split_sentences(paragraph)
    out = [sents[0].text] if sents else []
    for prev, s in pairwise(sents):
        out.append(paragraph[prev.start : s.end] if leans_back(s.text, prev.text) else s.text)
    return out


def hardest_first(question: str, negatives: Sequence[str]) -> list[str]:
    """The negatives, those sharing the most content stems with the question first (stable:
    ties keep their seeded order)."""
    from retrieval.lexical import content_stems

    wanted = set(content_stems(question))
    return sorted(negatives, key=lambda u: -len(wanted & set(content_stems(u))))


def squad_pairs(titles: Sequence[str], max_negatives: int) -> list[Pair]:
    """Pairs of the SQuAD articles named; at most `max_negatives` sampled per question."""
    data = json.loads(shared_file(SQUAD).read_text(encoding="utf-8"))
    wanted = set(titles)
    rng = random.Random(SEED)
    out: list[Pair] = []
    for article in sorted(data["data"], key=lambda a: a["title"]):
        if article["title"] not in wanted:
            continue
        for p in article["paragraphs"]:
            units = quotes(" ".join(p["context"].split()))
            for q in p["qas"]:
                answers = [a["text"] for a in q["answers"] if a["text"].strip()]
                labels = [bool(answers) and contains_fact(u, answers) for u in units]
                if answers and not any(labels):
                    continue  # the answer spans a sentence break: no unit holds it
                pos = [u for u, lab in zip(units, labels, strict=True) if lab]
                neg = [u for u, lab in zip(units, labels, strict=True) if not lab]
                rng.shuffle(neg)
                question = q["question"].strip()
                neg = hardest_first(question, neg)
                out += [Pair(question, u, 1.0, q["id"]) for u in pos]
                out += [Pair(question, u, 0.0, q["id"]) for u in neg[:max_negatives]]
    return out


def calibration_pairs(max_negatives: int) -> list[Pair]:
    """Pairs of the calibration questions over the bundled demo source's sentences (the first
    calibration file only: the questions about calibration_docs/ stay out of this fit, so
    they judge the cross-encoder on user-style questions it has not seen)."""
    from corpus.reporting.demo import demo_document

    text = demo_document().text
    units = [u for para in text.split("\n\n") for u in quotes(" ".join(para.split()))]
    rng = random.Random(SEED + 2)
    out: list[Pair] = []
    for n, q in enumerate(load_questions(DATA / "calibration_questions.jsonl")):
        labels = [q.answerable and contains_fact(u, q.must_contain_any) for u in units]
        pos = [u for u, lab in zip(units, labels, strict=True) if lab]
        neg = [u for u, lab in zip(units, labels, strict=True) if not lab]
        rng.shuffle(neg)
        neg = hardest_first(q.question, neg)
        out += [Pair(q.question, u, 1.0, f"calib-{n}") for u in pos]
        out += [Pair(q.question, u, 0.0, f"calib-{n}") for u in neg[:max_negatives]]
    return out


def training_pairs(max_negatives: int = 4) -> list[Pair]:
    split = split_articles(load_articles())
    pairs = squad_pairs([a.title for a in split["train"]], max_negatives)
    pairs += calibration_pairs(max_negatives * 2)
    return pairs
