"""Calibrate the extractive refusal threshold (`RetrievalConfig.min_evidence`).

    python -m benchmarks.retrieval.calibrate          # or: python scripts/calibrate_threshold.py

Builds a fresh library in a temporary folder (the bundled demo source plus distractor
documents from ../shared: every Climate-FEVER article and 40 documents of IRA tweets), then
for each question of benchmarks/data/calibration_questions.jsonl takes the candidate
sentences the real answer path scores (`Library.candidates`) and answers it at every
threshold on a grid with the real answerer (`extractive_answer`, exactly what `Library.ask`
calls). A question counts as:

- answerable, answered correctly: not refused and the answer contains one of its facts;
- answerable, answered wrongly: not refused but none of its facts is in the answer;
- answerable, wrongly refused;
- unanswerable, refused (correct) or answered (wrong).

Balanced accuracy = mean(answered-correctly rate over answerable questions, refused rate
over unanswerable ones). Rule: the thresholds with the highest balanced accuracy form one
or more runs on the grid; the recommended value is the middle of the widest run (the
lower run on a tie; the lower middle of an even run), i.e. the point farthest from a
change in outcome. The same sweep on the demo source alone is printed as a robustness check.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from benchmarks.retrieval.common import (
    CLIMATE_FEVER,
    DATA,
    IRA_TWEETS,
    SHARED,
    Question,
    build_demo_library,
    contains_fact,
    has_shared,
    load_line,
    load_questions,
    machine,
    table,
    write_result,
)

COMMAND = "python -m benchmarks.retrieval.calibrate"


@dataclass(frozen=True)
class Scored:
    question: Question
    evidence: float  # best candidate's score (Answer.evidence); 0 when nothing was retrieved
    candidates: list[Any]  # retrieval.extractive.Candidate, best first


@dataclass(frozen=True)
class Row:
    threshold: float
    answered_correctly: int
    answered_wrongly: int
    wrongly_refused: int
    unanswerable_refused: int
    unanswerable_answered: int
    balanced_accuracy: float


def score_questions(demo: Any, questions: list[Question]) -> list[Scored]:
    from tqdm import tqdm

    out = []
    for q in tqdm(questions, desc="scoring questions", unit="q", file=sys.stderr):
        cands = demo.library.candidates(q.question, demo.scopes)
        out.append(Scored(q, cands[0].score if cands else 0.0, cands))
    return out


def sweep(scored: list[Scored], thresholds: list[float], max_sentences: int) -> list[Row]:
    from retrieval.extractive import extractive_answer

    n_ans = sum(s.question.answerable for s in scored)
    n_una = len(scored) - n_ans
    rows = []
    for t in thresholds:
        counts = dict.fromkeys(("ok", "wrong", "refused", "u_refused", "u_answered"), 0)
        for s in scored:
            answer = extractive_answer(
                s.question.question, s.candidates, min_evidence=t, max_sentences=max_sentences
            )
            if s.question.answerable:
                if answer.refused:
                    counts["refused"] += 1
                elif contains_fact(answer.answer, s.question.must_contain_any):
                    counts["ok"] += 1
                else:
                    counts["wrong"] += 1
            else:
                counts["u_refused" if answer.refused else "u_answered"] += 1
        ba = 0.5 * (
            (counts["ok"] / n_ans if n_ans else 0.0)
            + (counts["u_refused"] / n_una if n_una else 0.0)
        )
        rows.append(
            Row(
                round(t, 4),
                counts["ok"],
                counts["wrong"],
                counts["refused"],
                counts["u_refused"],
                counts["u_answered"],
                round(ba, 4),
            )
        )
    return rows


def recommend(rows: list[Row]) -> tuple[Row, tuple[float, float]]:
    """Middle of the widest run of grid points with the best balanced accuracy."""
    best = max(r.balanced_accuracy for r in rows)
    runs: list[list[Row]] = []
    previous_best = False
    for r in rows:
        is_best = r.balanced_accuracy == best
        if is_best and previous_best:
            runs[-1].append(r)
        elif is_best:
            runs.append([r])
        previous_best = is_best
    widest = max(runs, key=len)  # max() keeps the first (lowest) of equally wide runs
    return widest[(len(widest) - 1) // 2], (widest[0].threshold, widest[-1].threshold)


def show_rows(
    rows: list[Row],
    n_ans: int,
    n_una: int,
    *,
    picked: Row,
    plateau: tuple[float, float],
    current: float,
    every: float = 0.05,
) -> str:
    """Grid points every `every`, the best run's ends, the pick and the current setting
    (the JSON result holds every grid point)."""
    shown = []
    for r in rows:
        on_grid = abs(r.threshold / every - round(r.threshold / every)) < 1e-6
        marked = r is picked or r.threshold in plateau or abs(r.threshold - current) < 1e-9
        if on_grid or marked:
            shown.append(
                [
                    f"{r.threshold:.2f}"
                    + (" ← recommended" if r is picked else "")
                    + (" (current)" if abs(r.threshold - current) < 1e-9 else ""),
                    f"{r.answered_correctly}/{n_ans}",
                    f"{r.answered_wrongly}/{n_ans}",
                    f"{r.wrongly_refused}/{n_ans}",
                    f"{r.unanswerable_refused}/{n_una}",
                    f"{r.balanced_accuracy:.3f}",
                ]
            )
    return table(
        [
            "threshold",
            "answerable: answered correctly",
            "answered wrongly",
            "wrongly refused",
            "unanswerable refused",
            "balanced accuracy",
        ],
        shown,
    )


def calibrate(
    label: str,
    demo: Any,
    questions: list[Question],
    *,
    thresholds: list[float],
    max_sentences: int,
    current: float,
) -> dict[str, Any]:
    started = time.perf_counter()
    scored = score_questions(demo, questions)
    rows = sweep(scored, thresholds, max_sentences)
    picked, plateau = recommend(rows)
    n_ans = sum(q.answerable for q in questions)
    n_una = len(questions) - n_ans
    print(f"\n## {label}: {demo.chunks} chunks ({demo.distractors} distractor documents)\n")
    print(show_rows(rows, n_ans, n_una, picked=picked, plateau=plateau, current=current))
    print(
        f"\nrecommended min_evidence = {picked.threshold:.2f} (best balanced accuracy "
        f"{picked.balanced_accuracy:.3f} on [{plateau[0]:.2f}, {plateau[1]:.2f}])"
    )
    ans = sorted((s for s in scored if s.question.answerable), key=lambda s: s.evidence)
    una = sorted((s for s in scored if not s.question.answerable), key=lambda s: -s.evidence)
    print(
        "lowest-scoring answerable:   "
        + "; ".join(f"{s.evidence:.3f} {s.question.question!r}" for s in ans[:4])
    )
    print(
        "highest-scoring unanswerable: "
        + "; ".join(f"{s.evidence:.3f} {s.question.question!r}" for s in una[:4])
    )
    return {
        "label": label,
        "chunks": demo.chunks,
        "distractor_documents": demo.distractors,
        "build_s": round(demo.build_s, 1),
        "score_and_sweep_s": round(time.perf_counter() - started, 1),
        "recommended": picked.threshold,
        "best_balanced_accuracy": picked.balanced_accuracy,
        "best_plateau": list(plateau),
        "questions": [
            {
                "question": s.question.question,
                "answerable": s.question.answerable,
                "kind": s.question.kind,
                "evidence": round(s.evidence, 4),
                "best_sentence": s.candidates[0].text if s.candidates else "",
                "best_chunk_similarity": round(s.candidates[0].chunk_similarity, 4)
                if s.candidates
                else 0.0,
                "best_coverage": round(s.candidates[0].coverage, 4) if s.candidates else 0.0,
            }
            for s in scored
        ],
        "sweep": [r.__dict__ for r in rows],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--questions", type=Path, default=DATA / "calibration_questions.jsonl", help="JSONL set"
    )
    parser.add_argument(
        "--no-distractors",
        action="store_true",
        help="demo source only (no ../shared needed; scores are less realistic)",
    )
    parser.add_argument("--step", type=float, default=0.01, help="threshold grid step")
    args = parser.parse_args(argv)

    from retrieval.config import RetrievalConfig
    from retrieval.embeddings import MiniLMEmbeddings

    with_distractors = not args.no_distractors
    if with_distractors and not (has_shared(CLIMATE_FEVER) and has_shared(IRA_TWEETS)):
        raise SystemExit(
            f"error: the distractor documents come from {SHARED}/data/real (Climate-FEVER and "
            "IRA tweets), which is not there. Put ../shared beside the checkout, or run with "
            "--no-distractors (demo source only)."
        )
    questions = load_questions(args.questions)
    config = RetrievalConfig()
    steps = round(1.0 / args.step)
    thresholds = [round(i * args.step, 4) for i in range(steps + 1)]
    print(f"{COMMAND}: {len(questions)} questions from {args.questions.name}; {load_line()}")
    print(f"current RetrievalConfig.min_evidence = {config.min_evidence}")
    before = machine()
    embeddings = MiniLMEmbeddings(batch_size=config.embed_batch)
    reports = []
    with tempfile.TemporaryDirectory(prefix="chorus-calibrate-") as tmp:
        conditions = [("demo source + distractors", True)] if with_distractors else []
        conditions.append(("demo source only", False))
        for label, distract in conditions:
            demo = build_demo_library(
                Path(tmp) / label.split()[-1],
                config,
                with_distractors=distract,
                embeddings=embeddings,
            )
            reports.append(
                calibrate(
                    label,
                    demo,
                    questions,
                    thresholds=thresholds,
                    max_sentences=config.max_answer_sentences,
                    current=config.min_evidence,
                )
            )
    main_report = reports[0]
    print(
        f"\nRECOMMENDED RetrievalConfig.min_evidence = {main_report['recommended']:.2f} "
        f"(from: {main_report['label']}; distractors used: {with_distractors})"
    )
    path = write_result(
        "calibration",
        {
            "command": COMMAND,
            "machine_before": before,
            "machine_after": machine(),
            "questions_file": str(args.questions.name),
            "distractors_used": with_distractors,
            "current_min_evidence": config.min_evidence,
            "recommended_min_evidence": main_report["recommended"],
            "rule": "max balanced accuracy; middle of the widest best run (lower on ties)",
            "conditions": reports,
        },
    )
    print(f"results: {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
