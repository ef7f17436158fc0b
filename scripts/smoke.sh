#!/usr/bin/env bash
# Smoke test of an install: what a new user runs first, as the `chorus` command itself.
# Ingest a text, an HTML and a PDF file; ask a question they answer; analyse a CSV.
# Usage: scripts/smoke.sh [path/to/chorus]   (default .venv/bin/chorus)
set -euo pipefail
cd "$(dirname "$0")/.."
chorus=$(realpath "${1:-.venv/bin/chorus}")
fixtures=$PWD/tests/fixtures
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"  # no .env here: only what this script sets
export CHORUS_DATA_DIR="$work/data" ANONYMIZED_TELEMETRY=False ORT_DISABLE_TELEMETRY=1
step() { echo "smoke: $*" >&2; }
fail() { echo "smoke: FAILED: $*" >&2; exit 1; }

step "ingest a .txt, an .html and a .pdf"
"$chorus" ingest --json "$fixtures/reporting/field_notes.txt" \
  "$fixtures/reporting/ferry_report.html" "$fixtures/reporting/election_audit.pdf" >ingest.json ||
  fail "chorus ingest exited $?"
"$chorus" sources list >sources.txt || fail "chorus sources list exited $?"
for file in field_notes.txt ferry_report.html election_audit.pdf; do
  grep -q "/$file " sources.txt || fail "$file is not a source after ingest: $(cat sources.txt)"
done
grep -q "The office above the ferry terminal" sources.txt || fail "the HTML title was not read"
grep -q "Harbor City election audit" sources.txt || fail "the PDF title was not read"

step "ask"
"$chorus" ask "How many accounts did the volunteers run?" >answer.txt || fail "chorus ask exited $?"
grep -q "forty-two" answer.txt || fail "the answer does not quote the sources: $(cat answer.txt)"
grep -q "\[1\]" answer.txt || fail "the answer cites nothing: $(cat answer.txt)"

step "analyze a CSV"
"$chorus" analyze "$fixtures/posts/tiny.csv" >analysis.txt || fail "chorus analyze exited $?"
grep -qi "cluster" analysis.txt || fail "the analysis lists no cluster: $(cat analysis.txt)"
step "ok"
