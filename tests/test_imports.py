"""Package boundaries (DESIGN.md, "Packages"): what each package may import, and nothing more.

    ioc          imports nothing of the project above it
    collectors   ioc (and itself)
    simulators   ioc (and itself)
    dashboards   ioc (and itself)

Every import counts, wherever it stands: at the top, inside a function, under TYPE_CHECKING, or
as a string given to `importlib.import_module`. The packages reach each other only through the
entry points the core loads (`ioc.commands`, `ioc.demo` in pyproject.toml), each of which names a
module of its own package. And importing any module has no side effects: no file written, no
directory made, no connection or database opened, no process or thread started.
"""

from __future__ import annotations

import ast
import os
import subprocess
import sys
import tomllib
from pathlib import Path

import orjson

ROOT = Path(__file__).resolve().parent.parent
ALLOWED = {
    "ioc": {"ioc"},
    "collectors": {"ioc", "collectors"},
    "simulators": {"ioc", "simulators"},
    "dashboards": {"ioc", "dashboards"},
}
PROJECT = set(ALLOWED)
GROUPS = ("ioc.commands", "ioc.demo")
# Modules whose whole job is to run or build something when imported; nothing imports them.
RUN_ON_IMPORT = {"ioc.devservices.__main__", "dashboards.wsgi"}


def imported(source: str) -> list[tuple[int, str]]:
    """(line, module) of every absolute import in `source`, string imports included."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.lineno, node.module))
        elif (
            isinstance(node, ast.Call)
            and (
                (isinstance(node.func, ast.Attribute) and node.func.attr == "import_module")
                or (
                    isinstance(node.func, ast.Name)
                    and node.func.id in {"import_module", "__import__"}
                )
            )
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            found.append((node.lineno, node.args[0].value))
    return found


def violations(package: str, source: str) -> list[str]:
    return [
        f"line {line} imports {module}"
        for line, module in imported(source)
        if module.split(".")[0] in PROJECT - ALLOWED[package]
    ]


def modules(package: str) -> list[Path]:
    return sorted((ROOT / package).rglob("*.py"))


def test_the_checker_sees_every_kind_of_import() -> None:
    source = (
        "import dashboards.app\n"
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n    from simulators import city\n"
        "def f():\n    from collectors.collector import Collector\n"
        "    importlib.import_module('dashboards.pages')\n"
        "from ioc.model import Reading\n"
        "from . import sibling\n"
    )
    assert violations("ioc", source) == [
        "line 1 imports dashboards.app",
        "line 4 imports simulators",
        "line 6 imports collectors.collector",
        "line 7 imports dashboards.pages",
    ]
    assert violations("collectors", source) == [
        "line 1 imports dashboards.app",
        "line 4 imports simulators",
        "line 7 imports dashboards.pages",
    ]


def test_every_package_imports_only_what_design_md_allows() -> None:
    found = []
    for package in ALLOWED:
        files = modules(package)
        assert len(files) >= 5, package
        for path in files:
            found += [
                f"{path.relative_to(ROOT)}: {v}"
                for v in violations(package, path.read_text(encoding="utf-8"))
            ]
    assert found == []


def test_the_entry_points_name_modules_of_their_own_package() -> None:
    declared = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["entry-points"]
    assert set(declared) == set(GROUPS)
    for group in GROUPS:
        assert set(declared[group]) == PROJECT - {"ioc"}, group
        for name, target in declared[group].items():
            assert target.split(".")[0] == name, (group, name, target)


# Run in a fresh interpreter, in an empty directory with HOME and IOC_DATA_DIR inside it: an audit
# hook (PEP 578) records what importing every module does.
_IMPORT_ALL = """
import importlib, os, sys, threading
import orjson
seen = []
WRITE = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_APPEND | os.O_TRUNC
EVENTS = {"socket.connect", "sqlite3.connect", "subprocess.Popen", "os.mkdir", "os.system",
          "os.fork", "os.remove", "os.rename"}

def hook(event, args):
    if event == "open":
        path, mode, flags = args
        writes = any(c in mode for c in "wax+") if isinstance(mode, str) else bool(flags & WRITE)
        if writes:
            seen.append(f"open {path} {mode or flags}")
    elif event == "socket.bind":
        address = args[1]
        if not (isinstance(address, tuple) and address[1] == 0):  # urllib3 probes IPv6 so
            seen.append(f"socket.bind {address!r}")
    elif event in EVENTS:
        seen.append(f"{event} {args[0]!r}")

names = sys.argv[1:]
sys.addaudithook(hook)
for name in names:
    importlib.import_module(name)
threads = [t.name for t in threading.enumerate() if t is not threading.main_thread()]
sys.stdout.write(orjson.dumps({"imported": len(names), "seen": seen, "threads": threads}).decode())
"""


def test_importing_any_module_has_no_side_effects(tmp_path: Path) -> None:
    names = []
    for package in ALLOWED:
        for path in modules(package):
            parts = path.relative_to(ROOT).with_suffix("").parts
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            if name not in RUN_ON_IMPORT:
                names.append(name)
    home = tmp_path / "home"
    home.mkdir()
    env = {
        **os.environ,
        "HOME": str(home),
        "IOC_DATA_DIR": str(home / "data"),
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONPATH": str(ROOT),
    }
    done = subprocess.run(
        [sys.executable, "-c", _IMPORT_ALL, *names],
        cwd=home,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    report = orjson.loads(done.stdout)
    assert report["imported"] == len(names) > 60
    assert report["seen"] == []
    assert report["threads"] == []
    assert list(home.iterdir()) == []
