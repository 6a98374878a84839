"""What KPI formulas fold over, declared by the specs that need it: `Fold`, `HistoryRead`,
and `KpiContext`, what a spec's `value_fn` receives.

A `Fold` is one part of the KPI state (the ticket events, the hourly air sums, the newest values
per source…): how to make it, fold a batch of readings of its `measurements` into it, prune it,
turn it into JSON and back, and which storage reads (`HistoryRead`) rebuild it after a restart.
A KPI spec lists the folds its formula reads (`KpiSpec.folds`); `ioc.kpis.state.KpiState` keeps
exactly the folds the registered specs declare, so no central code knows any KPI. Pure: no I/O.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from ioc.model import Reading

if TYPE_CHECKING:
    from ioc.kpis.city import GaugeAlarmLevels

T = TypeVar("T")
# The recent readings several folds rebuild from: the last 60 complete minutes and a margin.
RECENT_LOOKBACK_MS = 62 * 60_000


@dataclass(frozen=True, slots=True)
class HistoryRead:
    """One storage read that rebuilds a fold: `records` of `measurement` over the last
    `lookback_ms` (narrowed by `where`, tag -> allowed values), or with `latest=True` the newest
    point per source (`Storage.latest`)."""

    measurement: str
    lookback_ms: int = 0
    latest: bool = False
    where: Mapping[str, tuple[str, ...]] | None = field(default=None, hash=False)

    @property
    def key(self) -> tuple[Any, ...]:
        where = tuple(sorted((self.where or {}).items()))
        return (self.measurement, self.lookback_ms, self.latest, where)


@dataclass(frozen=True, slots=True)
class Fold(Generic[T]):
    """One part of the KPI state, named `name` (its key in `KpiState.to_dict()`)."""

    name: str
    measurements: frozenset[str]  # the readings it folds; others never reach `add`
    new: Callable[[], T]
    add: Callable[[T, Sequence[Reading]], T]  # may update in place and return it, or replace it
    to_dict: Callable[[T], Any]
    from_dict: Callable[[Any], T]
    history: tuple[HistoryRead, ...]
    prune: Callable[[T, int], object] = lambda part, now_ms: None  # forget what no KPI can use


def fold_each(add_one: Callable[[T, Reading], object]) -> Callable[[T, Sequence[Reading]], T]:
    """A batch `add` from a one-reading one that updates the part in place."""

    def add(part: T, readings: Sequence[Reading]) -> T:
        for reading in readings:
            add_one(part, reading)
        return part

    return add


class KpiContext:
    """What a `value_fn` computes from: the folded parts, the time, the gauges' alarm levels.

    `memo(key, fn)` computes `fn()` once per evaluation, for formulas that share work (the
    service-desk statistics behind seven KPIs are counted once).
    """

    def __init__(
        self,
        parts: Mapping[str, Any],
        now_ms: int,
        gauges: Mapping[str, GaugeAlarmLevels] | None = None,
    ) -> None:
        self._parts = parts
        self.now_ms = now_ms
        self.gauges: Mapping[str, GaugeAlarmLevels] = gauges or {}
        self._memo: dict[str, Any] = {}

    def part(self, fold: Fold[T]) -> T:
        value: T = self._parts[fold.name]
        return value

    def memo(self, key: str, fn: Callable[[], T]) -> T:
        if key not in self._memo:
            self._memo[key] = fn()
        value: T = self._memo[key]
        return value


def only(kpi_id: str, values: Iterable[Any]) -> list[Any]:
    """The values of one KPI among those a shared computation returned."""
    return [v for v in values if v.id == kpi_id]
