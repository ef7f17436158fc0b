#!/usr/bin/env bash
# Every check, the same here and in CI: lint, types, then the test suite (pytest).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-.venv/bin/python}
"$PY" -m ruff check .
"$PY" -m ruff format --check .
"$PY" -m mypy .
"$PY" -m pytest -q "$@"
