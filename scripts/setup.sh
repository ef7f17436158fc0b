#!/usr/bin/env bash
# Set everything up in .venv (Python 3.11+), then answer a question from the bundled demo source.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3.11}
command -v "$PYTHON" >/dev/null || PYTHON=python3
"$PYTHON" - <<'PY'
import sys
if sys.version_info < (3, 11):
    sys.exit(f"Chorus needs Python 3.11 or newer; {sys.executable} is {sys.version.split()[0]}")
PY
[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
log=.venv/install.log
echo "Installing pinned packages into .venv (log: $log) ..." >&2
if ! { .venv/bin/python -m pip install --upgrade pip &&
       .venv/bin/python -m pip install -c constraints.txt -e ".[dev,llm,dask]"; } >"$log" 2>&1; then
  tail -n 40 "$log" >&2
  echo "setup failed: see $log" >&2
  exit 1
fi
echo "Installed. Asking the demo source a question:" >&2
.venv/bin/chorus ask "How many accounts did Twitter suspend?"
