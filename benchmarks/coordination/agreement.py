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
import json
import os
import resource
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import pyarrow as pa

from corpus.posts.formats import TOOLKIT_COLUMNS
from patterns.normalise import text_match_key
from patterns.results import AnalysisResult

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
            if not repost and not text_match_key(text, "toolkit"):
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


def chorus_command() -> list[str]:
    """The `chorus` console script installed beside this interpreter (what a user runs)."""
    script = Path(sys.executable).with_name("chorus")
    if script.exists():
        return [str(script)]
    return [sys.executable, "-c", "import sys; from bot.cli import main; sys.exit(main())"]


def chorus_env(data_dir: Path, **settings: str) -> dict[str, str]:
    """A clean environment for one `chorus` run: its own data dir, no CHORUS_ settings from
    the caller's shell, and `settings` (CHORUS_... names) on top."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CHORUS_")}
    return env | {"CHORUS_DATA_DIR": str(data_dir)} | settings


def run_measured(cmd: list[str], env: dict[str, str] | None = None) -> dict[str, Any]:
    """Run a command to exit: wall seconds, CPU seconds and peak memory (MB) of that process
    alone (os.wait4), and its stdout."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, env=env, cwd=REPO, stdout=out, stderr=err)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read().decode(), err.read().decode()
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd[:3])} ... exited {proc.returncode}: {stderr[-2000:]}")
    return {
        "wall_s": round(wall, 3),
        "cpu_s": round(usage.ru_utime + usage.ru_stime, 2),
        "peak_rss_mb": round(usage.ru_maxrss / 1024, 1),
        "stdout": stdout,
    }


def analyze_command(csv_path: Path, network: str, window: float, out_dir: Path) -> list[str]:
    """`chorus analyze` in the toolkit's terms: every distinct shared item counts 1, every
    pair that shares one is an edge, its text normalisation; exports into out_dir."""
    return [
        *chorus_command(),
        "analyze",
        str(csv_path),
        "--signals",
        SIGNALS[network],
        "--window",
        f"{window:g}",
        "--min-shared",
        "1",
        "--min-accounts",
        "2",
        "--weighting",
        "count",
        "--normalisation",
        "toolkit",
        "--out",
        str(out_dir),
    ]


def _cell(value: str) -> str:
    """An exported cell as it was stored (exports put ' before a leading = + - @)."""
    return value[1:] if value[:1] == "'" and value[1:2] in ("=", "+", "-", "@") else value


def edges_csv_pairs(path: Path) -> set[frozenset[str]]:
    with path.open(newline="", encoding="utf-8") as f:
        return {frozenset((_cell(r["source"]), _cell(r["target"]))) for r in csv.DictReader(f)}


def analyze_cli(
    path: Path, work: Path, name: str, *flags: str, fresh: bool = True, **settings: str
) -> tuple[AnalysisResult, dict[str, Any], Path]:
    """`chorus analyze PATH --name NAME --out DIR FLAGS...` as a command (data dir under
    `work`, fresh unless told otherwise); the result as read back from its clusters.json,
    the run's wall time and peak memory, and the export folder."""
    data, out = work / "chorus-data", work / f"out-{name}"
    if fresh:
        shutil.rmtree(data, ignore_errors=True)
    cmd = [*chorus_command(), "analyze", str(path), "--name", name, "--out", str(out), *flags]
    measured = run_measured(cmd, chorus_env(data, **settings))
    blob = json.loads((out / "clusters.json").read_text(encoding="utf-8"))
    return AnalysisResult.from_parts(blob, blob["analysis"]), measured, out


def chorus_pairs(
    csv_path: Path, network: str, window: float, work: Path, **settings: str
) -> set[frozenset[str]]:
    """Chorus's account pairs for `network` from `chorus analyze ... --out`'s edges.csv, run
    as a command in a fresh data dir under `work`."""
    data, out = work / f"chorus-{network}", work / f"out-{network}"
    shutil.rmtree(data, ignore_errors=True)
    cmd = analyze_command(csv_path, network, window, out)
    run_measured(cmd, chorus_env(data, **settings))
    return edges_csv_pairs(out / "edges.csv")
