#!/usr/bin/env bash
# Set everything up in .venv (Python 3.11+), then answer a question from the bundled demo source.
# VENV=dir puts the environment elsewhere (CI uses a fresh one).
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3.11}
VENV=${VENV:-.venv}
command -v "$PYTHON" >/dev/null || PYTHON=python3
"$PYTHON" - <<'PY'
import sys
if sys.version_info < (3, 11):
    sys.exit(f"Chorus needs Python 3.11 or newer; {sys.executable} is {sys.version.split()[0]}")
PY
[ -x "$VENV/bin/python" ] || "$PYTHON" -m venv "$VENV"
log=$VENV/install.log
echo "Installing pinned packages into $VENV (log: $log) ..." >&2
# The venv's own pip, whatever its age (Python 3.11 brings 23.2): the install must not
# depend on a newer one, so users who skip this script get the same packages.
if ! "$VENV/bin/python" -m pip install -c constraints.txt -e ".[dev,llm,dask]" >"$log" 2>&1; then
  tail -n 40 "$log" >&2
  echo "setup failed: see $log" >&2
  exit 1
fi
echo "Installed. Asking the demo source a question:" >&2
"$VENV/bin/chorus" ask "How many accounts did Twitter suspend?"
