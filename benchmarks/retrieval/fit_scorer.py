"""Fit the sentence scorer from scratch and write the parameters file the product ships.

    python -m benchmarks.retrieval.fit_scorer     # 15 min on 2 busy cores; 1 min when cached

Data: the training articles of the by-article SQuAD 2.0 split (squad_data.py) and the
project's user-style calibration questions (benchmarks/data/calibration_questions.jsonl over
the demo source and calibration_questions_docs.jsonl over calibration_docs/, one library; in
the variants that weigh their rows above 0, see VARIANTS). Every
candidate quote the answer path produces for a question (`extractive.prepare`, the same
call `Library.ask` makes) is a row, labelled 1 when it holds a gold answer. The features are
cached in benchmarks/results/cache/fit_collected.pkl (`--recollect` ignores them).

Three scorers are fitted (logistic regression, L2, Newton's method):
- "features": the 19 features of retrieval/answer_features.py, on SQuAD training rows;
- "features + calibration": the same, with the calibration questions' rows in the fit too;
- "probe + calibration": the features plus the question and quote vectors read jointly
  (q * s, |q - s|: 786 columns).
Each is judged on the validation articles and on the calibration questions (these scored by
2-fold cross-fitting split by document: each half by a model fitted without it): the refusal
threshold that maximises balanced accuracy (the mean of the two sets'; the middle of the
widest best run, as calibrate.py's rule), and that accuracy. The better one is
written to retrieval/model_files/sentence_scorer/scorer.json, with PROVENANCE.md beside it;
the threshold written there is the same rule on the user-style calibration questions alone,
the questions the product is for (the product's default, `RetrievalConfig.min_evidence`,
is set by hand from it; the README says how).
The test articles are never read here.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks.retrieval.calibrate import Row, Scored, recommend, sweep
from benchmarks.retrieval.common import (
    CALIBRATION_FILES,
    LOCAL_SCOPE,
    RESULTS,
    SEED,
    Question,
    build_calibration_library,
    calibration_folds,
    calibration_questions,
    contains_fact,
    load_line,
    machine,
    table,
    write_result,
)
from benchmarks.retrieval.squad_data import (
    SPLIT_SIZES,
    load_articles,
    split_articles,
    squad_library,
)
from retrieval.extractive import rank_key

COMMAND = "python -m benchmarks.retrieval.fit_scorer"
GRID = [round(i / 100, 2) for i in range(0, 101)]
LAMBDAS = {"features": 1.0, "probe": 1000.0}
# The scorers fitted and compared: (kind, weight of a calibration-question row; SQuAD rows
# weigh 1, and there are ten times more of them).
VARIANTS = {
    "features": ("features", 0.0),
    "features + calibration": ("features", 5.0),
    "features + calibration x20": ("features", 20.0),
    "probe + calibration": ("probe", 5.0),
}


@dataclass
class Collected:
    """What the scorer reads for one question, and the gold labels."""

    question: Question
    candidates: list[Any]  # extractive.Candidate in pre-score order (top len(rows) scored)
    rows: np.ndarray
    vectors: np.ndarray
    qvec: np.ndarray
    labels: np.ndarray


def collect(
    library: Any, scopes: tuple[str, ...], qs: list[Question], desc: str
) -> list[Collected]:
    from tqdm import tqdm

    from retrieval.extractive import prepare

    out = []
    for q in tqdm(qs, desc=desc, unit="q", file=sys.stderr):
        hits, sims = library.retrieve(q.question, scopes)
        qvec = library.searcher.vectors.get(q.question)
        scored = prepare(
            q.question,
            hits,
            sims,
            library.catalog,
            query_vector=qvec,
            embed=library._sentence_vectors.get_many,
            max_scored=library.config.max_scored_sentences,
        )
        n = len(scored.rows)
        labels = np.array(
            [
                q.answerable and contains_fact(c.text, q.must_contain_any)
                for c in scored.candidates[:n]
            ],
            dtype=np.float64,
        )
        out.append(Collected(q, scored.candidates, scored.rows, scored.vectors, qvec, labels))
    return out


def design(
    kind: str, items: list[Collected], weight: float = 1.0
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(rows, labels, row weights) of the candidates of `items`."""
    from retrieval.answer_features import joint_rows

    xs, ys = [], []
    for c in items:
        if not len(c.rows):
            continue
        x = c.rows.astype(np.float32)
        if kind == "probe":
            x = np.hstack([x, joint_rows(c.qvec, c.vectors)])
        xs.append(x)
        ys.append(c.labels)
    y = np.concatenate(ys)
    return np.vstack(xs), y, np.full(len(y), weight)


