"""`KpiState`: the whole incremental KPI state, one fold of readings for live and history alike.

It keeps exactly the folds (`ioc.kpis.fold.Fold`) that the registered KPI specs declare — the
ticket events, the hourly air sums, the newest values, the visitor counts, the readings per
minute, what was last seen of each source — and knows none of the KPIs itself.

The engine calls `add(readings)` with each stored batch (all feeds, `status` included, the
status district filled in) and `kpis(now, gauges)` about once a second: every spec's `value_fn`
over the folded parts. After a Redis loss, or to answer for a past instant, the same object is
rebuilt from storage with `add_frame()` over what `history_queries()` lists (the folds' own
`HistoryRead`s, one query per distinct read). Every KPI is a function of the readings in those
ranges only, so the two paths agree (tests/ioc/kpis/test_state.py feeds one data set through
both).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from ioc.kpis.city import GaugeAlarmLevels
from ioc.kpis.fold import Fold, KpiContext
from ioc.kpis.frames import readings_from_frame
from ioc.kpis.registry import KPIS
from ioc.kpis.spec import KpiSpec, KpiValue
from ioc.model import Reading

VERSION = 1


def folds_of(specs: Iterable[KpiSpec]) -> dict[str, Fold[Any]]:
    """The folds the specs declare, by name, in order of first declaration."""
    out: dict[str, Fold[Any]] = {}
    for spec in specs:
        for fold in spec.folds:
            known = out.setdefault(fold.name, fold)
            if known is not fold:
                raise ValueError(f"two different folds are named {fold.name!r}")
    return out


# The parts of the registered KPIs' state (their folds' names); a history query folds into some
# of them only, so that no reading is counted twice when two queries overlap in time.
PARTS: frozenset[str] = frozenset(folds_of(KPIS.values()))


@dataclass(frozen=True, slots=True)
class HistoryQuery:
    """One storage read of the history path and the parts of the state its rows feed.

    `records` of `measurement` over the last `lookback_ms` (narrowed by `where`, tag -> values),
    or with `latest=True` the newest point per source (`Storage.latest`).
    """

    measurement: str
    parts: frozenset[str]
    lookback_ms: int = 0
    latest: bool = False
    where: Mapping[str, tuple[str, ...]] | None = None


class KpiState:
    """Everything the KPIs need, folded from readings; JSON-able through `to_dict`."""

    def __init__(self, specs: Iterable[KpiSpec] | None = None) -> None:
        self.specs: tuple[KpiSpec, ...] = tuple(KPIS.values() if specs is None else specs)
        self.folds = folds_of(self.specs)
        self.parts: dict[str, Any] = {name: fold.new() for name, fold in self.folds.items()}

    def __getattr__(self, name: str) -> Any:
        """A part by its fold's name (`state.seen`, `state.visitors`…)."""
        try:
            return self.__dict__["parts"][name]
        except KeyError:
            raise AttributeError(name) from None

    @property
    def part_names(self) -> frozenset[str]:
        return frozenset(self.folds)

    def add(self, readings: Iterable[Reading], parts: Collection[str] | None = None) -> None:
        """Fold readings of any measurement (others than the folds' are ignored) into `parts`
        (all of them by default)."""
        names = self.part_names if parts is None else frozenset(parts)
        unknown = names - self.part_names
        if unknown:
            raise ValueError(f"unknown KPI state parts {sorted(unknown)}")
        by_measurement: dict[str, list[Reading]] = {}
        for reading in readings:
            by_measurement.setdefault(reading.measurement, []).append(reading)
        for name in names:
            fold = self.folds[name]
            batch: Sequence[Reading] = [
                r for m in sorted(fold.measurements) for r in by_measurement.get(m, ())
            ]
            if batch:
                self.parts[name] = fold.add(self.parts[name], batch)

    def add_frame(
        self, frame: pd.DataFrame, measurement: str, parts: Collection[str] | None = None
    ) -> None:
        """Fold a storage frame (`records` or `latest`) of one measurement into `parts`."""
        self.add(readings_from_frame(frame, measurement), parts)

    def kpis(
        self, now_ms: int, gauges: Mapping[str, GaugeAlarmLevels] | None = None
    ) -> list[KpiValue]:
        """Every KPI of the specs at `now_ms`; `gauges` maps a water gauge to its BĐ1–3."""
        ctx = KpiContext(self.parts, now_ms, gauges)
        return [v for spec in self.specs if spec.value_fn for v in spec.value_fn(ctx)]

    def prune(self, now_ms: int) -> list[str]:
        """Forget what no KPI at `now_ms` or later can use; returns what the folds report pruned
        (the ticket-event keys)."""
        pruned: list[str] = []
        for name, fold in self.folds.items():
            result = fold.prune(self.parts[name], now_ms)
            if isinstance(result, list):
                pruned += result
        return pruned

    def history_queries(self) -> list[HistoryQuery]:
        """The storage reads that rebuild this state for an evaluation at `now` (any order):
        the folds' reads, one query per distinct read feeding every fold that asked for it."""
        reads: dict[tuple[Any, ...], tuple[Any, set[str]]] = {}
        for name, fold in self.folds.items():
            for read in fold.history:
                reads.setdefault(read.key, (read, set()))[1].add(name)
        return [
            HistoryQuery(
                read.measurement, frozenset(names), read.lookback_ms, read.latest, read.where
            )
            for read, names in reads.values()
        ]

    def to_dict(self) -> dict[str, Any]:
        return {
            "version": VERSION,
            **{name: fold.to_dict(self.parts[name]) for name, fold in self.folds.items()},
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], specs: Iterable[KpiSpec] | None = None) -> KpiState:
        if data.get("version") != VERSION:
            raise ValueError(f"KPI state version {data.get('version')!r}, expected {VERSION}")
        state = cls(specs)
        for name, fold in state.folds.items():
            state.parts[name] = fold.from_dict(data[name])
        return state
