"""Per-source facts, computed once: latest reading, last seen, district, online state.

The engine folds every stored reading; `SourceFacts` keeps the newest reading per (measurement,
source) and, with the KPI state's `SourceSeen` records (last reading, last status, district —
`ioc.kpis.health`, which also holds the one offline rule), makes the rows the live state
publishes (`LiveState.set_sources`) and the latest readings it holds (`LiveState.latest`,
`last_seen`, `districts`). Nothing else computes them: collectors only collect, the wall reads
these rows.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from ioc.feeds import FEEDS
from ioc.kpis.health import SourceSeen
from ioc.live.base import LiveUpdate
from ioc.model import Reading

DATA_MEASUREMENTS = tuple(s.measurement for s in FEEDS.values() if s.name != "status")


class SourceFacts:
    def __init__(self) -> None:
        self.newest: dict[tuple[str, str], Reading] = {}
        self._changed: set[tuple[str, str]] = set()

    def add(self, readings: Iterable[Reading]) -> None:
        for reading in readings:
            key = (reading.measurement, reading.tags.get("source", ""))
            held = self.newest.get(key)
            if held is None or reading.time_ns >= held.time_ns:
                self.newest[key] = reading
                self._changed.add(key)

    def reset(self, readings: Iterable[Reading]) -> None:
        self.newest = {}
        self.add(readings)
        self._changed = set(self.newest)

    def changes(self, everything: bool = False) -> LiveUpdate:
        """The latest readings to publish: those changed since the last call (or all)."""
        keys = set(self.newest) if everything else self._changed
        update = LiveUpdate()
        update.add_latest(self.newest[key] for key in keys)
        self._changed = set()
        return update

    def rows(self, seen: Mapping[str, SourceSeen], now_ms: int) -> list[dict[str, Any]]:
        """One row per source heard on a data feed: feed, district, kind/site, last reading
        time, online and why not (ioc.kpis.health's rule), sorted by source."""
        rows = []
        for source, record in sorted(seen.items()):
            if record.feed is None or record.last_seen_ms is None:
                continue
            reading = self.newest.get((record.feed, source))
            tags = reading.tags if reading is not None else {}
            reason = record.offline_reason(now_ms)
            rows.append(
                {
                    "source": source,
                    "feed": record.feed,
                    "district": record.district or tags.get("district", ""),
                    "kind": tags.get("kind"),
                    "site": tags.get("site"),
                    "last_ms": record.last_seen_ms,
                    "heard_ms": record.heard_ms,
                    "status": record.status,
                    "online": reason is None,
                    "offline_reason": reason,
                }
            )
        return rows
