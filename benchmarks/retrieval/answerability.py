"""A second stage that decides "answer or refuse" per question, judged against the shipped rule.

    python -m benchmarks.retrieval.answerability   # after fit_scorer (reads its cached features)

The shipped scorer ranks the candidate quotes well (the right one first for 27 of the 30
answerable calibration questions) but its probability is calibrated on SQuAD, so users'
paraphrases score low. This tries to separate "which sentence" from "whether any": the
sentence scorer (fitted on the SQuAD training articles, as shipped) ranks; a logistic
regression over question-level features of its output decides. The features are meant to
carry across domains: the best quote's logit and its margin over the second, the best
sentence and chunk cosines (topic relevance), the best quote's coverage and whether it holds
what the question asks for, the question's length, how many quotes score near the best.
It is fitted on the SQuAD training questions (the sentence scorer's probabilities for them
cross-fitted in 2 folds) plus the calibration questions (each weighs CALIBRATION_WEIGHT
SQuAD questions: 50 x 4 against 600; cross-fitted in 2 folds for their own figures). Each
quote's score becomes answerability x (its probability / the best one's), so the product's
refusal rule (the best score against `min_evidence`) and its choice of quotes would stay as
they are. Thresholds by calibrate.py's rule on the mean balanced accuracy of the validation
articles and the calibration questions, as fit_scorer does. The test articles, the own
question set and the demo questions are never read here.
"""

from __future__ import annotations

import argparse
import pickle
import random
from dataclasses import replace
from typing import Any

import numpy as np

from benchmarks.retrieval.calibrate import Scored, sweep
from benchmarks.retrieval.common import RESULTS, SEED, contains_fact, write_result
from benchmarks.retrieval.fit_scorer import GRID, Collected, _judge, design, fit_logistic
from retrieval.answer_features import FEATURES
from retrieval.extractive import extractive_answer, rank_key
from retrieval.sentence_scorer import SentenceScorer

COMMAND = "python -m benchmarks.retrieval.answerability"
FIT_COMMAND = "python -m benchmarks.retrieval.fit_scorer"
CALIBRATION_WEIGHT = 4.0  # one user-style calibration question weighs 4 SQuAD questions
LAMBDA = 1.0
_F = {name: i for i, name in enumerate(FEATURES)}
Stage = tuple[np.ndarray, np.ndarray, np.ndarray, float]


def _logit(p: float) -> float:
    p = min(max(p, 1e-6), 1 - 1e-6)
    return float(np.log(p / (1 - p)))


def question_row(c: Collected, probs: np.ndarray) -> np.ndarray:
    rows, order = c.rows, np.argsort(-probs)
    p1 = float(probs[order[0]])
    p2 = float(probs[order[1]]) if len(order) > 1 else 0.0
    top = rows[order[0]]
    return np.array(
        [
            _logit(p1),
            _logit(p1) - _logit(p2),
            top[_F["sent_cos"]],
            rows[:, _F["sent_cos"]].max(),
            top[_F["chunk_cos"]],
            rows[:, _F["chunk_cos"]].max(),
            top[_F["coverage"]],
            rows[:, _F["coverage"]].max(),
            top[_F["type_met"]],
            top[_F["type_unmet"]],
            top[_F["q_len"]],
            float((probs >= 0.5 * p1).sum()),
        ],
        dtype=np.float32,
    )


def _stage1(items: list[Collected]) -> SentenceScorer:
    x, y, w = design("features", items)
    mean, scale, weights, bias = fit_logistic(x, y, 1.0, w)
    return SentenceScorer("features", mean, scale, weights, bias, threshold=0.5)


def _ranked(c: Collected, probs: np.ndarray) -> list[Any]:
    cands = [replace(k, score=float(p)) for k, p in zip(c.candidates, probs, strict=False)]
    return sorted(cands, key=rank_key)


def _table(items: list[Collected], s1: SentenceScorer) -> tuple[np.ndarray, np.ndarray]:
    """Question rows and labels: 1 when the answer at threshold 0 holds a gold answer."""
    xs, ys = [], []
    for c in items:
        if not len(c.rows):
            continue
        probs = s1.probabilities(c.rows, c.qvec, c.vectors)
        answer = extractive_answer(
            c.question.question, _ranked(c, probs), min_evidence=0.0, max_sentences=3
        )
        right = c.question.answerable and contains_fact(answer.answer, c.question.must_contain_any)
        xs.append(question_row(c, probs))
        ys.append(float(right))
    return np.array(xs), np.array(ys)


def scored(items: list[Collected], s1: SentenceScorer, stage2: Stage | None) -> list[Scored]:
    out = []
    for c in items:
        if not len(c.rows):
            out.append(Scored(c.question, 0.0, []))
            continue
        probs = s1.probabilities(c.rows, c.qvec, c.vectors)
        if stage2 is not None:
            mean, scale, w, b = stage2
            z = float(((question_row(c, probs) - mean) / scale) @ w + b)
            probs = probs / probs.max() / (1.0 + np.exp(-z))
        cands = _ranked(c, probs)
        out.append(Scored(c.question, cands[0].score, cands))
    return out


def _folds(n: int) -> list[list[int]]:
    order = list(range(n))
    random.Random(SEED).shuffle(order)
    return [sorted(order[0::2]), sorted(order[1::2])]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.parse_args(argv)
    cache = RESULTS / "cache" / "fit_collected.pkl"
    if not cache.is_file():
        raise SystemExit(
            f"error: {cache} is missing; run python -m benchmarks.retrieval.fit_scorer"
        )
    import __main__

    __main__.Collected = Collected  # pickled by fit_scorer run as __main__
    _key, (train, val, calib) = pickle.loads(cache.read_bytes())
    s1 = _stage1(train)
    xt, yt = [], []
    for fold in _folds(len(train)):  # the sentence scorer's probabilities, out of fold
        held = set(fold)
        part = _stage1([c for i, c in enumerate(train) if i not in held])
        x, y = _table([train[i] for i in fold], part)
        xt.append(x)
        yt.append(y)
    x_train, y_train = np.vstack(xt), np.concatenate(yt)

    def fit(cal: list[Collected]) -> Stage:
        xc, yc = _table(cal, s1)
        x = np.vstack([x_train, xc])
        y = np.concatenate([y_train, yc])
        w = np.concatenate([np.ones(len(y_train)), np.full(len(yc), CALIBRATION_WEIGHT)])
        return fit_logistic(x.astype(np.float32), y, LAMBDA, w)

    stage2 = fit(calib)
    cross: list[Scored] = [Scored(c.question, 0.0, []) for c in calib]
    for fold in _folds(len(calib)):
        held = set(fold)
        half = fit([c for i, c in enumerate(calib) if i not in held])
        for i, s in zip(fold, scored([calib[i] for i in fold], s1, half), strict=True):
            cross[i] = s
    results: dict[str, Any] = {}
    one_v, one_c = scored(val, s1, None), scored(calib, s1, None)
    for name, sv, sc, fixed in (
        ("sentence scorer alone (shipped), rule's threshold", one_v, one_c, None),
        ("sentence scorer alone (shipped), at the default 0.18", one_v, one_c, 0.18),
        ("sentence scorer + answerability stage", scored(val, s1, stage2), cross, None),
    ):
        judged = _judge(sweep(sv, GRID, 3), sweep(sc, GRID, 3), fixed=fixed)
        results[name] = judged
        print(f"{name}: mean BA {judged['combined_ba']:.3f}; {judged['summary']}")
    results["answerability_weights"] = [round(float(v), 3) for v in stage2[2]]
    write_result("answerability", results)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
