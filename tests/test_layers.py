"""Imports flow one way (DESIGN.md, "Layers"); this fails the moment one goes the wrong way."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LAYERS = {"common", "prompts", "corpus", "retrieval", "patterns", "bot"}
ALLOWED = {
    "common": set(),  # the shared leaf: errors, progress, wording, process checks
    "prompts": {"common"},
    "corpus": {"common"},
    "retrieval": {"common", "corpus", "prompts"},
    "patterns": {"common", "corpus"},
    "bot": {"common", "prompts", "corpus", "retrieval", "patterns"},
}


def project_imports(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        else:
            continue
        found.update(n.split(".")[0] for n in names if n.split(".")[0] in LAYERS)
    return found


@pytest.mark.parametrize("layer", sorted(LAYERS))
def test_layer_imports_only_what_it_may(layer: str) -> None:
    files = sorted((ROOT / layer).rglob("*.py"))
    assert files, f"layer {layer} has no modules"
    wrong = {
        str(f.relative_to(ROOT)): sorted(project_imports(f) - ALLOWED[layer] - {layer})
        for f in files
    }
    assert {f: w for f, w in wrong.items() if w} == {}


def test_product_code_never_reads_the_shared_folder() -> None:
    offenders = [
        str(f.relative_to(ROOT))
        for layer in LAYERS
        for f in (ROOT / layer).rglob("*.py")
        if "../shared" in f.read_text() or "/work/shared" in f.read_text()
    ]
    assert offenders == []