def stack(*parts: tuple[np.ndarray, np.ndarray, np.ndarray]) -> tuple[np.ndarray, ...]:
    return tuple(np.concatenate([p[i] for p in parts]) for i in range(3))


def fit_logistic(
    x: np.ndarray, y: np.ndarray, lam: float, weights: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
    """(mean, scale, weights, bias) of an L2 logistic regression on standardised columns."""
    mean = x.mean(axis=0)
    scale = x.std(axis=0)
    scale[scale < 1e-6] = 1.0
    z = np.hstack([(x - mean) / scale, np.ones((len(x), 1), dtype=np.float32)]).astype(np.float64)
    w = np.zeros(z.shape[1])
    reg = np.full(z.shape[1], lam)
    reg[-1] = 0.0  # the bias is not shrunk
    for _ in range(30):
        p = 1.0 / (1.0 + np.exp(-np.clip(z @ w, -30, 30)))
        grad = z.T @ (weights * (p - y)) + reg * w
        hess = (z * (weights * p * (1 - p))[:, None]).T @ z + np.diag(reg + 1e-9)
        step = np.linalg.solve(hess, grad)
        w -= step
        if np.max(np.abs(step)) < 1e-6:
            break
    return (
        mean.astype(np.float32),
        scale.astype(np.float32),
        w[:-1].astype(np.float32),
        float(w[-1]),
    )


def rescore(scorer: Any, items: list[Collected]) -> list[Scored]:
    """The questions as `Library.candidates` would return them under `scorer`."""
    out = []
    for c in items:
        if scorer is None:
            cands = sorted(c.candidates, key=rank_key)
        else:
            probs = scorer.probabilities(c.rows, c.qvec, c.vectors) if len(c.rows) else []
            cands = [replace(k, score=float(p)) for k, p in zip(c.candidates, probs, strict=False)]
            cands.sort(key=rank_key)
        out.append(Scored(c.question, cands[0].score if cands else 0.0, cands))
    return out


def combined(rows_a: list[Row], rows_b: list[Row]) -> list[Row]:
    """Rows whose balanced accuracy is the mean of two sets' (for the threshold rule)."""
    return [
        replace(a, balanced_accuracy=round(0.5 * (a.balanced_accuracy + b.balanced_accuracy), 4))
        for a, b in zip(rows_a, rows_b, strict=True)
    ]


def to_question(q: Any) -> Question:
    return Question(q.question, q.answerable, q.answers, "" if q.answerable else "on_topic")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--train-questions", type=int, default=600, help="sampled, fixed seed")
    parser.add_argument("--validation-questions", type=int, default=400, help="sampled, fixed seed")
    parser.add_argument("--out", type=Path, default=None, help="scorer file (default: shipped)")
    parser.add_argument(
        "--recollect", action="store_true", help="ignore the cached features of a previous run"
    )
    parser.add_argument("--dry-run", action="store_true", help="fit and report, write nothing")
    args = parser.parse_args(argv)

    from retrieval.config import RetrievalConfig
    from retrieval.sentence_scorer import SCORER_FILE, SentenceScorer

    started = time.perf_counter()
    info: dict[str, Any] = {"machine": machine(), "load_before": load_line()}
    print(f"{COMMAND}  ({load_line()})", file=sys.stderr)
    config = RetrievalConfig()
    split = split_articles(load_articles())
    train_lib = squad_library("train", split["train"], config)
    val_lib = squad_library("validation", split["validation"], config)
    train_qs = [to_question(q) for a in split["train"] for q in a.questions]
    random.Random(SEED).shuffle(train_qs)
    train_qs = train_qs[: args.train_questions]
    val_qs = [to_question(q) for a in split["validation"] for q in a.questions]
    random.Random(SEED + 1).shuffle(val_qs)
    val_qs = val_qs[: args.validation_questions]
    scopes = (LOCAL_SCOPE,)
    import pickle
    import tempfile

    from retrieval.answer_features import FEATURES, FEATURES_VERSION

    cache = RESULTS / "cache" / "fit_collected.pkl"
    # Only the SQuAD rows are cached (they take minutes); the calibration questions are
    # collected afresh each run (seconds), so an edited or added calibration file counts.
    key = (FEATURES, FEATURES_VERSION, config.max_scored_sentences, len(train_qs), len(val_qs))
    saved = pickle.loads(cache.read_bytes()) if cache.is_file() and not args.recollect else None
    with tempfile.TemporaryDirectory() as tmp:
        if saved is not None and saved[0] == key:
            train, val = saved[1]
        else:
            train = collect(train_lib, scopes, train_qs, "train questions")
            val = collect(val_lib, scopes, val_qs, "validation questions")
            cache.parent.mkdir(parents=True, exist_ok=True)
            cache.write_bytes(pickle.dumps((key, (train, val))))
        demo = build_calibration_library(Path(tmp) / "demo", config)
        calib = collect(demo.library, demo.scopes, calibration_questions(), "calibration")
        results: dict[str, Any] = {}
        baseline_val = sweep(rescore(None, val), GRID, config.max_answer_sentences)
        baseline_cal = sweep(rescore(None, calib), GRID, config.max_answer_sentences)
        results["previous"] = _judge(baseline_val, baseline_cal, fixed=0.57)
        fitted: dict[str, SentenceScorer] = {}
        # The calibration questions are in the fit (weighted: SQuAD has 10x more), so their
        # figures come from 2-fold cross-fitting, split by document: each half is scored by a
        # model fitted without it. The shipped model is fitted on all of them.
        folds = calibration_folds()
        for name, (kind, weight) in VARIANTS.items():
            t0 = time.perf_counter()

            def fit(
                items: list[Collected], kind: str = kind, weight: float = weight
            ) -> SentenceScorer:
                x, y, wt = stack(design(kind, train), design(kind, items, weight))
                mean, scale, w, b = fit_logistic(x, y, LAMBDAS[kind], wt)
                return SentenceScorer(kind, mean, scale, w, b, threshold=0.5)

            scorer = fit(calib)
            cross: list[Scored] = [None] * len(calib)  # type: ignore[list-item]
            for fold in folds:
                held = set(fold)
                part = fit([c for i, c in enumerate(calib) if i not in held])
                for i, sc in zip(fold, rescore(part, [calib[i] for i in fold]), strict=True):
                    cross[i] = sc
            rows_val = sweep(rescore(scorer, val), GRID, config.max_answer_sentences)
            rows_cal = sweep(cross, GRID, config.max_answer_sentences)
            judged = _judge(rows_val, rows_cal)
            _, y, _ = design(kind, train + calib)
            judged["fit_rows"] = len(y)
            judged["fit_positives"] = int(y.sum())
            judged["fit_s"] = round(time.perf_counter() - t0, 1)
            results[name] = judged
            fitted[name] = replace(scorer, threshold=judged["users_threshold"])
            print(f"{name}: {judged['summary']}", file=sys.stderr)
            print(f"  the default (users' best): {judged['users_summary']}", file=sys.stderr)

    chosen = max(VARIANTS, key=lambda k: results[k]["combined_ba"])
    print(_report(results, chosen))
    info.update(
        {
            "chosen": chosen,
            "results": results,
            "split": {k: [a.title for a in v] for k, v in split.items()},
            "train_questions": len(train_qs),
            "validation_questions": len(val_qs),
            "calibration_questions": len(calib),
            "seconds": round(time.perf_counter() - started, 1),
            "load_after": load_line(),
        }
    )
    write_result("fit_scorer", info)
    if not args.dry_run:
        out = args.out or SCORER_FILE
        import json

        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(fitted[chosen].to_json(), indent=1) + "\n", encoding="utf-8")
        (out.parent / "PROVENANCE.md").write_text(
            _provenance(info, split, results, chosen), encoding="utf-8"
        )
        print(f"wrote {out} and PROVENANCE.md beside it", file=sys.stderr)
    return 0


