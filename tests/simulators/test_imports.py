"""The package boundary: simulators import `ioc`, never `collectors` or `dashboards`."""

from __future__ import annotations

import ast
from pathlib import Path

import simulators

PACKAGE = Path(simulators.__file__).parent
FORBIDDEN = {"collectors", "dashboards"}


def imported_roots(path: Path) -> set[str]:
    roots = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            roots |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            roots.add(node.module.split(".")[0])
    return roots


def test_simulators_import_only_ioc_of_the_project() -> None:
    modules = sorted(PACKAGE.rglob("*.py"))
    assert len(modules) >= 10
    for module in modules:
        assert not imported_roots(module) & FORBIDDEN, module
        assert ast.get_docstring(ast.parse(module.read_text(encoding="utf-8"))), module
