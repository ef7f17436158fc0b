"""Shared pieces of the retrieval benchmarks: paths, data loading, libraries, reporting.

Everything here is deterministic: inputs are sorted, samples use fixed seeds. Data under
../shared (beside the checkout) is read in place and never copied into the repository.
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
import platform
import random
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

# Set before onnxruntime / chromadb are imported anywhere (DESIGN.md, "Offline facts").
os.environ.setdefault("ORT_DISABLE_TELEMETRY", "1")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")

REPO = Path(__file__).resolve().parents[2]
SHARED = REPO.parent / "shared"
DATA = REPO / "benchmarks" / "data"
RESULTS = REPO / "benchmarks" / "results"
CLIMATE_FEVER = Path("data/real/climate_fever/climate-fever.jsonl")
IRA_TWEETS = Path("data/real/ira_troll_tweets_2016oct/tweets.csv")

DEMO_SCOPE = "demo"  # as bot.assistant.DEMO_SCOPE: the bundled demo source
LOCAL_SCOPE = "local"  # as bot.assistant.LOCAL_SCOPE: what a CLI user ingests
SCOPES = (LOCAL_SCOPE, DEMO_SCOPE)  # what a CLI question reads (Assistant.read_scopes)
SEED = 20261128


class MissingSharedData(SystemExit):
    """../shared (or a file in it) is absent: say where it was looked for, exit 2."""

    def __init__(self, what: Path) -> None:
        super().__init__(
            f"error: {what} not found.\n"
            f"These benchmarks read the shared data set beside the checkout ({SHARED}); "
            "it is not part of the repository (licence: evaluation only). "
            "Put it there, or use the option that runs without it where there is one."
        )


def shared_file(relative: Path) -> Path:
    path = SHARED / relative
    if not path.is_file():
        raise MissingSharedData(path)
    return path


def has_shared(relative: Path) -> bool:
    return (SHARED / relative).is_file()


# -- question sets --------------------------------------------------------------------
@dataclass(frozen=True)
class Question:
    question: str
    answerable: bool
    must_contain_any: tuple[str, ...] = ()
    kind: str = ""  # unanswerable: "off_topic" | "on_topic"
    note: str = ""


def load_questions(path: Path) -> list[Question]:
    out = []
    with path.open(encoding="utf-8") as fh:
        for number, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            row = json.loads(line)
            q = Question(
                question=row["question"],
                answerable=bool(row["answerable"]),
                must_contain_any=tuple(row.get("must_contain_any", ())),
                kind=row.get("kind", ""),
                note=row.get("note", ""),
            )
            if q.answerable and not q.must_contain_any:
                raise SystemExit(f"{path}:{number}: an answerable question needs must_contain_any")
            out.append(q)
    return out


def _fold(text: str) -> str:
    table = str.maketrans({"’": "'", "‘": "'", "“": '"', "”": '"'})
    return " ".join(text.translate(table).lower().split())


def contains_fact(answer: str, facts: Sequence[str]) -> bool:
    """Whether the answer holds any of the facts (case, quotes and spacing folded)."""
    folded = _fold(answer)
    return any(_fold(f) in folded for f in facts)


# -- Climate-FEVER ----------------------------------------------------------------------
@dataclass(frozen=True)
class Claim:
    claim_id: str
    claim: str
    gold: frozenset[str]  # evidence ids labelled SUPPORTS or REFUTES for this claim


@dataclass
class ClimateFever:
    claims: list[Claim]
    sentences: dict[str, str]  # evidence id -> sentence text (every distinct evidence)
    articles: dict[str, list[str]] = field(default_factory=dict)  # article -> evidence ids


def _sentence_no(evidence_id: str) -> int:
    tail = evidence_id.rpartition(":")[2]
    return int(tail) if tail.isdigit() else 0


def load_climate_fever() -> ClimateFever:
    path = shared_file(CLIMATE_FEVER)
    claims: list[Claim] = []
    sentences: dict[str, str] = {}
    article_of: dict[str, str] = {}
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            row = json.loads(line)
            gold = set()
            for ev in row["evidences"]:
                sentences[ev["evidence_id"]] = ev["evidence"]
                article_of[ev["evidence_id"]] = ev["article"]
                if ev["evidence_label"] in ("SUPPORTS", "REFUTES"):
                    gold.add(ev["evidence_id"])
            claims.append(Claim(str(row["claim_id"]), row["claim"], frozenset(gold)))
    articles: dict[str, list[str]] = {}
    for eid in sorted(sentences, key=lambda e: (article_of[e], _sentence_no(e), e)):
        articles.setdefault(article_of[eid], []).append(eid)
    claims.sort(key=lambda c: (int(c.claim_id) if c.claim_id.isdigit() else 0, c.claim_id))
    return ClimateFever(claims, sentences, dict(sorted(articles.items())))


def article_text(cf: ClimateFever, article: str) -> str:
    """An article's evidence sentences in sentence order, one per line."""
    return "\n".join(cf.sentences[e] for e in cf.articles[article])


