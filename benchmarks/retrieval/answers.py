"""Answer quality of the sentence scorer, beside the previous scorer and a BM25 baseline.

    python -m benchmarks.retrieval.answers              # about 15 minutes on 2 busy cores

One run reports:
A. SQuAD 2.0 held-out test articles (squad_data.py: never used for fitting or thresholds),
   ingested as one library, one source per article. For a fixed-seed sample of their
   questions: answerable answered with the gold answer in a quote / answered without it /
   refused, unanswerable refused, quotes verbatim at their offsets, and ask latency, for
   - the fitted scorer at the default threshold (what `chorus ask` runs),
   - the previous scorer (0.25 chunk cosine + 0.75 coverage) at its default 0.57,
   - a BM25 top-sentence baseline (FTS5 over every sentence; threshold tuned on the
     validation articles for the best balanced accuracy),
   and the threshold curves of the first two.
B. The own question set (benchmarks/data/own_questions.jsonl) over the demo source and the
   four documents in benchmarks/data/own_docs/ (text, Markdown, HTML, PDF), through
   `Library.ask`, and C. the demo questions (benchmarks/data/demo_questions.jsonl) over the
   demo source alone. Neither set is used by any fit.
"""

from __future__ import annotations

import argparse
import random
import sqlite3
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks.retrieval.calibrate import Row, Scored, recommend, sweep
from benchmarks.retrieval.common import (
    DATA,
    DEMO_SCOPE,
    LOCAL_SCOPE,
    SEED,
    Question,
    build_demo_library,
    load_line,
    load_questions,
    machine,
    percentile,
    table,
    write_result,
)
from benchmarks.retrieval.fit_scorer import GRID, to_question
from benchmarks.retrieval.quality import ask_all
from benchmarks.retrieval.squad_data import (
    contains_answer,
    load_articles,
    split_articles,
    squad_library,
)
from tests.retrieval.catalog_support import source_text

COMMAND = "python -m benchmarks.retrieval.answers"
OWN_DOCS = DATA / "own_docs"
CURVE_POINTS = (0.1, 0.2, 0.3, 0.4, 0.5, 0.57, 0.6, 0.7, 0.8)


class Bm25Sentences:
    """Every sentence of a library's sources in an FTS5 table; the top one by BM25."""

    def __init__(self, library: Any, scopes: tuple[str, ...]) -> None:
        from corpus.reporting.context_lines import inside
        from retrieval.sentences import split_sentences

        self.db = sqlite3.connect(":memory:")
        self.db.execute("CREATE VIRTUAL TABLE s USING fts5(text, tokenize='porter unicode61')")
        for source in library.sources(list(scopes)):
            text = source_text(library.catalog, source.id)
            context = library.catalog.context_spans(source.id)
            self.db.executemany(
                "INSERT INTO s (text) VALUES (?)",
                [
                    (x.text,)
                    for x in split_sentences(text, breaks=context)
                    if not inside(context, x.start, x.end)
                ],
            )

    def top(self, question: str) -> tuple[str, float]:
        from retrieval.keyword_query import fts_query, fts_terms

        terms = fts_terms(question)
        if not terms:
            return "", 0.0
        row = self.db.execute(
            "SELECT text, -bm25(s) FROM s WHERE s MATCH ? ORDER BY bm25(s) LIMIT 1",
            (fts_query(terms),),
        ).fetchone()
        return (str(row[0]), float(row[1])) if row else ("", 0.0)


def bm25_rows(bm: Bm25Sentences, qs: list[Question], grid: list[float]) -> list[Row]:
    tops = [bm.top(q.question) for q in qs]
    n_ans = sum(q.answerable for q in qs)
    n_una = len(qs) - n_ans
    rows = []
    for t in grid:
        ok = wrong = refused = u_ref = 0
        for q, (text, score) in zip(qs, tops, strict=True):
            answered = bool(text) and score >= t
            if q.answerable:
                if not answered:
                    refused += 1
                elif contains_answer(text, q.must_contain_any):
                    ok += 1
                else:
                    wrong += 1
            else:
                u_ref += not answered
        ba = 0.5 * (ok / max(1, n_ans) + u_ref / max(1, n_una))
        rows.append(Row(t, ok, wrong, refused, u_ref, n_una - u_ref, round(ba, 4)))
    return rows


def _at(rows: list[Row], t: float) -> Row:
    return min(rows, key=lambda r: abs(r.threshold - t))


def _row(label: str, r: Row, extra: str = "") -> list[str]:
    n = r.answered_correctly + r.answered_wrongly + r.wrongly_refused
    u = r.unanswerable_refused + r.unanswerable_answered
    return [
        label,
        f"{r.threshold:g}",
        f"{r.answered_correctly}/{n} ({100 * r.answered_correctly / max(1, n):.0f}%)",
        f"{r.answered_wrongly}/{n}",
        f"{r.wrongly_refused}/{n}",
        f"{r.unanswerable_refused}/{u} ({100 * r.unanswerable_refused / max(1, u):.0f}%)",
        f"{r.balanced_accuracy:.3f}",
        extra,
    ]


