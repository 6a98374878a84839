"""Where a benchmark's CPU goes: CPU seconds (user + system, from /proc/<pid>/stat) of named
processes and of everything they started, between two samples.

On a shared machine a rate measured by the wall clock moves with everyone else's load; CPU
seconds a message move much less, so the benchmarks print both.
"""

from __future__ import annotations

import os
from collections import defaultdict
from collections.abc import Iterable, Mapping

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def _stat(pid: int) -> tuple[str, int, float] | None:
    """(command name, parent pid, CPU seconds) of a live process, None when it is gone."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            text = f.read()
    except OSError:
        return None
    comm = text[text.index("(") + 1 : text.rindex(")")]
    rest = text[text.rindex(")") + 2 :].split()
    return comm, int(rest[1]), (int(rest[11]) + int(rest[12])) / CLOCK_TICKS


def _children() -> dict[int, list[int]]:
    children: dict[int, list[int]] = defaultdict(list)
    for name in os.listdir("/proc"):
        if name.isdigit():
            stat = _stat(int(name))
            if stat is not None:
                children[stat[1]].append(int(name))
    return children


class CpuMeter:
    """`sample()` → label → CPU seconds so far of the pids `processes` gives that label; for a
    label in `trees`, each descendant counts too, as `label/<command name>`."""

    def __init__(self, processes: Mapping[str, Iterable[int]], trees: Iterable[str] = ()) -> None:
        self.processes = {label: list(pids) for label, pids in processes.items()}
        self.trees = set(trees)

    def sample(self) -> dict[str, float]:
        children = _children() if self.trees else {}
        out: dict[str, float] = defaultdict(float)
        for label, roots in self.processes.items():
            todo = [(pid, label) for pid in roots]
            while todo:
                pid, name = todo.pop()
                stat = _stat(pid)
                if stat is None:
                    continue
                out[name] += stat[2]
                if label in self.trees:
                    todo += [(child, f"{label}/{_stat_name(child)}") for child in children[pid]]
        return dict(out)


def _stat_name(pid: int) -> str:
    stat = _stat(pid)
    return stat[0] if stat is not None else "?"


def spent(before: Mapping[str, float], after: Mapping[str, float]) -> dict[str, float]:
    """CPU seconds per label between two samples (labels with none left out)."""
    out = {k: after[k] - before.get(k, 0.0) for k in after}
    return {k: round(v, 2) for k, v in sorted(out.items()) if v > 0}
