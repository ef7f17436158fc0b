"""A question must not pay for what only ingest, analysis or Discord need (cold start < 3 s)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

HEAVY_FOR_ASKING = [
    "langchain_core",
    "langchain_chroma",
    "langchain_text_splitters",
    "trafilatura",
    "pypdf",
    "discord",
    "duckdb",
    "igraph",
    "matplotlib",
]


def test_answering_imports_nothing_it_does_not_need(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CHORUS_")}
    env["CHORUS_DATA_DIR"] = str(tmp_path / "data")
    # The first run adds the demo source (chunking needs more); every later `chorus ask`
    # finds it ready, like the second process here.
    subprocess.run(
        [sys.executable, "-m", "bot", "ask", "warm up"], env=env, capture_output=True, check=True
    )
    probe = (
        "import sys, json\n"
        "from bot.cli import main\n"
        "main(['ask', 'How many accounts did Twitter suspend?'])\n"
        f"heavy = {HEAVY_FOR_ASKING!r}\n"
        "print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in heavy)))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], env=env, capture_output=True, text=True, check=True
    )
    loaded = json.loads(done.stdout.strip().splitlines()[-1])
    assert "70 accounts" in done.stdout
    assert loaded == []


# What `chorus analyze` of a post file without image files must not pay for: the reporting
# side (vector store, embeddings, LLM, parsers, fetcher), plots, Dask, Discord. (Near-identical
# text needs scipy, through datasketch: the probe selects every other signal.)
HEAVY_FOR_ANALYSING = [
    "chromadb",
    "onnxruntime",
    "tokenizers",
    "tiktoken",
    "langchain_core",
    "langchain_chroma",
    "langchain_text_splitters",
    "trafilatura",
    "pypdf",
    "httpx",
    "scipy",
    "matplotlib",
    "dask",
    "distributed",
    "discord",
    "retrieval.library",
    "retrieval.embeddings",
]
FIXTURE_POSTS = Path(__file__).resolve().parents[1] / "fixtures" / "posts" / "tiny.csv"


def test_analysing_imports_nothing_it_does_not_need(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CHORUS_")}
    env["CHORUS_DATA_DIR"] = str(tmp_path / "data")
    out = tmp_path / "out"
    probe = (
        "import sys, json\n"
        "from bot.cli import main\n"
        f"code = main(['analyze', {str(FIXTURE_POSTS)!r}, '--min-accounts', '2', '--signals', "
        f"'text,url,domain,hashtags,image,repost,reply', '--out', {str(out)!r}])\n"
        f"heavy = {HEAVY_FOR_ANALYSING!r}\n"
        "loaded = sorted(m for m in sys.modules if any(m == h or m.startswith(h + '.') "
        "for h in heavy))\n"
        "print(json.dumps([code, loaded]))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], env=env, capture_output=True, text=True, check=True
    )
    code, loaded = json.loads(done.stdout.strip().splitlines()[-1])
    assert code == 0
    assert (out / "edges.csv").is_file()  # the whole command ran: analysis and exports
    assert loaded == []