# -- IRA tweets ---------------------------------------------------------------------
@dataclass(frozen=True)
class Tweet:
    row_id: int
    author: str
    text: str


def load_english_tweets() -> list[Tweet]:
    """English tweets with distinct text (first occurrence by row id), in row order."""
    path = shared_file(IRA_TWEETS)
    csv.field_size_limit(1 << 24)
    seen: set[str] = set()
    out = []
    with path.open(encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            text = " ".join(row["content"].split())
            if row["language"] != "English" or len(text) < 20 or text in seen:
                continue
            seen.add(text)
            out.append(Tweet(int(row["row_id"]), row["author"], text))
    out.sort(key=lambda t: t.row_id)
    return out


# -- libraries ---------------------------------------------------------------------------
def distractor_documents(tweet_docs: int = 40, tweets_per_doc: int = 25) -> list[Any]:
    """Reporting-like documents that are not about the demo story, for realistic scoring.

    Every Climate-FEVER article (its evidence sentences, one per line) plus `tweet_docs`
    documents of IRA tweets (2016 US politics: the same vocabulary as the demo: Twitter,
    accounts, campaign), drawn with a fixed seed.
    """
    from corpus.reporting.documents import make_document

    cf = load_climate_fever()
    docs = [
        make_document(
            article_text(cf, a), title=a, origin=f"climate-fever:{a}", kind="text", name=a
        )
        for a in cf.articles
    ]
    tweets = load_english_tweets()
    rng = random.Random(SEED)
    picked = sorted(rng.sample(range(len(tweets)), tweet_docs * tweets_per_doc))
    for n in range(tweet_docs):
        chunk = [tweets[i] for i in picked[n * tweets_per_doc : (n + 1) * tweets_per_doc]]
        docs.append(
            make_document(
                "\n".join(t.text for t in chunk),
                title=f"IRA tweets sample {n + 1}",
                origin=f"ira-tweets:sample-{n + 1}",
                kind="text",
            )
        )
    return docs


@dataclass
class DemoLibrary:
    library: Any  # retrieval.library.Library
    scopes: tuple[str, ...]
    distractors: int  # number of distractor documents added
    chunks: int
    build_s: float


def build_demo_library(
    data_dir: Path,
    config: Any,
    *,
    with_distractors: bool,
    embeddings: Any = None,
) -> DemoLibrary:
    """A fresh library: the bundled demo source (scope "demo") and, if asked, distractor
    documents (scope "local"), read together as a CLI question reads them."""
    from tqdm import tqdm

    from corpus.reporting.demo import demo_document
    from retrieval.library import Library

    started = time.perf_counter()
    library = Library(data_dir, config, embeddings=embeddings)
    library.add(demo_document(), scope=DEMO_SCOPE, added_by="benchmark")
    docs = distractor_documents() if with_distractors else []
    for doc in tqdm(docs, desc="adding distractor documents", unit="doc", file=sys.stderr):
        library.add(doc, scope=LOCAL_SCOPE, added_by="benchmark")
    return DemoLibrary(
        library=library,
        scopes=SCOPES,
        distractors=len(docs),
        chunks=library.catalog.count_chunks(),
        build_s=time.perf_counter() - started,
    )


# The user-style calibration questions (fitting and thresholds only, never a reported figure):
# the first file asks about the bundled demo source, the others about calibration_docs/
# (lakeside_water.txt, token_pump.md, ferry_page.html), one file per document.
CALIBRATION_FILES = (
    "calibration_questions.jsonl",
    "calibration_questions_docs.jsonl",
    "calibration_questions_token_pump.jsonl",
    "calibration_questions_ferry.jsonl",
)
CALIBRATION_DOCS = DATA / "calibration_docs"


def calibration_questions() -> list[Question]:
    return [q for name in CALIBRATION_FILES for q in load_questions(DATA / name)]


def calibration_folds() -> list[list[int]]:
    """Two halves of `calibration_questions()` (their indices), split by file and so by
    document: alternate files go to alternate halves, so that a model cross-fitted on one half
    never saw the other half's document in its fit."""
    folds: list[list[int]] = [[], []]
    at = 0
    for n, name in enumerate(CALIBRATION_FILES):
        count = len(load_questions(DATA / name))
        folds[n % 2].extend(range(at, at + count))
        at += count
    return folds


def calibration_documents() -> list[Any]:
    """The documents the second calibration file asks about, loaded as `chorus ingest` does."""
    from corpus.reporting.load import load_file

    paths = sorted(p for p in CALIBRATION_DOCS.iterdir() if p.is_file())
    return [load_file(p, max_bytes=10**7) for p in paths]


def build_calibration_library(data_dir: Path, config: Any) -> DemoLibrary:
    """The demo source and the calibration documents, read together (as a CLI question)."""
    demo = build_demo_library(data_dir, config, with_distractors=False)
    for doc in calibration_documents():
        demo.library.add(doc, scope=LOCAL_SCOPE, added_by="benchmark")
    demo.chunks = demo.library.catalog.count_chunks()
    return demo


def write_chunks_directly(
    library: Any,
    documents: Sequence[tuple[str, Sequence[str]]],
    *,
    scope: str,
    batch: int = 256,
    desc: str = "embedding",
) -> list[list[str]]:
    """Store documents whose chunks are given (one chunk per item, items one per line).

    Writes through the same calls `Library.add` makes (catalog rows as pending, vectors
    through `VectorIndex.add`, then ready) but skips the token splitter, which would merge
    short items into one chunk. Vectors are added in length-sorted batches. Returns each
    document's chunk ids, in item order.
    """
    from tqdm import tqdm

    from corpus.reporting.documents import clean_document_text, make_document
    from retrieval.catalog_records import NewChunk
    from retrieval.source_store import source_id_for

    pending: list[tuple[str, str, dict[str, str | int]]] = []
    source_ids: list[str] = []
    chunk_ids: list[list[str]] = []
    for title, raw_items in documents:
        items = [clean_document_text(i) for i in raw_items]
        if not all(items):
            raise ValueError(f"{title}: an item is empty after normalisation")
        doc = make_document("\n".join(items), title=title, origin=f"bench:{title}", kind="text")
        sid = source_id_for(scope, doc.sha256)
        chunks: list[NewChunk] = []
        at = 0
        for n, item in enumerate(items):
            start = doc.text.index(item, at)
            chunks.append(NewChunk(n, start, start + len(item), item))
            at = start + len(item)
        library.catalog.begin_source(
            source_id=sid,
            scope=scope,
            title=title,
            origin=doc.origin,
            kind=doc.kind,
            added_by="benchmark",
            sha256=doc.sha256,
            text=doc.text,
            chunks=chunks,
        )
        source_ids.append(sid)
        ids = [f"{sid}:{c.index}" for c in chunks]
        chunk_ids.append(ids)
        for cid, c in zip(ids, chunks, strict=True):
            pending.append((cid, c.text, {"source_id": sid, "scope": scope, "index": c.index}))
    pending.sort(key=lambda p: (len(p[1]), p[0]))
    index = library.index
    with tqdm(total=len(pending), desc=desc, unit="chunk", file=sys.stderr) as bar:
        for start in range(0, len(pending), batch):
            part = pending[start : start + batch]
            index.add([p[0] for p in part], [p[1] for p in part], [p[2] for p in part])
            bar.update(len(part))
    for sid in source_ids:
        library.catalog.commit_source(sid)
    return chunk_ids


# -- reporting ------------------------------------------------------------------------
def machine() -> dict[str, Any]:
    mem_gib = 0.0
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                mem_gib = int(line.split()[1]) / (1 << 20)
    except OSError:
        pass
    try:
        load = [round(x, 2) for x in os.getloadavg()]
    except OSError:
        load = []
    return {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "cpus": os.cpu_count(),
        "mem_gib": round(mem_gib, 1),
        "load_avg_1_5_15": load,
        "python": platform.python_version(),
        "platform": platform.platform(),
    }


def load_line() -> str:
    try:
        one, five, fifteen = os.getloadavg()
    except OSError:
        return "load average: unknown"
    return f"load average {one:.2f} {five:.2f} {fifteen:.2f} on {os.cpu_count()} CPUs"


def write_result(name: str, data: dict[str, Any]) -> Path:
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{name}.json"
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return path


def table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """A Markdown table (pastes straight into docs/retrieval-figures.md)."""
    cells = [[str(h) for h in headers], *[[str(c) for c in r] for r in rows]]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    lines = [
        "| " + " | ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) + " |"
        for row in cells
    ]
    lines.insert(1, "|" + "|".join("-" * (w + 2) for w in widths) + "|")
    return "\n".join(lines)


def pct(part: float, whole: float) -> str:
    return f"{100.0 * part / whole:.1f}%" if whole else "n/a"


def sha256_of(items: Sequence[str]) -> str:
    digest = hashlib.sha256()
    for item in items:
        digest.update(item.encode("utf-8"))
        digest.update(b"\0")
    return digest.hexdigest()


@contextmanager
def stopwatch(into: dict[str, float], key: str) -> Iterator[None]:
    started = time.perf_counter()
    try:
        yield
    finally:
        into[key] = into.get(key, 0.0) + time.perf_counter() - started


def percentile(values: Sequence[float], q: float) -> float:
    """Linear-interpolated percentile (q in 0..100) of a non-empty sequence."""
    ordered = sorted(values)
    if len(ordered) == 1:
        return ordered[0]
    pos = (len(ordered) - 1) * q / 100.0
    lo = int(pos)
    hi = min(lo + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (pos - lo)


@dataclass(frozen=True)
class CachedStore:
    data_dir: Path
    built_now: bool
    build_s: float  # of the build that made it (now or on an earlier run)
    extra: dict[str, Any]


def cached_store(name: str, key: str, build: Any, *, rebuild: bool = False) -> CachedStore:
    """A library data dir under benchmarks/results/cache/NAME, rebuilt only when `key`
    (a digest of everything that goes into it) changes or `rebuild` is asked.

    `build(data_dir) -> dict` fills an empty dir and returns facts to remember.
    """
    import shutil

    from retrieval.embeddings import MODEL_ID

    data_dir = RESULTS / "cache" / name
    manifest = data_dir / "manifest.json"
    key = f"{key}:{MODEL_ID}"
    if not rebuild and manifest.is_file():
        saved = json.loads(manifest.read_text(encoding="utf-8"))
        if saved.get("key") == key and saved.get("complete"):
            return CachedStore(data_dir, False, float(saved["build_s"]), saved.get("extra", {}))
    if data_dir.exists():
        shutil.rmtree(data_dir)
    data_dir.mkdir(parents=True)
    started = time.perf_counter()
    extra = build(data_dir)
    build_s = time.perf_counter() - started
    manifest.write_text(
        json.dumps({"key": key, "complete": True, "build_s": build_s, "extra": extra}, indent=2),
        encoding="utf-8",
    )
    return CachedStore(data_dir, True, build_s, extra)
