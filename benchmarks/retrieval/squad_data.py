"""SQuAD 2.0 (the open part of the dev set in ../shared): articles, the by-article split, and
libraries that hold one split's articles as sources.

The split is by article, never by question (the questions of one paragraph are near-duplicates),
drawn with a fixed seed: 12 training articles (the scorer is fitted on them), 5 validation
articles (the refusal threshold and the choice between scorers), 6 test articles (held out:
only `benchmarks.retrieval.answers` reads them, and nothing is fitted or tuned on them).
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from benchmarks.retrieval.common import LOCAL_SCOPE, SEED, cached_store, sha256_of, shared_file

SQUAD = Path("data/real/squad2_open/squad2-dev-open.json")
SPLIT_SIZES = {"test": 6, "validation": 5, "train": 12}


@dataclass(frozen=True)
class SquadQuestion:
    qid: str
    question: str
    answers: tuple[str, ...]  # empty for unanswerable questions
    article: str

    @property
    def answerable(self) -> bool:
        return bool(self.answers)


@dataclass(frozen=True)
class Article:
    title: str
    paragraphs: tuple[str, ...]
    questions: tuple[SquadQuestion, ...]

    @property
    def text(self) -> str:
        """The source as ingested: a title line, then the paragraphs (blank-line separated)."""
        return self.title.replace("_", " ") + "\n\n" + "\n\n".join(self.paragraphs)


def load_articles() -> list[Article]:
    data = json.loads(shared_file(SQUAD).read_text(encoding="utf-8"))
    out = []
    for a in data["data"]:
        paragraphs = tuple(" ".join(p["context"].split()) for p in a["paragraphs"])
        qs = tuple(
            SquadQuestion(
                q["id"],
                q["question"].strip(),
                tuple(dict.fromkeys(x["text"] for x in q["answers"] if x["text"].strip())),
                a["title"],
            )
            for p in a["paragraphs"]
            for q in p["qas"]
        )
        out.append(Article(a["title"], paragraphs, qs))
    return sorted(out, key=lambda a: a.title)


def split_articles(articles: Sequence[Article]) -> dict[str, list[Article]]:
    """{"train", "validation", "test"}: a fixed-seed shuffle of the titles, cut by SPLIT_SIZES."""
    order = sorted(articles, key=lambda a: a.title)
    random.Random(SEED).shuffle(order)
    out: dict[str, list[Article]] = {}
    at = 0
    for name, size in SPLIT_SIZES.items():
        out[name] = sorted(order[at : at + size], key=lambda a: a.title)
        at += size
    if at != len(order):
        raise SystemExit(f"error: expected {at} SQuAD articles, found {len(order)}")
    return out


def questions(articles: Sequence[Article]) -> Iterator[SquadQuestion]:
    for a in articles:
        yield from a.questions


def squad_library(split: str, articles: Sequence[Article], config: Any) -> Any:
    """A library holding `articles` (one source each, scope local), cached between runs."""
    from corpus.reporting.documents import make_document
    from retrieval.library import Library

    def build(data_dir: Path) -> dict[str, Any]:
        library = Library(data_dir, config)
        for a in articles:
            doc = make_document(a.text, title=a.title, origin=f"squad:{a.title}", kind="text")
            library.add(doc, scope=LOCAL_SCOPE, added_by="benchmark")
        return {"articles": [a.title for a in articles]}

    key = sha256_of([a.text for a in articles] + [repr(config.chunk_tokens), "v2"])
    store = cached_store(f"squad-{split}", key, build)
    return Library(store.data_dir, config)


def contains_answer(text: str, answers: Sequence[str]) -> bool:
    folded = " ".join(text.lower().split())
    return any(" ".join(a.lower().split()) in folded for a in answers)
