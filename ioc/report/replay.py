"""The period replayed through the KPI engine's own fold, sampled at every clock-hour end.

The wall's "now" KPIs (hourly VN_AQI, water level against BĐ1–3, congestion, border queue,
devices online) have no history of their own: the report folds the period's stored sensor,
camera and status readings into a `KpiState` — exactly what the engine folds — hour by hour, in
time order, and evaluates the same functions at each hour's last millisecond. The fold starts
`LOOKBACK_MS` (the NowCast's 12 hours) before the period, so the first hours are complete.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field

from ioc.kpis.city import GaugeAlarmLevels, border_queue_kpi, traffic_kpis, water_kpis
from ioc.kpis.frames import readings_from_frame
from ioc.kpis.health import device_kpis
from ioc.kpis.spec import DAY_MS, HOUR_MS, KpiValue
from ioc.kpis.state import KpiState
from ioc.model import NS_PER_MS, Reading
from ioc.storage import Storage
from ioc.storage.base import TimeRange

LOOKBACK_MS = 12 * HOUR_MS
READ_LIMIT = 10_000_000
MEASUREMENTS = ("sensor", "camera", "servicedesk", "status")  # servicedesk: for `seen` only
PARTS = frozenset({"air", "latest", "visitors", "seen"})


@dataclass
class HourlySamples:
    """KPI values at each hour end of the period, by KPI id (all scopes), and the fold itself."""

    hours: list[int] = field(default_factory=list)  # the hour ends (epoch ms, last ms of the hour)
    values: dict[str, list[KpiValue]] = field(default_factory=dict)
    state: KpiState = field(default_factory=KpiState)

    def of(self, kpi: str, scope: str | None = None) -> list[KpiValue]:
        found = self.values.get(kpi, [])
        return found if scope is None else [v for v in found if v.scope == scope]


def _chunks(storage: Storage, start_ms: int, end_ms: int) -> Iterator[list[Reading]]:
    """The stored readings of [start, end) a day at a time, each day sorted by time."""
    for chunk_start in range(start_ms, end_ms, DAY_MS):
        span = TimeRange(chunk_start * NS_PER_MS, min(chunk_start + DAY_MS, end_ms) * NS_PER_MS)
        readings: list[Reading] = []
        for measurement in MEASUREMENTS:
            frame = storage.records(measurement, span, limit=READ_LIMIT)
            readings += readings_from_frame(frame, measurement)
        # status last on ties, as the engine folds a batch (data readings, then the status)
        readings.sort(key=lambda r: (r.time_ns, r.measurement == "status"))
        yield readings


def replay(
    storage: Storage, start_ms: int, end_ms: int, gauges: Mapping[str, GaugeAlarmLevels]
) -> HourlySamples:
    samples = HourlySamples()
    state = samples.state
    pending: list[Reading] = []
    next_hour = start_ms - LOOKBACK_MS + HOUR_MS

    def evaluate(hour_end_ms: int) -> None:
        now = hour_end_ms - 1
        state.air.prune(now)
        values = [
            *state.air.kpis(now),
            *water_kpis(state.latest, gauges, now),
            *traffic_kpis(state.latest, now),
            border_queue_kpi(state.latest, now),
            *device_kpis(state.seen.values(), now),
        ]
        samples.hours.append(now)
        for value in values:
            samples.values.setdefault(value.id, []).append(value)

    for readings in _chunks(storage, start_ms - LOOKBACK_MS, end_ms):
        for reading in readings:
            while reading.time_ms >= next_hour:
                state.add(pending, PARTS)
                pending = []
                if next_hour > start_ms:
                    evaluate(next_hour)
                next_hour += HOUR_MS
            pending.append(reading)
    while next_hour <= end_ms:
        state.add(pending, PARTS)
        pending = []
        if next_hour > start_ms:
            evaluate(next_hour)
        next_hour += HOUR_MS
    return samples
