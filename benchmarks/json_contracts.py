"""Record every `--json` output of the `chorus` command on fixed inputs, to diff later.

A refactor must leave the JSON contracts byte-for-byte the same. This runs the real
command (the console script beside this interpreter) on the bundled demo source, a small
note, and the real datasets in --real DIR (default ../shared/data/real) when they are
there, in a fresh data dir, and writes one file per command. Values that differ between any
two runs (the work folder's path, clock times of ingest, elapsed seconds) are replaced by
placeholders first; everything else is kept exactly as printed.

    python -m benchmarks.json_contracts record OUT_DIR [--real DIR]
    python -m benchmarks.json_contracts diff BEFORE_DIR AFTER_DIR
"""

from __future__ import annotations

import argparse
import difflib
import json
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DEFAULT_REAL = REPO.parent / "shared" / "data" / "real"
DATASETS = {  # relative to --real
    "german": Path("coortweet_examples/german_elections.csv"),
    "russian": Path("coortweet_examples/russian_coord_tweets.csv"),
    "ira": Path("ira_troll_tweets_2016oct/tweets.csv"),
}
NOTE = (
    "Field notes, hashtag flood on #RecallMayorLinn (compiled by T&S team, 2022-06-03)\n\n"
    "We suspended 144 accounts on June 2 for spam and platform manipulation. The organizers "
    "were paid $2,500 per month, said Priya Raman, the lab's lead analyst.\n"
)
QUESTIONS = [
    "How many accounts did Twitter suspend?",
    "Who was released from an NDA?",
    "How many accounts were suspended in the #RecallMayorLinn flood?",
    "What is the capital of Peru?",
]
CLAIMS = ["The organizers were paid $5,000 a month", "Twitter suspended 70 accounts"]
_CLOCK = re.compile(r"\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:\d\d)?")
_VOLATILE_KEYS = {"added_at", "elapsed_s", "seconds", "analysed_at", "created"}


def _chorus() -> str:
    return str(Path(sys.executable).with_name("chorus"))


def _scrub(value: object, work: str, keep_times: bool) -> object:
    if isinstance(value, dict):
        return {
            k: "<volatile>" if k in _VOLATILE_KEYS else _scrub(v, work, keep_times)
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [_scrub(v, work, keep_times) for v in value]
    if isinstance(value, str):
        value = value.replace(work, "<work>")
        return value if keep_times else _CLOCK.sub("<time>", value)
    return value


def _run(args: list[str], env: dict[str, str], cwd: Path) -> tuple[int, str]:
    proc = subprocess.run(
        [_chorus(), *args], env=env, cwd=cwd, capture_output=True, text=True, check=False
    )
    return proc.returncode, proc.stdout


def record(out: Path, real: Path) -> int:
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        data_dir = str(work / "data")
        env = {**os.environ, "CHORUS_DATA_DIR": data_dir, "CHORUS_LLM": ""}
        (work / "field-notes.txt").write_text(NOTE)
        steps: list[tuple[str, list[str], bool]] = [
            ("ingest-note", ["ingest", str(work / "field-notes.txt"), "--json"], False),
            ("sources-list", ["sources", "list", "--json"], False),
        ]
        steps += [(f"ask-{i}", ["ask", q, "--json"], True) for i, q in enumerate(QUESTIONS)]
        steps += [(f"check-{i}", ["check", c, "--json"], True) for i, c in enumerate(CLAIMS)]
        for name, rel in DATASETS.items():
            path = real / rel
            if path.exists():  # post times are data, kept; clock times of the run are not
                steps.append((f"analyze-{name}", ["analyze", str(path), "--json"], True))
        steps += [
            ("clusters", ["clusters", "--json"], True),
            ("datasets-list", ["datasets", "list", "--json"], False),
            ("doctor", ["doctor", "--json"], False),
        ]
        for name, args, keep_times in steps:
            code, stdout = _run(args, env, work)
            _write(out / f"{name}.json", code, stdout, str(work), keep_times)
            if name.startswith("analyze-") and code == 0:
                clusters = json.loads(stdout).get("clusters") or []
                if clusters:
                    first = clusters[0]
                    for sub, extra in (
                        ("cluster", ["cluster", first["id"], "--json"]),
                        ("account", ["account", first["accounts"][0], "--json"]),
                    ):
                        code, stdout = _run(extra, env, work)
                        _write(out / f"{sub}-{name}.json", code, stdout, str(work), True)
    print(f"recorded {len(list(out.glob('*.json')))} outputs in {out}")
    return 0


def _write(path: Path, code: int, stdout: str, work: str, keep_times: bool) -> None:
    try:
        body = json.dumps(_scrub(json.loads(stdout), work, keep_times), indent=1)
    except json.JSONDecodeError:
        body = stdout.replace(work, "<work>")
    path.write_text(f"exit {code}\n{body}\n")


def diff(before: Path, after: Path) -> int:
    names = sorted({p.name for p in before.glob("*.json")} | {p.name for p in after.glob("*.json")})
    changed = 0
    for name in names:
        a, b = before / name, after / name
        left = a.read_text().splitlines() if a.exists() else ["<missing>"]
        right = b.read_text().splitlines() if b.exists() else ["<missing>"]
        if left != right:
            changed += 1
            sys.stdout.writelines(
                line + "\n"
                for line in list(
                    difflib.unified_diff(left, right, str(a), str(b), n=1, lineterm="")
                )[:40]
            )
    print(f"{changed} of {len(names)} outputs differ")
    return 1 if changed else 0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("record")
    r.add_argument("out", type=Path)
    r.add_argument("--real", type=Path, default=DEFAULT_REAL, help="the real datasets' folder")
    d = sub.add_parser("diff")
    d.add_argument("before", type=Path)
    d.add_argument("after", type=Path)
    args = ap.parse_args()
    return record(args.out, args.real) if args.cmd == "record" else diff(args.before, args.after)


if __name__ == "__main__":
    sys.exit(main())
