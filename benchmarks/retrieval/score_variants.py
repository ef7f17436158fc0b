"""Experiment: would another sentence score separate answerable from unanswerable better?

    python -m benchmarks.retrieval.score_variants [--no-distractors]

Not a product measure: evidence for the lead when choosing how `retrieval/extractive.py`
scores sentences. Each variant rescores the same candidate sentences (`Library.candidates`)
and answers through the real `extractive_answer`. The threshold is calibrated on
calibration_questions.jsonl with the rule of `calibrate`, and then applied unchanged to the
held-out demo_questions.jsonl. Variants:

- product: the fitted sentence scorer `retrieval/extractive.py` uses (issue 9);
- previous: DENSE_WEIGHT x chunk cosine + the rest x coverage (0.25 and 0.75, which this
  experiment chose before the fitted scorer), and other weightings of the two;
- sentence: 0.5 x sentence cosine + 0.5 x coverage (each candidate sentence embedded);
- geometric mean of sentence cosine and coverage (both must be high);
- sentence only, coverage only, chunk only: one signal each.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks.retrieval.calibrate import Scored, recommend, sweep
from benchmarks.retrieval.common import (
    DATA,
    build_demo_library,
    load_line,
    load_questions,
    machine,
    table,
    write_result,
)
from retrieval.extractive import LEGACY_DENSE_WEIGHT as DENSE_WEIGHT
from retrieval.extractive import rank_key

Variant = Callable[[Any, float], float]  # (candidate, sentence cosine) -> score
VARIANTS: dict[str, Variant] = {
    "product: the fitted sentence scorer": lambda c, s: c.score,
    f"previous: {DENSE_WEIGHT} chunk cos + {1 - DENSE_WEIGHT} coverage": lambda c, s: (
        DENSE_WEIGHT * c.chunk_similarity + (1 - DENSE_WEIGHT) * c.coverage
    ),
    "0.5 chunk cos + 0.5 coverage": lambda c, s: 0.5 * c.chunk_similarity + 0.5 * c.coverage,
    "0.5 sentence cos + 0.5 coverage": lambda c, s: 0.5 * s + 0.5 * c.coverage,
    "sqrt(sentence cos x coverage)": lambda c, s: float(np.sqrt(max(s, 0.0) * c.coverage)),
    "sentence cos only": lambda c, s: s,
    "coverage only": lambda c, s: c.coverage,
    "0.35 chunk cos + 0.65 coverage": lambda c, s: 0.35 * c.chunk_similarity + 0.65 * c.coverage,
    "chunk cos only": lambda c, s: c.chunk_similarity,
}


def rescored(
    library: Any, scopes: tuple[str, ...], questions: list[Any], cache: dict[str, np.ndarray]
) -> dict[str, list[Scored]]:
    out: dict[str, list[Scored]] = {name: [] for name in VARIANTS}
    for q in questions:
        cands = library.candidates(q.question, scopes)
        texts = [c.text for c in cands if c.text not in cache]
        if texts:
            for text, vec in zip(texts, library.embeddings.embed_array(texts), strict=True):
                cache[text] = vec
        qv = library.embeddings.embed_array([q.question])[0]
        sims = [float(np.dot(qv, cache[c.text])) for c in cands]
        for name, fn in VARIANTS.items():
            new = [dataclasses.replace(c, score=fn(c, s)) for c, s in zip(cands, sims, strict=True)]
            new.sort(key=rank_key)
            out[name].append(Scored(q, new[0].score if new else 0.0, new))
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--no-distractors", action="store_true", help="demo source only")
    args = parser.parse_args(argv)

    from retrieval.config import RetrievalConfig

    config = RetrievalConfig()
    cal = load_questions(DATA / "calibration_questions.jsonl")
    held = load_questions(DATA / "demo_questions.jsonl")
    grid = [round(i * 0.01, 2) for i in range(101)]
    print(f"python -m benchmarks.retrieval.score_variants: {load_line()}")
    with tempfile.TemporaryDirectory(prefix="chorus-variants-") as tmp:
        demo = build_demo_library(Path(tmp), config, with_distractors=not args.no_distractors)
        cache: dict[str, np.ndarray] = {}
        on_cal = rescored(demo.library, demo.scopes, cal, cache)
        on_held = rescored(demo.library, demo.scopes, held, cache)
    rows, data = [], []
    n_ans = sum(q.answerable for q in held)
    n_una = len(held) - n_ans
    for name in VARIANTS:
        picked, plateau = recommend(sweep(on_cal[name], grid, config.max_answer_sentences))
        test = sweep(on_held[name], [picked.threshold], config.max_answer_sentences)[0]
        rows.append(
            [
                name,
                f"{picked.balanced_accuracy:.3f}",
                f"{picked.threshold:.2f} [{plateau[0]:.2f}, {plateau[1]:.2f}]",
                f"{test.balanced_accuracy:.3f}",
                f"{test.answered_correctly}/{n_ans}",
                f"{test.unanswerable_refused}/{n_una}",
            ]
        )
        data.append(
            {
                "variant": name,
                "calibration_best_ba": picked.balanced_accuracy,
                "threshold": picked.threshold,
                "plateau": list(plateau),
                "held_out": dataclasses.asdict(test),
            }
        )
    label = "demo only" if args.no_distractors else "demo + distractors"
    print(f"\n## Sentence-score variants ({label}, {demo.chunks} chunks)\n")
    print(
        table(
            [
                "variant",
                "calibration: best BA",
                "threshold [best run]",
                "held-out demo set: BA",
                "answered correctly",
                "unanswerable refused",
            ],
            rows,
        )
    )
    result = {
        "command": "python -m benchmarks.retrieval.score_variants"
        + (" --no-distractors" if args.no_distractors else ""),
        "machine_after": machine(),
        "library": label,
        "variants": data,
    }
    print(f"\nresults: {write_result('score_variants', result)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