def _judge(rows_val: list[Row], rows_cal: list[Row], fixed: float | None = None) -> dict[str, Any]:
    both = combined(rows_val, rows_cal)
    if fixed is None:
        best, run = recommend(both)
    else:
        best = next(r for r in both if abs(r.threshold - fixed) < 1e-9)
        run = (fixed, fixed)
    at = GRID.index(best.threshold)
    v, c = rows_val[at], rows_cal[at]
    n_v = v.answered_correctly + v.answered_wrongly + v.wrongly_refused
    u_v = v.unanswerable_refused + v.unanswerable_answered
    n_c = c.answered_correctly + c.answered_wrongly + c.wrongly_refused
    u_c = c.unanswerable_refused + c.unanswerable_answered
    summary = (
        f"threshold {best.threshold:.2f} (best run {run[0]:.2f}-{run[1]:.2f}); validation "
        f"articles: {v.answered_correctly}/{n_v} answered right, {v.unanswerable_refused}/{u_v} "
        f"unanswerable refused (BA {v.balanced_accuracy:.3f}); calibration questions: "
        f"{c.answered_correctly}/{n_c}, {c.unanswerable_refused}/{u_c} "
        f"(BA {c.balanced_accuracy:.3f})"
    )
    # The product's default: where the user-style calibration questions alone put it (users
    # paraphrase, SQuAD's questions share their answer's words; see the README).
    users, users_run = (best, run) if fixed is not None else recommend(rows_cal)
    at_u = GRID.index(users.threshold)
    vu, cu = rows_val[at_u], rows_cal[at_u]
    users_summary = (
        f"threshold {users.threshold:.2f} (best run {users_run[0]:.2f}-{users_run[1]:.2f}); "
        f"calibration questions: {cu.answered_correctly}/{n_c} answered right, "
        f"{cu.answered_wrongly} wrongly, {cu.unanswerable_refused}/{u_c} unanswerable refused "
        f"(BA {cu.balanced_accuracy:.3f}); validation articles: {vu.answered_correctly}/{n_v}, "
        f"{vu.unanswerable_refused}/{u_v} (BA {vu.balanced_accuracy:.3f})"
    )
    return {
        "threshold": best.threshold,
        "run": run,
        "users_threshold": users.threshold,
        "users_run": users_run,
        "users_summary": users_summary,
        "combined_ba": best.balanced_accuracy,
        "validation": v.__dict__,
        "calibration": c.__dict__,
        "summary": summary,
        "curve_validation": [r.__dict__ for r in rows_val],
        "curve_calibration": [r.__dict__ for r in rows_cal],
    }


