"""Facts that exist once in the domain are defined once in the code: the local offset (UTC+07:00,
`ioc.localtime`), "offline after three intervals" (`ioc.kpis.health`), the dead-letter payload cap
and the payload limit (`ioc.model`, `ioc.feeds`). A second definition, under the same name or
spelled out again as a literal, fails here."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("ioc", "collectors", "simulators", "dashboards")
ONCE = (
    "LOCAL_OFFSET",
    "LOCAL_OFFSET_MS",
    "LOCAL_TZ",
    "OFFLINE_AFTER_INTERVALS",
    "DEADLETTER_PAYLOAD_MAX",
    "MAX_PAYLOAD_BYTES",
)
# The offset written out again: timedelta(hours=7), 7 * 3600 [* 1000], 25200, a tz database name.
SPELLED_OUT = re.compile(
    r"hours\s*=\s*7\b|\b7\s*\*\s*3600\b|\b25_?200\b|ZoneInfo\(|[\"']Asia/Ho_Chi_Minh[\"']"
)


def sources() -> dict[str, str]:
    return {
        str(path.relative_to(ROOT)): path.read_text(encoding="utf-8")
        for package in PACKAGES
        for path in sorted((ROOT / package).rglob("*.py"))
    }


def defined_names(source: str) -> set[str]:
    names = set()
    for node in ast.parse(source).body:
        targets = node.targets if isinstance(node, ast.Assign) else []
        if isinstance(node, ast.AnnAssign):
            targets = [node.target]
        names |= {t.id for t in targets if isinstance(t, ast.Name)}
    return names


def test_each_domain_constant_has_one_home() -> None:
    homes: dict[str, list[str]] = {name: [] for name in ONCE}
    for path, source in sources().items():
        for name in defined_names(source) & set(ONCE):
            homes[name].append(path)
    for name, paths in homes.items():
        assert len(paths) == 1, (name, paths)  # one definition (others import it)
        assert paths[0].startswith("ioc/"), (name, paths)  # in the core every package reads


def test_the_local_offset_is_not_spelled_out_again() -> None:
    found = [
        f"{path}:{number}: {line.strip()}"
        for path, source in sources().items()
        if path != "ioc/localtime.py"
        for number, line in enumerate(source.splitlines(), 1)
        if SPELLED_OUT.search(line)
    ]
    assert found == []


def test_the_check_sees_a_second_definition() -> None:
    assert defined_names("LOCAL_TZ = timezone(timedelta(hours=7))\nx: int = 3\n") == {
        "LOCAL_TZ",
        "x",
    }
    assert SPELLED_OUT.search("tz = timezone(timedelta(hours=7))")
    assert SPELLED_OUT.search("now + 7 * 3600 * 1000")
    assert not SPELLED_OUT.search("t - 7 * HOUR_S")
