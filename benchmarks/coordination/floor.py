"""What any `chorus analyze` of the 1M-post input must at least spend on this machine, each
part as a whole process of its own (the best of `repeat` runs):

- imports: the libraries the command cannot do without (DuckDB, NumPy, PyArrow, igraph,
  pydantic), nothing of Chorus;
- read and store: DuckDB's parallel CSV reader into a table of a new database file, every
  column as text, no checks, no canonical fields, no second table (the least that keeps the
  dataset for later questions);
- write the exports: the bytes of the export files Chorus wrote, copied to a new folder.

Their sum, set against a tenth of the toolkit's time, says how far a faster engine alone
could go; everything else (signals, pairing, clustering, descriptions, saving, formatting
the exports) comes on top of it.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

from benchmarks.coordination.agreement import run_measured

IMPORTS = "import duckdb, numpy, pyarrow, pyarrow.compute, igraph, pydantic"
READ_AND_STORE = """
import sys, duckdb
con = duckdb.connect(sys.argv[2])
con.execute("SET disabled_compression_methods = 'dict_fsst'")  # as Chorus loads
con.execute("CREATE TABLE posts AS SELECT * FROM read_csv(?, all_varchar = true)", [sys.argv[1]])
con.execute("CHECKPOINT")
con.close()
"""
COPY = """
import shutil, sys
from pathlib import Path
for f in sorted(Path(sys.argv[1]).iterdir()):
    shutil.copyfile(f, Path(sys.argv[2]) / f.name)
"""


def _best(cmd: list[str], repeat: int, before: Any = None) -> dict[str, Any]:
    runs = []
    for _ in range(repeat):
        if before is not None:
            before()
        runs.append(run_measured(cmd))
    best = min(runs, key=lambda r: float(r["wall_s"]))
    return {k: v for k, v in best.items() if k != "stdout"}


def floor(csv_path: Path, exports: Path, repeat: int = 3) -> dict[str, Any]:
    """Wall and CPU seconds of each floor part (see the module docstring) and their sum."""
    py = sys.executable
    with tempfile.TemporaryDirectory(prefix="chorus-floor-") as tmp:
        db, out = Path(tmp) / "floor.duckdb", Path(tmp) / "out"

        def fresh_db() -> None:
            for p in (db, db.with_suffix(".duckdb.wal")):
                p.unlink(missing_ok=True)

        def fresh_out() -> None:
            shutil.rmtree(out, ignore_errors=True)
            out.mkdir()

        parts: dict[str, Any] = {
            "imports": _best([py, "-c", IMPORTS], repeat),
            "read_and_store": _best(
                [py, "-c", READ_AND_STORE, str(csv_path), str(db)], repeat, fresh_db
            ),
            "write_exports": _best([py, "-c", COPY, str(exports), str(out)], repeat, fresh_out),
        }
    total = sum(float(p["wall_s"]) for p in parts.values())
    return parts | {"sum_wall_s": round(total, 2)}
