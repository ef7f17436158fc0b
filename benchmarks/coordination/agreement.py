"""Running coordination-network-toolkit 1.5.2 beside Chorus on the same input.

The toolkit lives in its own virtual environment (benchmarks/.venv-ref), installed from
PyPI by `ensure_toolkit`; it is never a dependency of the project. Its CLI's --time_window
defaults to 1 s (its README says 60), so the window is always passed explicitly; its window
is inclusive (|dt| <= window), as is Chorus'.

Two toolkit behaviours differ on purpose, and the comparison removes them from its side:
- a CSV row with no URL is stored with the URL "" (its `split(" ")` of an empty string),
  so every such row co-links with every other; we delete those rows from its message_url
  table before computing (fix_empty_urls=False keeps the bug, to count what it adds);
- an empty message (after its normalisation) equals every other empty message, so texts
  that normalise to "" co-tweet; the shared input drops non-repost rows whose text
  normalises to "" (Chorus never matches empty text).
"""

from __future__ import annotations

import csv
import resource
import sqlite3
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

import pyarrow as pa

from corpus.post_formats import TOOLKIT_COLUMNS
from patterns.normalise import normalise_text
from patterns.service import PatternService

REPO = Path(__file__).resolve().parents[2]
REF_VENV = REPO / "benchmarks" / ".venv-ref"
TOOLKIT = "coordination-network-toolkit==1.5.2"
TABLES = {
    "co_retweet": "co_retweet_network",
    "co_tweet": "co_tweet_network",
    "co_link": "co_link_network",
}
# The Chorus signal that computes each of the toolkit's networks.
SIGNALS = {"co_retweet": "repost", "co_tweet": "text", "co_link": "url"}


def ref_python() -> str | None:
    """The reference venv's python when the toolkit is importable there, else None."""
    python = REF_VENV / "bin" / "python"
    if not python.exists():
        return None
    ok = subprocess.run(
        [str(python), "-c", "import coordination_network_toolkit"], capture_output=True, check=False
    )
    return str(python) if ok.returncode == 0 else None


def ensure_toolkit() -> str:
    """Create benchmarks/.venv-ref and install the toolkit from PyPI if needed."""
    found = ref_python()
    if found:
        return found
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(REF_VENV)], check=True)
    python = str(REF_VENV / "bin" / "python")
    subprocess.run([python, "-m", "ensurepip", "--upgrade"], check=True, capture_output=True)
    subprocess.run([python, "-m", "pip", "install", "-q", TOOLKIT], check=True)
    return python


def write_toolkit_csv(table: pa.Table, path: Path) -> Path:
    """Canonical posts (a synthetic table) as the toolkit's 8-column CSV."""
    cols = table.to_pydict()
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(TOOLKIT_COLUMNS)
        for i in range(table.num_rows):
            text = cols["text"][i] or ""
            repost = cols["repost_of"][i] or ""
            if not repost and not normalise_text(text, "toolkit"):
                continue  # see the module docstring: the toolkit pairs empty texts
            t = datetime.fromisoformat(
                str(cols["created_at"][i]).replace("Z", "+00:00")
            ).timestamp()
            w.writerow(
                [
                    cols["post_id"][i],
                    cols["account_id"][i],
                    cols["account_id"][i],
                    repost,
                    cols["reply_to"][i] or "",
                    text,
                    repr(t),
                    cols["urls"][i] or "",
                ]
            )
    return path


def run_toolkit(
    python: str,
    csv_path: Path,
    network: str,
    window: float,
    db: Path,
    *,
    fix_empty_urls: bool = True,
) -> dict[str, float]:
    """Preprocess + compute one network; returns wall seconds per step."""
    for suffix in ("", "-wal", "-shm"):
        Path(str(db) + suffix).unlink(missing_ok=True)
    cli = [python, "-m", "coordination_network_toolkit"]
    cpu0 = _children_cpu()
    t0 = time.perf_counter()
    subprocess.run([*cli, str(db), "preprocess", str(csv_path)], check=True, capture_output=True)
    t1 = time.perf_counter()
    if network == "co_link" and fix_empty_urls:
        with sqlite3.connect(db) as con:
            con.execute("DELETE FROM message_url WHERE url = ''")
    t2 = time.perf_counter()
    subprocess.run(
        [
            *cli,
            str(db),
            "compute",
            network,
            "--time_window",
            str(int(window)),
            "--min_edge_weight",
            "1",
            "--n_cpus",
            "2",
        ],
        check=True,
        capture_output=True,
    )
    t3 = time.perf_counter()
    return {
        "load_s": t1 - t0,
        "compute_s": t3 - t2,
        "total_s": (t1 - t0) + (t3 - t2),
        "cpu_s": round(_children_cpu() - cpu0, 2),
    }


def _children_cpu() -> float:
    """CPU seconds of finished child processes (and theirs): the toolkit's workers too."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def read_pairs(db: Path, network: str) -> set[frozenset[str]]:
    with sqlite3.connect(db) as con:
        rows = con.execute(
            f"SELECT user_1, user_2 FROM {TABLES[network]} WHERE user_1 != user_2"
        ).fetchall()
    return {frozenset((str(a), str(b))) for a, b in rows}


def toolkit_pairs(
    python: str, csv_path: Path, network: str, window: float, db: Path
) -> set[frozenset[str]]:
    run_toolkit(python, csv_path, network, window, db)
    return read_pairs(db, network)


def chorus_pairs(
    svc: PatternService, csv_path: Path, network: str, window: float, *, scope: str, name: str
) -> set[frozenset[str]]:
    """Chorus's account pairs for `network`, in the toolkit's terms: every edge of weight 1
    or more, its text normalisation, no down-weighting of popular items."""
    params = svc.params(
        signals=SIGNALS[network],
        window_s=window,
        min_shared=1,
        min_accounts=2,
        popular_share=1.0,
        normalisation="toolkit",
    )
    svc.analyze_file(csv_path, scope=scope, name=name, params=params)
    return {frozenset((a, b)) for a, b, _ in svc.edge_list(name, scope=scope)}