def _report(results: dict[str, Any], chosen: str) -> str:
    rows = []
    for name in ("previous", *VARIANTS):
        r = results[name]
        v, c = r["validation"], r["calibration"]
        n_v = v["answered_correctly"] + v["answered_wrongly"] + v["wrongly_refused"]
        u_v = v["unanswerable_refused"] + v["unanswerable_answered"]
        n_c = c["answered_correctly"] + c["answered_wrongly"] + c["wrongly_refused"]
        u_c = c["unanswerable_refused"] + c["unanswerable_answered"]
        rows.append(
            [
                name + (" (chosen)" if name == chosen else ""),
                f"{r['threshold']:.2f}",
                f"{v['answered_correctly']}/{n_v}",
                f"{v['unanswerable_refused']}/{u_v}",
                f"{v['balanced_accuracy']:.3f}",
                f"{c['answered_correctly']}/{n_c}, {c['unanswerable_refused']}/{u_c}",
                f"{c['balanced_accuracy']:.3f}",
                f"{r['combined_ba']:.3f}",
            ]
        )
    return table(
        [
            "scorer",
            "threshold",
            "val. answered right",
            "val. unanswerable refused",
            "val. BA",
            "calibration right, refused",
            "calib. BA",
            "mean BA",
        ],
        rows,
    )