def part_a(n_questions: int) -> tuple[str, dict[str, Any]]:
    from tqdm import tqdm

    from retrieval.config import RetrievalConfig
    from retrieval.extractive import candidate_sentences

    config = RetrievalConfig()
    split = split_articles(load_articles())
    library = squad_library("test", split["test"], config)
    scopes = (LOCAL_SCOPE,)
    qs = [to_question(q) for a in split["test"] for q in a.questions]
    random.Random(SEED + 2).shuffle(qs)
    qs = qs[:n_questions]
    new: list[Scored] = []
    old: list[Scored] = []
    ask_ms: list[float] = []
    verbatim = quotes = 0
    texts: dict[str, str] = {}
    library.candidates("warm-up question about the river", scopes)
    for q in tqdm(qs, desc="held-out SQuAD questions", unit="q", file=sys.stderr):
        t0 = time.perf_counter()
        answer = library.ask(q.question, scopes)
        ask_ms.append(1000 * (time.perf_counter() - t0))
        for c in answer.citations:
            if c.source_id not in texts:
                texts[c.source_id] = source_text(library.catalog, c.source_id)
            quotes += 1
            verbatim += texts[c.source_id][c.start : c.end] == c.quote
        cands = library.candidates(q.question, scopes)  # cached vectors: same as ask's
        new.append(Scored(q, cands[0].score if cands else 0.0, cands))
        hits, sims = library.retrieve(q.question, scopes)
        legacy = candidate_sentences(q.question, hits, sims, library.catalog, scorer=None)
        old.append(Scored(q, legacy[0].score if legacy else 0.0, legacy))
    rows_new = sweep(new, GRID, config.max_answer_sentences)
    rows_old = sweep(old, GRID, config.max_answer_sentences)

    # BM25 top sentence: its threshold is tuned on the validation articles.
    val_lib = squad_library("validation", split["validation"], config)
    val_qs = [to_question(q) for a in split["validation"] for q in a.questions]
    bm_val = Bm25Sentences(val_lib, scopes)
    grid_bm = [float(x) for x in range(0, 31)]
    bm_threshold = recommend(bm25_rows(bm_val, val_qs, grid_bm))[0].threshold
    rows_bm = bm25_rows(Bm25Sentences(library, scopes), qs, grid_bm)

    default = config.min_evidence
    lat = f"p50 {percentile(ask_ms, 50):.0f} ms, p95 {percentile(ask_ms, 95):.0f} ms"
    headers = [
        "scorer",
        "threshold",
        "answerable: gold answer quoted",
        "answered wrongly",
        "refused",
        "unanswerable refused",
        "BA",
        "ask latency",
    ]
    body = table(
        headers,
        [
            _row("fitted sentence scorer (default)", _at(rows_new, default), lat),
            _row("previous scorer (default 0.57)", _at(rows_old, 0.57)),
            _row("BM25 top sentence (threshold tuned on validation)", _at(rows_bm, bm_threshold)),
            _row(
                "fitted, best BA on this test set (not a figure to quote)", recommend(rows_new)[0]
            ),
            _row(
                "previous, best BA on this test set (not a figure to quote)", recommend(rows_old)[0]
            ),
        ],
    )
    curve = table(
        [
            "threshold",
            "fitted: answered right",
            "fitted: unanswerable refused",
            "previous: answered right",
            "previous: unanswerable refused",
        ],
        [
            [
                f"{t:g}",
                _pct(_at(rows_new, t).answered_correctly, _n(rows_new[0])),
                _pct(_at(rows_new, t).unanswerable_refused, _u(rows_new[0])),
                _pct(_at(rows_old, t).answered_correctly, _n(rows_old[0])),
                _pct(_at(rows_old, t).unanswerable_refused, _u(rows_old[0])),
            ]
            for t in CURVE_POINTS
        ],
    )
    n_ans = sum(q.answerable for q in qs)
    text = (
        f"### A. SQuAD 2.0 held-out test articles ({', '.join(a.title for a in split['test'])}): "
        f"{len(qs)} questions sampled (seed {SEED + 2}), {n_ans} answerable, "
        f"{len(qs) - n_ans} unanswerable; {library.catalog.count_chunks()} chunks\n\n{body}\n\n"
        f"Quotes verbatim at their offsets: {verbatim}/{quotes}.\n\n"
        f"Threshold curves (share of answerable answered with the gold answer; share of "
        f"unanswerable refused):\n\n{curve}\n"
    )
    data = {
        "questions": len(qs),
        "new": [r.__dict__ for r in rows_new],
        "previous": [r.__dict__ for r in rows_old],
        "bm25": [r.__dict__ for r in rows_bm],
        "bm25_threshold": bm_threshold,
        "ask_ms": ask_ms,
        "quotes": quotes,
        "verbatim": verbatim,
    }
    return text, data


