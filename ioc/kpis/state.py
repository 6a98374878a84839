"""`KpiState`: the whole incremental KPI state, one fold of readings for live and history alike.

The collector pipeline calls `add(readings)` with each batch it has written (all feeds, `status`
included, the status district filled in); the live state keeps `to_dict()` and the wall screen's
data module calls `kpis(now, gauges)`. After a Redis loss, or to answer for a past instant, the
same object is rebuilt from storage with `add_frame()` over what `history_queries()` lists.
Every KPI is a function of the readings in those ranges only, so the two paths agree
(tests/ioc/kpis/test_state.py feeds one data set through both).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd

from ioc.feeds import FEEDS
from ioc.kpis.air import LOOKBACK_MS as AIR_LOOKBACK_MS
from ioc.kpis.air import AirTally
from ioc.kpis.city import (
    FRESH_INTERVALS,
    VISITOR_SITES,
    GaugeAlarmLevels,
    border_queue_kpi,
    traffic_kpis,
    visitor_kpis,
    water_kpis,
)
from ioc.kpis.frames import readings_from_frame
from ioc.kpis.health import MINUTE_MS, SourceSeen, completeness_kpis, device_kpis
from ioc.kpis.servicedesk import ServiceDeskTally
from ioc.kpis.spec import DAY_MS, HOUR_MS, KpiValue
from ioc.kpis.tally import BucketSums, LatestValues
from ioc.kpis.tickets import TicketEvent
from ioc.model import Reading

VERSION = 1
_SEEN_FEEDS = frozenset(f.measurement for f in FEEDS.values())
VISITORS_LOOKBACK_MS = 7 * DAY_MS + HOUR_MS
COUNTS_LOOKBACK_MS = 62 * MINUTE_MS


# The parts of the state; a history query folds into some of them only, so that no reading is
# counted twice when two queries overlap in time.
PARTS: frozenset[str] = frozenset({"servicedesk", "air", "latest", "visitors", "received", "seen"})


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

    def __init__(self, servicedesk_horizon_ms: int | None = None) -> None:
        self.servicedesk = (
            ServiceDeskTally()
            if servicedesk_horizon_ms is None
            else ServiceDeskTally(servicedesk_horizon_ms)
        )
        self.air = AirTally()
        self.latest = LatestValues()  # sensor and camera values, newest per source and field
        self.visitors = BucketSums(HOUR_MS)  # people per visitor site per clock hour
        self.received = BucketSums(MINUTE_MS)  # readings per source per minute
        self.seen: dict[str, SourceSeen] = {}

    def add(self, readings: Iterable[Reading], parts: Collection[str] = PARTS) -> None:
        """Fold readings of any measurement (others than ours are ignored) into `parts`."""
        unknown = set(parts) - PARTS
        if unknown:
            raise ValueError(f"unknown KPI state parts {sorted(unknown)}")
        # `seen` keeps only the newest data reading and the newest status per source: folding
        # just those (newest last on ties, as one by one) gives the same state, far cheaper.
        newest: dict[tuple[str, bool], Reading] = {}
        for reading in readings:
            self._add(reading, parts)
            if reading.measurement in _SEEN_FEEDS:
                key = (reading.source, reading.measurement == "status")
                kept = newest.get(key)
                if kept is None or reading.time_ns >= kept.time_ns:
                    newest[key] = reading
        if "seen" in parts:
            for (source, _), reading in sorted(newest.items(), key=lambda item: item[0][1]):
                current = self.seen.get(source) or SourceSeen(source)
                self.seen[source] = current.seen(reading)

    def _add(self, reading: Reading, parts: Collection[str]) -> None:
        m = reading.measurement
        if m == "servicedesk" and "servicedesk" in parts:
            self.servicedesk.add(TicketEvent.from_reading(reading))
        elif m in ("sensor", "camera"):
            if "latest" in parts:
                self.latest.add(reading)
            if "received" in parts:
                self.received.add(reading.source, reading.time_ms)
            if m == "sensor" and "air" in parts:
                self.air.add(reading)
            elif (
                m == "camera"
                and "visitors" in parts
                and reading.tags.get("site") in VISITOR_SITES
                and "people" in reading.fields
            ):
                people = reading.fields["people"]
                if isinstance(people, int | float) and not isinstance(people, bool):
                    self.visitors.add(reading.tags["site"], reading.time_ms, float(people))

    def add_frame(
        self, frame: pd.DataFrame, measurement: str, parts: Collection[str] = PARTS
    ) -> None:
        """Fold a storage frame (`records` or `latest`) of one measurement into `parts`."""
        self.add(readings_from_frame(frame, measurement), parts)

    def kpis(
        self, now_ms: int, gauges: Mapping[str, GaugeAlarmLevels] | None = None
    ) -> list[KpiValue]:
        """Every KPI of the registry at `now_ms`; `gauges` maps a water gauge to its BĐ1–3."""
        seen = list(self.seen.values())
        return [
            *self.servicedesk.kpis(now_ms),
            *self.air.kpis(now_ms),
            *water_kpis(self.latest, gauges or {}, now_ms),
            *traffic_kpis(self.latest, now_ms),
            *visitor_kpis(self.visitors, now_ms),
            border_queue_kpi(self.latest, now_ms),
            *device_kpis(seen, now_ms),
            *completeness_kpis(self.received, seen, now_ms),
        ]

    def prune(self, now_ms: int) -> list[str]:
        """Forget what no KPI at `now_ms` or later can use; returns the pruned ticket-event keys."""
        self.air.prune(now_ms)
        longest_s = max(FEEDS[f].expected_interval_s for f in ("sensor", "camera"))
        self.latest.prune(now_ms - int(FRESH_INTERVALS * longest_s * 1000))
        self.visitors.prune(now_ms - VISITORS_LOOKBACK_MS)
        self.received.prune(now_ms - COUNTS_LOOKBACK_MS)
        return self.servicedesk.prune(now_ms)

    def history_queries(self) -> list[HistoryQuery]:
        """The storage reads that rebuild this state for an evaluation at `now` (any order)."""
        recent = frozenset({"latest", "received"})
        return [
            HistoryQuery("servicedesk", frozenset({"servicedesk"}), self.servicedesk.horizon_ms),
            HistoryQuery("sensor", frozenset({"air"}), AIR_LOOKBACK_MS),
            HistoryQuery("sensor", recent, COUNTS_LOOKBACK_MS),
            HistoryQuery("camera", recent, COUNTS_LOOKBACK_MS),
            HistoryQuery(
                "camera",
                frozenset({"visitors"}),
                VISITORS_LOOKBACK_MS,
                where={"site": VISITOR_SITES},
            ),
            *(
                HistoryQuery(m, frozenset({"seen"}), latest=True)
                for m in ("sensor", "camera", "servicedesk", "status")
            ),
        ]

    def to_dict(self) -> dict[str, Any]:
        return {
            "version": VERSION,
            "servicedesk": self.servicedesk.to_dict(),
            "air": self.air.to_dict(),
            "latest": self.latest.to_dict(),
            "visitors": self.visitors.to_dict(),
            "received": self.received.to_dict(),
            "seen": [s.to_dict() for _, s in sorted(self.seen.items())],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> KpiState:
        if data.get("version") != VERSION:
            raise ValueError(f"KPI state version {data.get('version')!r}, expected {VERSION}")
        state = cls()
        state.servicedesk = ServiceDeskTally.from_dict(data["servicedesk"])
        state.air = AirTally.from_dict(data["air"])
        state.latest = LatestValues.from_dict(data["latest"])
        state.visitors = BucketSums.from_dict(data["visitors"])
        state.received = BucketSums.from_dict(data["received"])
        state.seen = {s["source"]: SourceSeen.from_dict(s) for s in data["seen"]}
        return state
