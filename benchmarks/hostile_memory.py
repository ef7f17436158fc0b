"""Peak memory of `chorus analyze` on hostile dataset shapes, whole process, start to exit.

- tags: 600 posts with 10,000 hashtags each (refused when read: CHORUS_LIMITS__MAX_ITEMS_PER_POST)
- urls: 400 accounts each posting the same 200 links within a minute (16 million account
  pairs: refused before any pair is built, by the pair limit)
- gzbomb: a 5.6 MB .csv.gz that unpacks to 2.3 GB (stopped while unpacking at 100x its size:
  CHORUS_LIMITS__MAX_UNPACK_RATIO)

Each runs as its own `chorus analyze` process on a fresh data dir; the peak is that child's
maximum resident set size (os.wait4); the disk peak is the data dir's largest total size,
polled every 20 ms. Reports the exit code and the one line printed.

    python -m benchmarks.hostile_memory
"""

from __future__ import annotations

import contextlib
import gzip
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path


def _tags(path: Path) -> None:
    with path.open("w") as f:
        f.write("post_id,account_id,created_at,text,hashtags\n")
        for i in range(600):
            tags = " ".join(f"h{(i * 7 + j) % 20000}" for j in range(10_000))
            f.write(
                f"p{i},a{i % 300},2024-01-01T00:{i // 60 % 60:02d}:{i % 60:02d}Z,post {i},{tags}\n"
            )


def _urls(path: Path) -> None:
    with path.open("w") as f:
        f.write("post_id,account_id,created_at,text,urls\n")
        n = 0
        for a in range(400):
            for u in range(200):
                f.write(
                    f"p{n},a{a},2024-01-01T00:00:{(a + u) % 60:02d}Z,post,https://x.example/{u}\n"
                )
                n += 1


def _gzbomb(path: Path) -> None:
    rows = b"p,a,2024-01-01T00:00:00Z,same\n" * 3_500_000  # 105 MB, about 250 kB gzipped
    first = gzip.compress(b"post_id,account_id,created_at,text\n" + rows, 9, mtime=0)
    rest = gzip.compress(rows, 9, mtime=0)
    with path.open("wb") as f:  # gzip members back to back read as one stream
        f.write(first)
        for _ in range(21):
            f.write(rest)


def _disk_peak(root: Path, stop: threading.Event, peak: list[int]) -> None:
    while not stop.wait(0.02):
        total = 0
        for p in root.rglob("*"):
            with contextlib.suppress(OSError):  # removed while walking
                total += p.stat().st_size if p.is_file() else 0
        peak[0] = max(peak[0], total)


def _run(csv_path: Path, data_dir: Path) -> dict[str, object]:
    chorus = Path(sys.executable).with_name("chorus")
    env = {**os.environ, "CHORUS_DATA_DIR": str(data_dir)}
    started = time.perf_counter()
    peak, stop = [0], threading.Event()
    watcher = threading.Thread(target=_disk_peak, args=(data_dir, stop, peak), daemon=True)
    watcher.start()
    with tempfile.TemporaryFile("w+") as err:
        child = subprocess.Popen(
            [str(chorus), "analyze", str(csv_path)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=err,
            text=True,
        )
        _, status, usage = os.wait4(child.pid, 0)
        child.returncode = os.waitstatus_to_exitcode(status)
        stop.set()
        watcher.join()
        err.seek(0)
        stderr = err.read()
    lines = stderr.strip().splitlines()
    return {
        "file": csv_path.name,
        "bytes": csv_path.stat().st_size,
        "exit": child.returncode,
        "seconds": round(time.perf_counter() - started, 1),
        "peak_mb": round(usage.ru_maxrss / 1024, 1),  # this child's maximum resident set
        "disk_peak_mb": round(peak[0] / 1e6, 1),
        "stderr_lines": len(lines),
        "message": lines[-1] if lines else "",
    }


def main() -> int:
    print(f"load average: {os.getloadavg()}", file=sys.stderr)
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        for name, make in (("urls", _urls), ("tags", _tags), ("gzbomb", _gzbomb)):
            path = root / (f"{name}.csv.gz" if name == "gzbomb" else f"{name}.csv")
            make(path)
            results.append(_run(path, root / f"data-{name}"))
    print(json.dumps({"runs": results, "load_average": os.getloadavg()}, indent=2))
    return 0 if all(r["exit"] != 0 and r["stderr_lines"] == 1 for r in results) else 1


if __name__ == "__main__":
    raise SystemExit(main())
