"""Below the front ends, errors name what the user can change as hints, never as one front
end's words: no CLI flag (`--map`) and no `chorus ...` command in a raised message."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LOWER_LAYERS = ("common", "corpus", "retrieval", "patterns", "prompts")
FRONT_END_WORDS = re.compile(r"(?<![\w-])--[a-z]|`chorus |Manage Server")


def raised_texts(path: Path) -> list[tuple[int, str]]:
    """(line, text) of every string literal inside a `raise ...(...)` and of every module
    constant whose name ends in _HINT (messages built from parts are assembled there)."""
    tree = ast.parse(path.read_text(), filename=str(path))
    found: list[tuple[int, str]] = []
    roots: list[ast.AST] = [n for n in ast.walk(tree) if isinstance(n, ast.Raise) and n.exc]
    roots += [
        n.value
        for n in tree.body
        if isinstance(n, ast.Assign)
        and any(isinstance(t, ast.Name) and t.id.endswith("_HINT") for t in n.targets)
    ]
    for root in roots:
        for node in ast.walk(root):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                found.append((node.lineno, node.value))
    return found


def test_lower_layers_raise_no_front_end_wording() -> None:
    offenders = [
        f"{f.relative_to(ROOT)}:{line}: {text!r}"
        for layer in LOWER_LAYERS
        for f in sorted((ROOT / layer).rglob("*.py"))
        for line, text in raised_texts(f)
        if FRONT_END_WORDS.search(text)
    ]
    assert offenders == []


def test_the_check_sees_a_flag_in_a_raised_message(tmp_path: Path) -> None:
    sample = tmp_path / "m.py"
    sample.write_text(
        'X_HINT = "see --shared-dir"\n'
        'def f(n):\n    raise ValueError(f"try --min-accounts {n}")\n'
        'def g():\n    raise ValueError("fine: a dash -- between words")\n'
    )
    flagged = sorted(t for _, t in raised_texts(sample) if FRONT_END_WORDS.search(t))
    assert flagged == ["see --shared-dir", "try --min-accounts "]
