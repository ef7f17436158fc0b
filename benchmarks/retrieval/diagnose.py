"""Why calibration questions fail: each one classified, for diagnosis (never a test set).

    python -m benchmarks.retrieval.diagnose [--min-evidence 0.18]

Reads only the user-style calibration questions (`calibration_questions*.jsonl` over the demo
source and calibration_docs/, one library, as fit_scorer does). Each answerable question that
is not answered with its fact is put in one class:
- retrieval miss: no candidate quote holds the fact (the chunk may, when the fact is cut by a
  heading or spans two sentences);
- pre-score miss: a candidate holds it, but not among the `max_scored_sentences` embedded;
- refused below the threshold: the best quote holding it scores under the threshold;
- wrong sentence: an answer was given, without the fact.
Unanswerable questions that were answered are listed with the quote that answered them.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from collections import Counter
from dataclasses import replace
from pathlib import Path

from benchmarks.retrieval.common import (
    build_calibration_library,
    calibration_questions,
    contains_fact,
)


def main(argv: list[str] | None = None) -> int:
    from retrieval.config import RetrievalConfig
    from retrieval.extractive import extractive_answer, prepare

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--min-evidence", type=float, default=None, help="default: configured")
    args = parser.parse_args(argv)
    config = RetrievalConfig()
    threshold = config.min_evidence if args.min_evidence is None else args.min_evidence
    classes: Counter[str] = Counter()
    unanswerable = refused = 0
    lines = []
    with tempfile.TemporaryDirectory() as tmp:
        demo = build_calibration_library(Path(tmp) / "demo", config)
        lib = demo.library
        for q in calibration_questions():
            hits, sims = lib.retrieve(q.question, demo.scopes)
            scored = prepare(
                q.question,
                hits,
                sims,
                lib.catalog,
                query_vector=lib.searcher.vectors.get(q.question),
                embed=lib._sentence_vectors.get_many,
                max_scored=config.max_scored_sentences,
            )
            n = len(scored.rows)
            probs = (
                lib.scorer.probabilities(scored.rows, scored.question.vector, scored.vectors)
                if n and scored.question is not None
                else []
            )
            top = [
                replace(c, score=float(p)) for c, p in zip(scored.candidates, probs, strict=False)
            ]
            top.sort(key=lambda c: -c.score)
            answer = extractive_answer(
                q.question, top, min_evidence=threshold, max_sentences=config.max_answer_sentences
            )
            best = top[0].score if top else 0.0
            if not q.answerable:
                unanswerable += 1
                refused += answer.refused
                if not answer.refused:
                    lines.append(
                        f"answered (unanswerable) {q.question!r} {best:.2f}: {top[0].text}"
                    )
                continue
            if not answer.refused and contains_fact(answer.answer, q.must_contain_any):
                classes["right"] += 1
                continue
            gold = [
                i
                for i, c in enumerate(scored.candidates)
                if contains_fact(c.text, q.must_contain_any)
            ]
            if not gold:
                kind = "retrieval miss"
            elif gold[0] >= n:
                kind = "pre-score miss"
            elif answer.refused:
                kind = "refused below the threshold"
            else:
                kind = "wrong sentence"
            classes[kind] += 1
            gold_best = max(
                (c.score for c in top if contains_fact(c.text, q.must_contain_any)), default=0.0
            )
            lines.append(
                f"{kind}: {q.question!r} best {best:.2f}, best with the fact {gold_best:.2f}"
            )
    print("\n".join(lines))
    answerable = sum(classes.values())
    print(
        f"\nat {threshold:.2f}: answerable {answerable}: "
        + ", ".join(f"{k} {v}" for k, v in classes.most_common())
        + f"; unanswerable refused {refused}/{unanswerable}",
        file=sys.stdout,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
