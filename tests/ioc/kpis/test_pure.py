"""`ioc/kpis/` is definitions and formulas only: no I/O. Its modules import nothing that reads a
file, a socket or a database (storage, live state, settings, the source catalogue are the
engine's, `ioc.engine`), and call no `open`."""

from __future__ import annotations

import ast
from pathlib import Path

KPIS_DIR = Path(__file__).parents[3] / "ioc" / "kpis"
ALLOWED = {
    "__future__",
    "collections",
    "dataclasses",
    "math",
    "typing",
    "urllib",  # urllib.parse only (checked below)
    "pandas",
    "ioc.aqi",
    "ioc.feeds",
    "ioc.kpis",
    "ioc.localtime",
    "ioc.model",
    "ioc.places",
}


def _imports(tree: ast.AST) -> set[str]:
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def test_kpi_modules_do_no_io():
    modules = sorted(KPIS_DIR.glob("*.py"))
    assert len(modules) >= 10
    for path in modules:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for name in _imports(tree):
            assert any(name == a or name.startswith(a + ".") for a in ALLOWED), (path.name, name)
            if name.startswith("urllib"):
                assert name == "urllib.parse", (path.name, name)
        calls = {
            n.func.id
            for n in ast.walk(tree)
            if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)
        }
        assert "open" not in calls, path.name