def _provenance(
    info: dict[str, Any], split: dict[str, Any], results: dict[str, Any], chosen: str
) -> str:
    r = results[chosen]
    kind, weight = VARIANTS[chosen]
    others = "; ".join(f"{k}: {results[k]['summary']}" for k in VARIANTS if k != chosen)
    joint = " plus q * s and |q - s| of the MiniLM vectors" if kind == "probe" else ""
    calib_count = info["calibration_questions"]
    sizes = ", ".join(f"{k} {v}" for k, v in SPLIT_SIZES.items())
    m = info["machine"]
    lines = [
        "# Sentence scorer: provenance",
        "",
        f"Written by `{COMMAND}` on {m['date']} ({m['cpus']} CPUs, {info['load_before']});",
        f"it took {info['seconds']:.0f} s. Refit from scratch with the same command: the",
        f"split, the samples and the fit are deterministic (seed {SEED}).",
        "",
        f"- **Chosen:** `{chosen}`: logistic regression (L2 {LAMBDAS[kind]}, Newton's method)",
        f"  over the features of `retrieval/answer_features.py`{joint}.",
        "- **Data:** SQuAD 2.0 dev, the open part in `../shared/data/real/squad2_open/`",
        f"  (CC BY-SA 4.0; not shipped), split by article with seed {SEED} ({sizes}):",
        f"  - train: {', '.join(a.title for a in split['train'])};",
        f"    {info['train_questions']} questions sampled, {r['fit_rows']} candidate quotes,",
        f"    {r['fit_positives']} of them holding a gold answer;",
        "  - validation (threshold and choice of scorer only): "
        f"{', '.join(a.title for a in split['validation'])}; {info['validation_questions']} "
        "questions sampled;",
        f"  - test (never read by the fit): {', '.join(a.title for a in split['test'])}.",
        "- The user-style calibration questions (`benchmarks/data/calibration_questions.jsonl`",
        "  over the demo source, and one file per document of `calibration_docs/`: "
        f"{', '.join(f'`{n}`' for n in CALIBRATION_FILES[1:])}; {calib_count} questions,",
        "  read together as one library)",
        f"  are in this scorer's fit with weight {weight:g} per row (0: not in it) and, scored",
        "  by 2-fold cross-fitting split by document, in the threshold choice. "
        "`demo_questions.jsonl` and",
        "  `own_questions.jsonl` are not used at all.",
        "- **Choice of scorer:** the best mean balanced accuracy over the validation articles",
        "  and the calibration questions, at each scorer's threshold by calibrate.py's rule",
        f"  (the middle of the widest best run): {r['summary']}.",
        f"- **Users' threshold (written here):** {r['users_threshold']:.2f}, the same rule on",
        "  the user-style calibration questions alone (users paraphrase; SQuAD's questions share",
        f"  their answer's words, so its articles alone put it higher): {r['users_summary']}.",
        "  The product's default is `RetrievalConfig.min_evidence` (the README says how it was",
        "  chosen).",
        f"- **The others fitted:** {others}.",
        "- **The previous scorer** (0.25 chunk cosine + 0.75 coverage, threshold 0.57): "
        f"{results['previous']['summary']}.",
        "",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    raise SystemExit(main())
