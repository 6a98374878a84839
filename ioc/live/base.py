"""The live-state protocol and `LiveUpdate`, the unit a collector applies in one round trip.

What the live state holds (never the only copy — everything is rebuilt from storage):
- the latest reading per (measurement, source), newer wins;
- short rolling windows per (source, field) for sparklines;
- last-seen time and district per source;
- counters (`received:<feed>`, `stored:<feed>`, `rejected:<feed>:<reason>`…);
- a bounded stream of dead letters;
- the KPI values and alert states the KPI engine last computed, and acknowledgements queued for it;
- one heartbeat per running component (`ioc.live.heartbeat`).

`LiveUpdate` merges: a collector that cannot reach Redis keeps merging its updates into one
(bounded by sources × window length) and applies it when Redis is back.
"""

from __future__ import annotations

from collections import Counter, deque
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from ioc.model import Reading, Rejection


@dataclass(slots=True)
class LiveUpdate:
    window_len: int = 120
    latest: dict[tuple[str, str], Reading] = field(default_factory=dict)
    windows: dict[tuple[str, str], deque[tuple[int, float]]] = field(default_factory=dict)
    counters: Counter[str] = field(default_factory=Counter)
    deadletters: deque[Rejection] = field(default_factory=lambda: deque(maxlen=1000))

    def add_readings(self, readings: Iterable[Reading]) -> None:
        for reading in readings:
            key = (reading.measurement, reading.source)
            current = self.latest.get(key)
            if current is None or reading.time_ns >= current.time_ns:
                self.latest[key] = reading
            time_ms = reading.time_ms
            for name, value in reading.fields.items():
                if isinstance(value, float | int) and not isinstance(value, bool):
                    window = self.windows.get((reading.source, name))
                    if window is None:
                        window = self.windows[(reading.source, name)] = deque(
                            maxlen=self.window_len
                        )
                    window.append((time_ms, float(value)))

    def count(self, counters: Mapping[str, int]) -> None:
        self.counters.update(counters)

    def add_deadletters(self, rejections: Iterable[Rejection]) -> None:
        self.deadletters.extend(rejections)

    def merge(self, other: LiveUpdate) -> None:
        """Fold a newer update into this one (used while the live state is unreachable)."""
        for key, reading in other.latest.items():
            current = self.latest.get(key)
            if current is None or reading.time_ns >= current.time_ns:
                self.latest[key] = reading
        for key, points in other.windows.items():
            window = self.windows.setdefault(key, deque(maxlen=self.window_len))
            window.extend(points)
        self.counters.update(other.counters)
        self.deadletters.extend(other.deadletters)

    def __bool__(self) -> bool:
        return bool(self.latest or self.counters or self.deadletters)


class LiveState(Protocol):
    def apply(self, update: LiveUpdate) -> None:
        """Apply an update atomically enough for a wall screen. Raises LiveStateError."""

    def latest(self, measurement: str) -> dict[str, Reading]:
        """Latest reading per source of one measurement."""

    def window(self, source: str, field: str) -> list[tuple[int, float]]:
        """(epoch ms, value) pairs, oldest first."""

    def last_seen(self) -> dict[str, int]:
        """Epoch ms of the newest reading per source."""

    def districts(self) -> dict[str, str]:
        """District of every source seen with one."""

    def counters(self) -> dict[str, int]:
        """All counters."""

    def deadletters(self, count: int = 100) -> list[dict[str, Any]]:
        """The newest dead letters, newest first."""

    def set_kpis(self, values: Sequence[Mapping[str, Any]], ts_ms: int) -> None:
        """Replace the current KPI values (`KpiValue.to_dict()` items), evaluated at ts_ms."""

    def kpis(self) -> tuple[int, list[dict[str, Any]]]:
        """(ts_ms of the evaluation, KPI values); (0, []) before the first evaluation."""

    def set_alerts(self, alerts: Sequence[Mapping[str, Any]]) -> None:
        """Replace the alert states (pending, active, acknowledged, recently cleared)."""

    def alerts(self) -> list[dict[str, Any]]:
        """The alert states as last set."""

    def request_ack(self, alert_id: str, by: str, comment: str, at_ms: int) -> None:
        """Queue an acknowledgement for the KPI engine (CLI, dashboard) to apply."""

    def take_ack_requests(self) -> list[dict[str, Any]]:
        """Remove and return queued acknowledgements (`alert_id`, `by`, `comment`, `at_ms`)."""

    def set_heartbeat(
        self, component: str, now_ms: int, info: Mapping[str, Any] | None = None
    ) -> None:
        """Record that `component` was alive at `now_ms` (replaces its previous beat)."""

    def heartbeats(self) -> dict[str, dict[str, Any]]:
        """component -> {"ts": ms, **info} of every component's latest beat."""

    def is_empty(self) -> bool:
        """True when no latest values are held (fresh or lost Redis: rebuild from storage)."""

    def ping(self) -> None:
        """Raise LiveStateError unless the live state answers."""

    def close(self) -> None:
        """Release connections."""
