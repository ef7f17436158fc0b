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


def test_product_code_never_imports_test_support() -> None:
    """Test support (tests/support: the synthetic generator, fakes) is not installed with
    the product (pyproject packages only the layers), so no layer may import it."""
    offenders = []
    for layer in LAYERS:
        for f in (ROOT / layer).rglob("*.py"):
            for node in ast.walk(ast.parse(f.read_text(), filename=str(f))):
                module = (
                    node.module
                    if isinstance(node, ast.ImportFrom)
                    else node.names[0].name
                    if isinstance(node, ast.Import)
                    else None
                )
                if module and module.split(".")[0] in {"tests", "benchmarks"}:
                    offenders.append(str(f.relative_to(ROOT)))
    assert offenders == []


def test_no_product_module_is_over_400_lines() -> None:
    """A module does one thing (CONTRIBUTING.md); past 400 lines it is doing several."""
    long = {
        str(f.relative_to(ROOT)): n
        for layer in LAYERS
        for f in (ROOT / layer).rglob("*.py")
        if (n := len(f.read_text().splitlines())) > 400
    }
    assert long == {}