def _n(r: Row) -> int:
    return r.answered_correctly + r.answered_wrongly + r.wrongly_refused


def _u(r: Row) -> int:
    return r.unanswerable_refused + r.unanswerable_answered


def _pct(a: int, b: int) -> str:
    return f"{100 * a / max(1, b):.0f}%"


class _Lib:
    def __init__(self, library: Any, scopes: tuple[str, ...]) -> None:
        self.library = library
        self.scopes = scopes


def own_library(data_dir: Path, config: Any) -> _Lib:
    from corpus.reporting.demo import demo_document
    from corpus.reporting.load import load_file
    from retrieval.library import Library

    library = Library(data_dir, config)
    library.add(demo_document(), scope=DEMO_SCOPE, added_by="benchmark")
    for path in sorted(OWN_DOCS.iterdir()):
        if path.suffix in (".txt", ".md", ".html", ".pdf"):
            library.add(load_file(path, max_bytes=10**7), scope=LOCAL_SCOPE, added_by="benchmark")
    return _Lib(library, (LOCAL_SCOPE, DEMO_SCOPE))


def parts_bc(min_evidence: float | None = None) -> tuple[str, dict[str, Any]]:
    from retrieval.config import RetrievalConfig

    config = RetrievalConfig()
    if min_evidence is not None:
        config = config.model_copy(update={"min_evidence": min_evidence})
    with tempfile.TemporaryDirectory() as tmp:
        own = own_library(Path(tmp) / "own", config)
        r_own = ask_all(own, load_questions(DATA / "own_questions.jsonl"), config.min_evidence)
        demo = build_demo_library(Path(tmp) / "demo", config, with_distractors=False)
        r_demo = ask_all(demo, load_questions(DATA / "demo_questions.jsonl"), config.min_evidence)
    rows = []
    for label, r in (
        ("own question set (demo + 4 own documents)", r_own),
        ("demo questions (demo source alone)", r_demo),
    ):
        rows.append(
            [
                label,
                f"{r['answerable_with_fact']}/{r['answerable']} "
                f"({_pct(r['answerable_with_fact'], r['answerable'])})",
                f"{r['answerable_answered_without_fact']}/{r['answerable']}",
                f"{r['answerable_refused']}/{r['answerable']}",
                f"{r['unanswerable_off_topic_refused']}/{r['unanswerable_off_topic']}",
                f"{r['unanswerable_on_topic_refused']}/{r['unanswerable_on_topic']}",
                f"{r['unanswerable_refused']}/{r['unanswerable']}",
                f"{r['citations_verbatim']}/{r['citations']}",
            ]
        )
    body = table(
        [
            "question set",
            "answerable right",
            "answered without the fact",
            "refused",
            "off-topic refused",
            "on-topic unanswerable refused",
            "all unanswerable refused",
            "quotes verbatim",
        ],
        rows,
    )
    misses = []
    for r in (r_own, r_demo):
        for p in r["per_question"]:
            if (p["answerable"] and not p["has_fact"]) or (
                not p["answerable"] and not p["refused"]
            ):
                misses.append(
                    f"- {p['question']} (evidence {p['evidence']:.2f}) -> {p['answer'][:160]}"
                )
    text = (
        "### B, C. Own question set and demo questions, at the default threshold "
        f"{config.min_evidence}\n\n{body}\n\nMisses:\n" + "\n".join(misses) + "\n"
    )
    return text, {"own": r_own, "demo": r_demo}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--questions", type=int, default=600, help="held-out SQuAD questions sampled"
    )
    parser.add_argument("--skip-squad", action="store_true", help="only the own and demo sets")
    parser.add_argument(
        "--min-evidence", type=float, default=None, help="B and C at this threshold instead"
    )
    args = parser.parse_args(argv)
    started = time.perf_counter()
    info: dict[str, Any] = {"machine": machine(), "load_before": load_line()}
    out = [f"{COMMAND}  ({load_line()})\n"]
    if not args.skip_squad:
        text, info["squad"] = part_a(args.questions)
        out.append(text)
    text, info["own_and_demo"] = parts_bc(args.min_evidence)
    out.append(text)
    info["load_after"] = load_line()
    info["seconds"] = round(time.perf_counter() - started, 1)
    out.append(f"({info['seconds']:.0f} s; {load_line()})")
    print("\n".join(out))
    suffix = "" if args.min_evidence is None else f"_at_{args.min_evidence:g}"
    write_result("answers" + suffix, info)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
