"""Answer and retrieval quality, measured.

    python -m benchmarks.retrieval.quality            # or: python scripts/evaluate_quality.py

Part A, demo questions (benchmarks/data/demo_questions.jsonl, not used for calibration):
each question goes through the real extractive path (`Library.ask`, as `chorus ask` does
with no model configured) on a fresh library holding the bundled demo source, first with
the distractor documents of ../shared (every Climate-FEVER article and 40 documents of IRA
tweets), then alone. Reported: answerable questions whose answer contains the fact;
answerable questions refused; unanswerable questions refused; citations whose quote is the
source text at the citation's offsets (`source_text(catalog, id)[start:end] == quote`); and
answers whose every [n] has a citation.

Part B, Climate-FEVER retrieval (../shared/data/real/climate_fever): every distinct
evidence sentence is one chunk. Sentences are stored per Wikipedia article (one source per
article, its sentences one per line, one chunk per sentence), written through the same
catalog and vector-index calls `Library.add` makes; the token splitter is bypassed because
it would merge an article's short sentences into one chunk and the gold unit is the
sentence. Every claim with at least one SUPPORTS or REFUTES evidence sentence is a query;
its gold is those sentences. `Library.retrieve(claim, k=10, mode=...)` for dense, keyword
and hybrid; recall@5 = mean share of a claim's gold sentences in the top 5, hit@5 = share of
claims with any gold in the top 5, MRR@10 = mean 1/rank of the first gold hit in the top 10.
The built store is cached under benchmarks/results/cache/ (rebuilt when its input changes).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from benchmarks.retrieval.common import (
    CLIMATE_FEVER,
    DATA,
    IRA_TWEETS,
    LOCAL_SCOPE,
    SHARED,
    Question,
    article_text,
    build_demo_library,
    cached_store,
    contains_fact,
    has_shared,
    load_climate_fever,
    load_line,
    load_questions,
    machine,
    pct,
    sha256_of,
    table,
    write_result,
)
from tests.retrieval.catalog_support import source_text

if TYPE_CHECKING:
    from retrieval.search import Mode

COMMAND = "python -m benchmarks.retrieval.quality"
MODES: tuple[Mode, ...] = ("dense", "keyword", "hybrid")


# -- part A ---------------------------------------------------------------------------
def ask_all(demo: Any, questions: list[Question], min_evidence: float) -> dict[str, Any]:
    """Every question through Library.ask at this threshold; counts and failures."""
    from tqdm import tqdm

    from retrieval.citations import MARKER

    library = demo.library
    library.config = library.config.model_copy(update={"min_evidence": min_evidence})
    texts: dict[str, str] = {}
    per_question = []
    c_total = c_verbatim = markers_ok = 0
    for q in tqdm(questions, desc=f"asking (min_evidence {min_evidence})", file=sys.stderr):
        answer = library.ask(q.question, demo.scopes)
        verbatim = 0
        for c in answer.citations:
            if c.source_id not in texts:
                texts[c.source_id] = source_text(library.catalog, c.source_id)
            verbatim += texts[c.source_id][c.start : c.end] == c.quote
        c_total += len(answer.citations)
        c_verbatim += verbatim
        numbers = {int(n) for n in MARKER.findall(answer.answer)}
        markers_ok += numbers <= {c.n for c in answer.citations}
        per_question.append(
            {
                "question": q.question,
                "answerable": q.answerable,
                "kind": q.kind,
                "refused": answer.refused,
                "has_fact": q.answerable
                and not answer.refused
                and contains_fact(answer.answer, q.must_contain_any),
                "evidence": round(answer.evidence, 4),
                "answer": answer.answer,
                "sources": sorted({c.title for c in answer.citations}),
            }
        )
    ans = [p for p in per_question if p["answerable"]]
    una = [p for p in per_question if not p["answerable"]]
    on = [p for p in una if p["kind"] == "on_topic"]
    off = [p for p in una if p["kind"] == "off_topic"]
    return {
        "min_evidence": min_evidence,
        "answerable": len(ans),
        "answerable_with_fact": sum(p["has_fact"] for p in ans),
        "answerable_refused": sum(p["refused"] for p in ans),
        "answerable_answered_without_fact": sum(
            not p["refused"] and not p["has_fact"] for p in ans
        ),
        "unanswerable": len(una),
        "unanswerable_refused": sum(p["refused"] for p in una),
        "unanswerable_on_topic": len(on),
        "unanswerable_on_topic_refused": sum(p["refused"] for p in on),
        "unanswerable_off_topic": len(off),
        "unanswerable_off_topic_refused": sum(p["refused"] for p in off),
        "citations": c_total,
        "citations_verbatim": c_verbatim,
        "answers": len(per_question),
        "answers_markers_valid": markers_ok,
        "per_question": per_question,
    }


def demo_rows(label: str, r: dict[str, Any]) -> list[str]:
    a, u = r["answerable"], r["unanswerable"]
    return [
        label,
        f"{r['min_evidence']:.2f}",
        f"{r['answerable_with_fact']}/{a} ({pct(r['answerable_with_fact'], a)})",
        f"{r['answerable_refused']}/{a} ({pct(r['answerable_refused'], a)})",
        f"{r['answerable_answered_without_fact']}/{a}",
        f"{r['unanswerable_refused']}/{u} ({pct(r['unanswerable_refused'], u)})",
        f"{r['unanswerable_on_topic_refused']}/{r['unanswerable_on_topic']}",
        f"{r['unanswerable_off_topic_refused']}/{r['unanswerable_off_topic']}",
        f"{r['citations_verbatim']}/{r['citations']} "
        f"({pct(r['citations_verbatim'], r['citations'])})",
        f"{r['answers_markers_valid']}/{r['answers']}",
    ]


DEMO_HEADERS = [
    "library",
    "min_evidence",
    "answerable: answer has the fact",
    "answerable: refused",
    "answered without the fact",
    "unanswerable: refused",
    "on-topic refused",
    "off-topic refused",
    "quotes verbatim at offsets",
    "every [n] cited",
]


def failures(r: dict[str, Any]) -> list[str]:
    out = []
    for p in r["per_question"]:
        if p["answerable"] and not p["has_fact"]:
            what = "refused" if p["refused"] else "answered without the fact: " + p["answer"][:160]
            out.append(f"  answerable, {what} (evidence {p['evidence']:.3f}): {p['question']}")
        elif not p["answerable"] and not p["refused"]:
            out.append(
                f"  unanswerable ({p['kind']}) answered (evidence {p['evidence']:.3f}): "
                f"{p['question']} -> {p['answer'][:160]}"
            )
    return out


def part_a(questions_path: Path, thresholds: list[float], with_distractors: bool) -> dict[str, Any]:
    from retrieval.config import RetrievalConfig
    from retrieval.embeddings import MiniLMEmbeddings

    questions = load_questions(questions_path)
    config = RetrievalConfig()
    embeddings = MiniLMEmbeddings(batch_size=config.embed_batch)
    results: list[dict[str, Any]] = []
    rows = []
    with tempfile.TemporaryDirectory(prefix="chorus-quality-") as tmp:
        conditions = [("demo + distractors", True)] if with_distractors else []
        conditions.append(("demo only", False))
        for label, distract in conditions:
            demo = build_demo_library(
                Path(tmp) / label.split()[-1],
                config,
                with_distractors=distract,
                embeddings=embeddings,
            )
            for t in thresholds:
                r = ask_all(demo, questions, t)
                r.update(library=label, chunks=demo.chunks, distractor_documents=demo.distractors)
                results.append(r)
                rows.append(demo_rows(f"{label} ({demo.chunks} chunks)", r))
    print(f"\n## A. Demo questions ({questions_path.name}: {len(questions)} questions)\n")
    print(table(DEMO_HEADERS, rows))
    for r in results:
        lines = failures(r)
        if lines:
            print(f"\nmisses, {r['library']}, min_evidence {r['min_evidence']:.2f}:")
            print("\n".join(lines))
    return {"questions_file": questions_path.name, "results": results}


# -- part B ---------------------------------------------------------------------------
def build_climate_store(data_dir: Path, cf: Any, embeddings: Any) -> dict[str, Any]:
    from benchmarks.retrieval.common import write_chunks_directly
    from retrieval.config import RetrievalConfig
    from retrieval.library import Library

    library = Library(data_dir, RetrievalConfig(), embeddings=embeddings)
    docs = [(a, [cf.sentences[e] for e in eids]) for a, eids in cf.articles.items()]
    ids = write_chunks_directly(library, docs, scope=LOCAL_SCOPE, desc="embedding sentences")
    mapping = {
        cid: eid
        for (_, eids), cids in zip(cf.articles.items(), ids, strict=True)
        for cid, eid in zip(cids, eids, strict=True)
    }
    library.catalog.close()
    return {"chunk_to_evidence": mapping}


def part_b(rebuild: bool, limit: int | None) -> dict[str, Any]:
    from tqdm import tqdm

    from retrieval.config import RetrievalConfig
    from retrieval.embeddings import MiniLMEmbeddings
    from retrieval.library import Library

    cf = load_climate_fever()
    config = RetrievalConfig()
    embeddings = MiniLMEmbeddings(batch_size=config.embed_batch)
    key = sha256_of([f"{a}\n{article_text(cf, a)}" for a in cf.articles])
    store = cached_store(
        "climate-fever-sentences",
        key,
        lambda d: build_climate_store(d, cf, embeddings),
        rebuild=rebuild,
    )
    mapping: dict[str, str] = store.extra["chunk_to_evidence"]
    library = Library(store.data_dir, config, embeddings=embeddings)
    claims = [c for c in cf.claims if c.gold]
    if limit:
        claims = claims[:limit]
    scopes = (LOCAL_SCOPE,)
    labels: list[str] = list(MODES)
    sums: dict[str, dict[str, float]] = {
        m: {"recall5": 0.0, "hit5": 0.0, "mrr10": 0.0, "s": 0.0} for m in labels
    }

    def score(label: str, chunk_ids: list[str], gold: frozenset[str], seconds: float) -> None:
        ranked = [mapping.get(cid, "") for cid in chunk_ids]
        top5 = set(ranked[:5])
        sums[label]["s"] += seconds
        sums[label]["recall5"] += len(top5 & gold) / len(gold)
        sums[label]["hit5"] += bool(top5 & gold)
        first = next((i for i, e in enumerate(ranked[:10], start=1) if e in gold), 0)
        sums[label]["mrr10"] += 1.0 / first if first else 0.0

    for claim in tqdm(claims, desc="retrieving claims", unit="claim", file=sys.stderr):
        for mode in MODES:
            started = time.perf_counter()
            hits, _ = library.retrieve(claim.claim, scopes, k=10, mode=mode)
            score(mode, [h.chunk.id for h in hits], claim.gold, time.perf_counter() - started)
    n = len(claims)
    metrics = {
        m: {
            "recall_at_5": round(v["recall5"] / n, 4),
            "hit_at_5": round(v["hit5"] / n, 4),
            "mrr_at_10": round(v["mrr10"] / n, 4),
            "mean_retrieve_ms": round(1000 * v["s"] / n, 1),
        }
        for m, v in sums.items()
    }
    print(
        f"\n## B. Climate-FEVER retrieval: {n} claims with SUPPORTS/REFUTES evidence, "
        f"{len(mapping)} evidence sentences (one chunk each, {len(cf.articles)} article "
        f"sources); store {'built now' if store.built_now else 'reused from cache'} "
        f"(build {store.build_s:.0f} s)\n"
    )
    print(
        table(
            ["mode", "recall@5", "hit@5", "MRR@10", "mean retrieve (ms)"],
            [
                [
                    m,
                    f"{v['recall_at_5']:.3f}",
                    f"{v['hit_at_5']:.3f}",
                    f"{v['mrr_at_10']:.3f}",
                    f"{v['mean_retrieve_ms']:.1f}",
                ]
                for m, v in metrics.items()
            ],
        )
    )
    return {
        "claims": n,
        "sentences": len(mapping),
        "articles": len(cf.articles),
        "store_built_now": store.built_now,
        "store_build_s": round(store.build_s, 1),
        "metrics": metrics,
    }


def main(argv: list[str] | None = None) -> int:
    from retrieval.config import RetrievalConfig

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--questions", type=Path, default=DATA / "demo_questions.jsonl", help="JSONL set"
    )
    parser.add_argument(
        "--min-evidence",
        type=float,
        nargs="+",
        default=[RetrievalConfig().min_evidence],
        help="refusal threshold(s) to evaluate (default: the configured one)",
    )
    parser.add_argument(
        "--no-shared",
        action="store_true",
        help="part A on the demo source alone, no part B (when ../shared is absent)",
    )
    parser.add_argument("--skip-a", action="store_true", help="only the Climate-FEVER part")
    parser.add_argument("--skip-b", action="store_true", help="only the demo-question part")
    parser.add_argument("--rebuild", action="store_true", help="rebuild the cached store")
    parser.add_argument("--limit", type=int, default=None, help="first N claims only (smoke)")
    args = parser.parse_args(argv)

    if not args.no_shared and not (has_shared(CLIMATE_FEVER) and has_shared(IRA_TWEETS)):
        raise SystemExit(
            f"error: {SHARED}/data/real (Climate-FEVER, IRA tweets) is not there; it is needed "
            "for the distractors and for part B. Put ../shared beside the checkout, or run "
            "with --no-shared (demo questions on the demo source alone)."
        )
    print(f"{COMMAND}: {load_line()}")
    command = " ".join([COMMAND, *(argv if argv is not None else sys.argv[1:])])
    if not args.skip_a:
        before = machine()
        demo = part_a(args.questions, args.min_evidence, not args.no_shared)
        demo.update(command=command, machine_before=before, machine_after=machine())
        print(f"\nresults: {write_result('quality_demo', demo)}; {load_line()}")
    if not args.skip_b and not args.no_shared:
        before = machine()
        cf = part_b(args.rebuild, args.limit)
        cf.update(command=command, machine_before=before, machine_after=machine())
        print(f"\nresults: {write_result('quality_climate_fever', cf)}; {load_line()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
