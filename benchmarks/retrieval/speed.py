"""Speed of ingest, warm `ask` and a cold `chorus ask`, against their targets (issue 2, 14).

    python -m benchmarks.retrieval.speed                 # all three parts
    python -m benchmarks.retrieval.speed --only ingest   # or ask, or cold

ingest: Climate-FEVER evidence grouped by Wikipedia article (1,344 documents, sentences one
    per line) added one by one through `Library.add` with the default settings, against the
    bare embedding throughput on exactly the same chunk texts (`embed_array`, same batch
    size, one call). Bare is run before and after the ingest (the machine may be shared);
    their mean is the reference. Also shown: the same embedding done the way ingest batches
    it (per document, 64 chunks a step), and where ingest time goes. Target: >= 75% of bare.
ask: a store of 50,000 chunks (short real texts: English IRA tweets, Climate-FEVER evidence
    sentences, and pairs of tweets to make up the number; one chunk each, written through
    the catalog and vector-index calls `Library.add` makes), cached under
    benchmarks/results/cache/ so reruns skip the build. Warm extractive `Library.ask` on
    varied questions (Climate-FEVER claims and journalist questions), after warm-up, against
    a bare query embedding + Chroma query (k = top_k, no filter) on the same collection,
    interleaved question by question. Median and p95. Target: ask median <= 3x bare.
cold: `chorus ask "How many accounts did Twitter suspend?"` as a whole process, the demo
    already ingested in a temporary CHORUS_DATA_DIR; median of N runs. Also where the time
    goes (timed phases in a fresh process, and import time by package). Target: < 2.5 s
    (issue 9; it was < 3 s before the sentence scorer).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from benchmarks.retrieval.common import (
    CLIMATE_FEVER,
    DATA,
    IRA_TWEETS,
    LOCAL_SCOPE,
    REPO,
    SCOPES,
    SEED,
    SHARED,
    article_text,
    cached_store,
    has_shared,
    load_climate_fever,
    load_english_tweets,
    load_line,
    load_questions,
    machine,
    percentile,
    sha256_of,
    table,
    write_chunks_directly,
    write_result,
)

COMMAND = "python -m benchmarks.retrieval.speed"
DEMO_QUESTION = "How many accounts did Twitter suspend?"


class Timers:
    """Accumulated seconds per label, filled by wrapped callables."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self.calls: dict[str, int] = {}

    def wrap(self, label: str, fn: Callable[..., Any]) -> Callable[..., Any]:
        def timed(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                self.seconds[label] = self.seconds.get(label, 0.0) + time.perf_counter() - started
                self.calls[label] = self.calls.get(label, 0) + 1

        return timed

    def reset(self) -> None:
        self.seconds.clear()
        self.calls.clear()


@contextmanager
def patched(obj: Any, name: str, timers: Timers, label: str) -> Iterator[None]:
    """Time every call of obj.name (an instance or module attribute) while inside."""
    original = getattr(obj, name)
    had_own = name in vars(obj)
    setattr(obj, name, timers.wrap(label, original))
    try:
        yield
    finally:
        if had_own:
            setattr(obj, name, original)
        else:
            delattr(obj, name)


# -- (a) ingest -------------------------------------------------------------------------
def part_ingest(articles: int | None) -> dict[str, Any]:
    from contextlib import ExitStack

    from tqdm import tqdm

    import retrieval.chunking as chunking_module
    from bot.ingest import STORE_BATCH_CHARS
    from corpus.reporting.documents import make_document
    from retrieval.chunking import split_text
    from retrieval.config import RetrievalConfig
    from retrieval.embeddings import MiniLMEmbeddings
    from retrieval.library import Library
    from retrieval.source_store import ADD_BATCH
    from retrieval.tokens import install_offline_encodings

    cf = load_climate_fever()
    names = list(cf.articles)[:articles] if articles else list(cf.articles)
    docs = [
        make_document(
            article_text(cf, a), title=a, origin=f"climate-fever:{a}", kind="text", name=a
        )
        for a in names
    ]
    config = RetrievalConfig()
    embeddings = MiniLMEmbeddings(batch_size=config.embed_batch)
    with tempfile.TemporaryDirectory(prefix="chorus-speed-ingest-") as tmp:
        install_offline_encodings(Path(tmp) / "cache" / "tiktoken")
        per_doc = [
            [
                c.text
                for c in split_text(
                    d.text,
                    chunk_tokens=config.chunk_tokens,
                    overlap=config.chunk_overlap,
                    encoding=config.encoding,
                )
            ]
            for d in docs
        ]
        texts = [t for chunks in per_doc for t in chunks]
        tokens = sum(len(t.split()) for t in texts)
        print(
            f"ingest set: {len(docs)} documents, {len(texts)} chunks "
            f"(default chunking: {config.chunk_tokens} tokens, overlap {config.chunk_overlap}), "
            f"{tokens} words"
        )
        library = Library(Path(tmp) / "data", config, embeddings=embeddings)
        warm = make_document(
            "Warm-up text. It loads everything once.", title="w", origin="w:w", kind="text"
        )
        library.add(warm, scope="warmup", added_by="benchmark")  # model, Chroma, tiktoken

        def bare() -> float:
            started = time.perf_counter()
            embeddings.embed_array(texts)
            return time.perf_counter() - started

        def bare_as_ingest() -> float:
            started = time.perf_counter()
            for chunks in per_doc:
                for s in range(0, len(chunks), ADD_BATCH):
                    embeddings.embed_array(chunks[s : s + ADD_BATCH])
            return time.perf_counter() - started

        print("bare embedding (before) ...", file=sys.stderr)
        bare_before = bare()
        timers = Timers()
        with ExitStack() as stack:
            stack.enter_context(patched(chunking_module, "split_text", timers, "chunking"))
            stack.enter_context(patched(embeddings, "embed_array", timers, "embedding"))
            stack.enter_context(patched(library.index, "add", timers, "vector index add"))
            for name in ("begin_source", "commit_source", "get_source"):
                stack.enter_context(patched(library.catalog, name, timers, "catalog"))
            # As `chorus ingest` stores them: batches of documents (STORE_BATCH_CHARS of text)
            # through Library.add_many, each document all or nothing.
            batches: list[list[Any]] = [[]]
            for doc in docs:
                if sum(len(d.text) for d in batches[-1]) >= STORE_BATCH_CHARS:
                    batches.append([])
                batches[-1].append(doc)
            started = time.perf_counter()
            for batch in tqdm(batches, desc="Library.add_many", unit="batch", file=sys.stderr):
                for result in library.add_many(batch, scope=LOCAL_SCOPE, added_by="benchmark"):
                    if isinstance(result, Exception):
                        raise result
            ingest_s = time.perf_counter() - started
        stored = sum(s.chunks for s in library.sources([LOCAL_SCOPE]))
        if stored != len(texts):
            raise SystemExit(f"error: ingest stored {stored} chunks, expected {len(texts)}")
        print("bare embedding (after), and as ingest batches it ...", file=sys.stderr)
        bare_after = bare()
        as_ingest_s = bare_as_ingest()
        library.catalog.close()
    n = len(texts)
    bare_s = (bare_before + bare_after) / 2
    ratio = (n / ingest_s) / (n / bare_s)
    chroma_s = timers.seconds.get("vector index add", 0.0) - timers.seconds.get("embedding", 0.0)
    breakdown = {
        "embedding (inside index add)": timers.seconds.get("embedding", 0.0),
        "Chroma write (index add minus embedding)": chroma_s,
        "chunking (split_text)": timers.seconds.get("chunking", 0.0),
        "catalog (SQLite writes and reads)": timers.seconds.get("catalog", 0.0),
    }
    breakdown["other"] = ingest_s - sum(breakdown.values())
    rows = [
        [
            "bare embed_array, all chunks in one call (before)",
            f"{bare_before:.1f}",
            f"{n / bare_before:.1f}",
        ],
        [
            "bare embed_array, all chunks in one call (after)",
            f"{bare_after:.1f}",
            f"{n / bare_after:.1f}",
        ],
        [
            "bare embed_array, one call per document",
            f"{as_ingest_s:.1f}",
            f"{n / as_ingest_s:.1f}",
        ],
        [
            "ingest: Library.add_many as `chorus ingest` batches",
            f"{ingest_s:.1f}",
            f"{n / ingest_s:.1f}",
        ],
    ]
    print(f"\n## Ingest throughput ({len(docs)} documents, {n} chunks)\n")
    print(table(["what", "seconds", "chunks/s"], rows))
    verdict = "meets" if ratio >= 0.75 else "MISSES"
    print(f"\ningest / bare (mean of before and after) = {ratio:.0%} ({verdict} target >= 75%)")
    print("\nwhere ingest time goes:\n")
    print(
        table(
            ["part", "seconds", "share"],
            [[k, f"{v:.1f}", f"{v / ingest_s:.0%}"] for k, v in breakdown.items()],
        )
    )
    return {
        "documents": len(docs),
        "chunks": n,
        "bare_before_s": round(bare_before, 2),
        "bare_after_s": round(bare_after, 2),
        "bare_chunks_per_s": round(n / bare_s, 1),
        "bare_as_ingest_batches_s": round(as_ingest_s, 2),
        "ingest_s": round(ingest_s, 2),
        "ingest_chunks_per_s": round(n / ingest_s, 1),
        "ingest_over_bare": round(ratio, 3),
        "target": ">= 0.75",
        "meets_target": ratio >= 0.75,
        "ingest_breakdown_s": {k: round(v, 2) for k, v in breakdown.items()},
    }


# -- (b) warm ask at 50,000 chunks ------------------------------------------------------
def store_items(total: int) -> list[str]:
    """`total` distinct short real texts: tweets, evidence sentences, then tweet pairs."""
    cf = load_climate_fever()
    tweets = [t.text for t in load_english_tweets()]
    items = list(dict.fromkeys([*tweets, *sorted(cf.sentences.values())]))
    seen = set(items)
    rng = random.Random(SEED)
    while len(items) < total:
        a, b = rng.sample(range(len(tweets)), 2)
        pair = f"{tweets[a]} {tweets[b]}"
        if pair not in seen:
            seen.add(pair)
            items.append(pair)
    items = items[:total]
    rng.shuffle(items)
    return items


def build_ask_store(data_dir: Path, items: list[str], per_doc: int) -> dict[str, Any]:
    from retrieval.config import RetrievalConfig
    from retrieval.embeddings import MiniLMEmbeddings
    from retrieval.library import Library

    config = RetrievalConfig()
    library = Library(data_dir, config, embeddings=MiniLMEmbeddings(batch_size=config.embed_batch))
    docs = [
        (f"benchmark document {n // per_doc + 1:04d}", items[n : n + per_doc])
        for n in range(0, len(items), per_doc)
    ]
    write_chunks_directly(library, docs, scope=LOCAL_SCOPE, batch=512, desc="embedding 50k store")
    count = library.index.count()
    library.catalog.close()
    return {"chunks": count, "documents": len(docs)}


def ask_questions(n: int, warmup: int) -> tuple[list[str], list[str]]:
    """Varied questions: Climate-FEVER claims and the journalist questions of both sets."""
    cf = load_climate_fever()
    journalist = [
        q.question
        for f in ("demo_questions.jsonl", "calibration_questions.jsonl")
        for q in load_questions(DATA / f)
    ]
    rng = random.Random(SEED)
    n_journalist = min(len(journalist), n * 3 // 10)
    claims = rng.sample([c.claim for c in cf.claims], n - n_journalist + warmup)
    picked = rng.sample(journalist, n_journalist)
    measured = claims[warmup:] + picked
    rng.shuffle(measured)
    return claims[:warmup], measured


def ask_store(total: int, rebuild: bool) -> Any:
    """The cached store of `total` chunks (built now if absent or out of date)."""
    per_doc = 100
    items = store_items(total)
    print(f"ask store: {len(items)} chunks, {per_doc} per document")
    store = cached_store(
        f"ask-{total}",
        sha256_of([str(per_doc), *items]),
        lambda d: build_ask_store(d, items, per_doc),
        rebuild=rebuild,
    )
    print(
        f"store {'built now' if store.built_now else 'reused from cache'}: "
        f"{store.extra['chunks']} chunks, build took {store.build_s:.0f} s"
    )
    return store


def part_store(total: int, rebuild: bool) -> dict[str, Any]:
    store = ask_store(total, rebuild)
    return {
        "chunks": store.extra["chunks"],
        "documents": store.extra["documents"],
        "built_now": store.built_now,
        "build_s": round(store.build_s, 1),
        "path": str(store.data_dir),
    }


def part_ask(total: int, n_questions: int, rebuild: bool) -> dict[str, Any]:
    from contextlib import ExitStack

    from tqdm import tqdm

    import retrieval.library as library_module
    from retrieval.config import RetrievalConfig
    from retrieval.embeddings import MiniLMEmbeddings
    from retrieval.library import Library

    store = ask_store(total, rebuild)
    config = RetrievalConfig()
    embeddings = MiniLMEmbeddings(batch_size=config.embed_batch)
    library = Library(store.data_dir, config, embeddings=embeddings)
    collection = library.index._collection(LOCAL_SCOPE, create=False)  # the bare collection
    if collection is None or collection.count() != total:
        raise SystemExit(f"error: the cached store does not hold {total} vectors; use --rebuild")
    warm, questions = ask_questions(n_questions, warmup=10)

    embed = embeddings.embed_array  # bound before the timers wrap it: bare is not counted

    def bare(q: str) -> float:
        started = time.perf_counter()
        vector = embed([q])[0]
        collection.query(query_embeddings=[vector.tolist()], n_results=config.top_k)
        return time.perf_counter() - started

    for q in warm:  # loads the model, opens Chroma and SQLite, fills OS caches
        library.ask(q, SCOPES)
        bare(q)
    timers = Timers()
    ask_s: list[float] = []
    bare_s: list[float] = []
    refused = 0
    with ExitStack() as stack:
        stack.enter_context(patched(embeddings, "embed_array", timers, "query embedding"))
        stack.enter_context(
            patched(
                library.index,
                "search",
                timers,
                "dense search (Chroma, the scopes' collections, k=30)",
            )
        )
        stack.enter_context(
            patched(library.catalog, "keyword_search", timers, "keyword search (FTS5 BM25, 30)")
        )
        stack.enter_context(
            patched(library.catalog, "get_chunks", timers, "catalog: chunk rows of dense hits")
        )
        stack.enter_context(
            patched(library.index, "vectors", timers, "Chroma: vectors of keyword-only hits")
        )
        stack.enter_context(
            patched(library_module, "candidate_sentences", timers, "sentence candidates+scores")
        )
        stack.enter_context(
            patched(library_module, "extractive_answer", timers, "select sentences, answer")
        )
        for i, q in enumerate(tqdm(questions, desc="ask vs bare", unit="q", file=sys.stderr)):
            if i % 2:
                bare_s.append(bare(q))
            started = time.perf_counter()
            answer = library.ask(q, SCOPES)
            ask_s.append(time.perf_counter() - started)
            refused += answer.refused
            if not i % 2:
                bare_s.append(bare(q))
    probes = probe_components(library, collection, questions[:20], config.candidates)
    filtered = probes["Chroma query, one scope's collection, k=30"]
    library.catalog.close()
    n = len(questions)
    med_ask, med_bare = statistics.median(ask_s), statistics.median(bare_s)
    ratio = med_ask / med_bare
    rows = [
        [
            "Library.ask (extractive, hybrid)",
            f"{1000 * med_ask:.0f}",
            f"{1000 * percentile(ask_s, 95):.0f}",
        ],
        [
            "bare: embed query + Chroma query (k=top_k, no filter)",
            f"{1000 * med_bare:.0f}",
            f"{1000 * percentile(bare_s, 95):.0f}",
        ],
        [
            "(Chroma query alone, one scope's collection, k=30: median of 20)",
            f"{1000 * statistics.median(filtered):.1f}",
            "",
        ],
    ]
    print(f"\n## Warm ask at {total:,} chunks ({n} questions, {refused} refused)\n")
    print(table(["what", "median ms", "p95 ms"], rows))
    verdict = "meets" if ratio <= 3 else "MISSES"
    print(f"\nask / bare (medians) = {ratio:.2f}x ({verdict} target <= 3x)")
    total_ask = sum(ask_s)
    parts = dict(sorted(timers.seconds.items(), key=lambda kv: -kv[1]))
    print(f"\ncomponents alone, same store ({len(filtered)} questions, median):\n")
    print(
        table(
            ["query", "median ms"],
            [[k, f"{1000 * statistics.median(v):.1f}"] for k, v in probes.items()],
        )
    )
    print("\nwhere ask time goes (mean per question):\n")
    print(
        table(
            ["part", "mean ms", "share of ask"],
            [[k, f"{1000 * v / n:.1f}", f"{v / total_ask:.0%}"] for k, v in parts.items()]
            + [["(all of ask)", f"{1000 * total_ask / n:.1f}", "100%"]],
        )
    )
    return {
        "chunks": total,
        "store_built_now": store.built_now,
        "store_build_s": round(store.build_s, 1),
        "questions": n,
        "refused": refused,
        "ask_median_ms": round(1000 * med_ask, 1),
        "ask_p95_ms": round(1000 * percentile(ask_s, 95), 1),
        "bare_median_ms": round(1000 * med_bare, 1),
        "bare_p95_ms": round(1000 * percentile(bare_s, 95), 1),
        "ask_over_bare": round(ratio, 2),
        "target": "<= 3",
        "meets_target": ratio <= 3,
        "ask_breakdown_mean_ms": {k: round(1000 * v / n, 2) for k, v in parts.items()},
        "component_probes_median_ms": {
            k: round(1000 * statistics.median(v), 2) for k, v in probes.items()
        },
    }


def probe_components(
    library: Any, collection: Any, questions: Sequence[str], k: int
) -> dict[str, list[float]]:
    """Each search component alone, as the product calls it: where ask time goes."""
    out: dict[str, list[float]] = {}

    def timed(label: str, fn: Callable[..., object], *args: Any, **kwargs: Any) -> None:
        started = time.perf_counter()
        fn(*args, **kwargs)
        out.setdefault(label, []).append(time.perf_counter() - started)

    scopes = list(SCOPES)
    for q in questions:
        v = [library.embeddings.embed_array([q])[0].tolist()]
        timed(
            "Chroma query, one scope's collection, k=30",
            collection.query,
            query_embeddings=v,
            n_results=k,
        )
        timed(
            "VectorIndex.search over the scopes (local, demo), k=30",
            library.index.search,
            v[0],
            k,
            scopes,
        )
        timed(
            "FTS5 BM25 (content words of the question), 30",
            library.catalog.keyword_search,
            q,
            scopes,
            k,
        )
    return out


# -- (c) cold chorus ask ---------------------------------------------------------------
COLD_TARGET_S = 2.5
PHASES = r"""
import json, os, sys, time
os.environ.setdefault("ORT_DISABLE_TELEMETRY", "1")  # as bot.cli.main does
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
t = {"start": time.perf_counter()}
marks = []
def mark(label):
    marks.append((label, time.perf_counter()))
import bot.cli
mark("import bot.cli")
from bot.assistant import Assistant, Requester
from bot.settings import load_settings
mark("import bot.assistant, bot.settings (retrieval, corpus, pydantic, ...)")
settings = load_settings()
mark("load settings")
assistant = Assistant(settings)
library = assistant.library
mark("open catalog (SQLite)")
assistant.ensure_demo()
mark("demo check (read, hash, look up)")
import chromadb
mark("import chromadb")
library.index
mark("open vector index (PersistentClient)")
from retrieval.embeddings import default_model_path, verify_model_file
verify_model_file(default_model_path())
mark("model file sha256")
import onnxruntime
mark("import onnxruntime")
library.embeddings._load()
mark("load model (ONNX session, tokenizer)")
library.searcher
answer = assistant.ask(sys.argv[1], Requester.local())
mark("answer (embed query, hybrid search, extractive)")
from bot.render_text import render_answer
render_answer(answer)
mark("render")
prev = t["start"]
out = []
for label, at in marks:
    out.append([label, at - prev])
    prev = at
print(json.dumps(out))
"""


def child_env(data_dir: Path) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("CHORUS_")
        and k not in ("TIKTOKEN_CACHE_DIR", "PYTHONPROFILEIMPORTTIME")
    }
    env["CHORUS_DATA_DIR"] = str(data_dir)
    return env


def chorus_command() -> list[str]:
    script = Path(sys.executable).parent / "chorus"
    return [str(script)] if script.is_file() else [sys.executable, "-m", "bot"]


def run_timed(cmd: Sequence[str], env: dict[str, str], cwd: Path) -> tuple[float, str, str]:
    started = time.perf_counter()
    done = subprocess.run(cmd, env=env, cwd=cwd, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"error: {' '.join(cmd)} exited {done.returncode}:\n{done.stderr}")
    return elapsed, done.stdout, done.stderr


def import_breakdown(stderr: str, top: int = 12) -> tuple[float, list[tuple[str, float]]]:
    """Total import time and self time by top-level package, from -X importtime output."""
    by_root: dict[str, float] = {}
    total = 0.0
    for line in stderr.splitlines():
        if not line.startswith("import time:") or "self [us]" in line:
            continue
        self_us, _cumulative, name = (p.strip() for p in line[len("import time:") :].split("|"))
        root = name.strip().split(".")[0]
        by_root[root] = by_root.get(root, 0.0) + int(self_us) / 1e6
        total += int(self_us) / 1e6
    ranked = sorted(by_root.items(), key=lambda kv: -kv[1])[:top]
    return total, ranked


def part_cold(runs: int) -> dict[str, Any]:
    cmd = [*chorus_command(), "ask", DEMO_QUESTION]
    with tempfile.TemporaryDirectory(prefix="chorus-speed-cold-") as tmp:
        cwd = Path(tmp)
        env = child_env(cwd / "data")
        first_s, out, _ = run_timed(cmd, env, cwd)  # ingests the demo source
        if "70 accounts" not in out:
            raise SystemExit(f"error: unexpected answer from {' '.join(cmd)}:\n{out}")
        times = [run_timed(cmd, env, cwd)[0] for _ in range(runs)]
        python_s = [run_timed([sys.executable, "-c", "pass"], env, cwd)[0] for _ in range(5)]
        phase_runs = []
        for _ in range(max(3, runs // 2)):
            _, stdout, _ = run_timed([sys.executable, "-c", PHASES, DEMO_QUESTION], env, cwd)
            phase_runs.append(json.loads(stdout.strip().splitlines()[-1]))
        imp_env = {**env, "PYTHONPROFILEIMPORTTIME": "1"}
        _, _, imp_err = run_timed(cmd, imp_env, cwd)
    med = statistics.median(times)
    phases = [
        (label, statistics.median(run[i][1] for run in phase_runs))
        for i, (label, _) in enumerate(phase_runs[0])
    ]
    import_total, by_package = import_breakdown(imp_err)
    print(f"\n## Cold `chorus ask` ({runs} runs, demo already ingested)\n")
    print(
        table(
            ["what", "seconds"],
            [
                [f"chorus ask, median of {runs}", f"{med:.2f}"],
                ["min / max", f"{min(times):.2f} / {max(times):.2f}"],
                ["first run (also ingests the demo source)", f"{first_s:.2f}"],
                [
                    "bare `python -c pass` (interpreter start), median of 5",
                    f"{statistics.median(python_s):.2f}",
                ],
            ],
        )
    )
    verdict = "meets" if med < COLD_TARGET_S else "MISSES"
    print(f"\ncold chorus ask median {med:.2f} s ({verdict} target < {COLD_TARGET_S} s)")
    print(f"\nphases in a fresh process (median of {len(phase_runs)}; after interpreter start):\n")
    print(table(["phase", "seconds"], [[k, f"{v:.3f}"] for k, v in phases]))
    print(f"\nimport time by top-level package (self time; all imports: {import_total:.2f} s):\n")
    print(table(["package", "seconds"], [[k, f"{v:.3f}"] for k, v in by_package]))
    return {
        "command": " ".join(["chorus", "ask", repr(DEMO_QUESTION)]),
        "runs": runs,
        "median_s": round(med, 3),
        "all_s": [round(x, 3) for x in times],
        "first_run_with_demo_ingest_s": round(first_s, 3),
        "python_startup_s": round(statistics.median(python_s), 3),
        "target": f"< {COLD_TARGET_S} s",
        "meets_target": med < COLD_TARGET_S,
        "phases_s": {k: round(v, 3) for k, v in phases},
        "import_total_s": round(import_total, 3),
        "import_by_package_s": {k: round(v, 3) for k, v in by_package},
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--only",
        choices=("ingest", "ask", "cold", "store"),
        action="append",
        help="run only this part (repeatable); 'store' just builds or checks the ask store",
    )
    parser.add_argument("--ingest-articles", type=int, default=None, help="first N articles")
    parser.add_argument("--chunks", type=int, default=50_000, help="size of the ask store")
    parser.add_argument("--questions", type=int, default=100, help="measured ask questions")
    parser.add_argument("--cold-runs", type=int, default=7, help="timed cold runs")
    parser.add_argument("--rebuild", action="store_true", help="rebuild the cached ask store")
    args = parser.parse_args(argv)
    parts = args.only or ["ingest", "ask", "cold"]
    needs_shared = [p for p in parts if p != "cold"]
    for relative in (CLIMATE_FEVER, IRA_TWEETS):
        if needs_shared and not has_shared(relative):
            raise SystemExit(
                f"error: {SHARED / relative} not found; the {', '.join(needs_shared)} part(s) "
                "read ../shared beside the checkout (not part of the repository). "
                "`--only cold` runs without it."
            )
    print(f"{COMMAND}: parts {', '.join(parts)}; {load_line()}; repo {REPO}")
    for part in parts:
        before = machine()
        started = time.perf_counter()
        if part == "ingest":
            result = part_ingest(args.ingest_articles)
        elif part == "ask":
            result = part_ask(args.chunks, args.questions, args.rebuild)
        elif part == "store":
            result = part_store(args.chunks, args.rebuild)
        else:
            result = part_cold(args.cold_runs)
        result.update(
            command=f"{COMMAND} --only {part}",
            wall_s=round(time.perf_counter() - started, 1),
            machine_before=before,
            machine_after=machine(),
        )
        print(f"\nresults: {write_result(f'speed_{part}', result)}; {load_line()}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
