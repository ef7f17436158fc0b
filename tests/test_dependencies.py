"""Every package Chorus imports is declared, and so is every package it gets only through an
extra that a dependency asks for in a spelling older pip cannot match (pip 23.2, the one
Python 3.11's venv brings, does not normalise extra names: jusText's `lxml[html_clean]`
installs nothing from lxml 6, whose extra is `html-clean`)."""

from __future__ import annotations

import ast
import importlib.metadata as md
import re
import sys
import tomllib
from pathlib import Path

from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parents[1]
LAYERS = ("common", "prompts", "corpus", "retrieval", "patterns", "bot")


def norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def declared() -> set[str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    specs = list(project["dependencies"])
    for extra in project.get("optional-dependencies", {}).values():
        specs += extra
    names = {norm(Requirement(s).name) for s in specs}
    for spec in specs:  # what a declared extra brings is declared too (dask[distributed])
        req = Requirement(spec)
        try:
            dist = md.distribution(req.name)
        except md.PackageNotFoundError:
            continue
        for extra in req.extras:
            names |= {norm(r.name) for r in _extra_requirements(dist, extra)}
    return names


def core() -> list[Requirement]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    return [Requirement(s) for s in project["dependencies"]]


def imported_modules() -> set[str]:
    found: set[str] = set()
    for layer in LAYERS:
        for path in (ROOT / layer).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
                if isinstance(node, ast.Import):
                    found.update(alias.name.split(".")[0] for alias in node.names)
                elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    found.add(node.module.split(".")[0])
    return found - set(sys.stdlib_module_names) - set(LAYERS)


def test_every_imported_package_is_declared() -> None:
    owners = md.packages_distributions()
    names = declared()
    missing = {
        module: owners.get(module, ["(not installed)"])
        for module in sorted(imported_modules())
        if not {norm(d) for d in owners.get(module, [])} & names
    }
    assert not missing, f"imported but not declared in pyproject.toml: {missing}"


def _extra_requirements(dist: md.Distribution, extra: str) -> list[Requirement]:
    out = []
    for spec in dist.requires or []:
        req = Requirement(spec)
        marker = req.marker
        if (
            marker is not None
            and marker.evaluate({"extra": norm(extra)})
            and not marker.evaluate({"extra": ""})
        ):
            out.append(req)
    return out


def test_packages_behind_respelled_extras_are_declared() -> None:
    """Walk the installed dependency tree; where a requirement names an extra that the
    package provides only under another spelling, what that extra brings must be ours."""
    names = declared()
    seen: set[str] = set()
    todo = core()
    problems: list[str] = []
    while todo:
        req = todo.pop()
        name = norm(req.name)
        if name in seen:
            continue
        seen.add(name)
        try:
            dist = md.distribution(req.name)
        except md.PackageNotFoundError:
            continue  # not for this platform or Python
        provided = dist.metadata.get_all("Provides-Extra") or []
        for extra in req.extras:
            brought = _extra_requirements(dist, extra)
            if extra not in provided:  # only a normalising pip finds it
                problems += [f"{req} needs {r.name}" for r in brought if norm(r.name) not in names]
            todo += brought
        for spec in dist.requires or []:
            sub = Requirement(spec)
            if sub.marker is None or sub.marker.evaluate({"extra": ""}):
                todo.append(sub)
    assert not problems, f"declare these in pyproject.toml: {problems}"
