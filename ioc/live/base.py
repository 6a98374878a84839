"""The live-state protocol and `LiveUpdate`, the unit a collector applies in one round trip.

What the live state holds (never the only copy — everything is rebuilt from storage):
- the latest reading per (measurement, source), newer wins;
- short rolling windows per (source, field) for sparklines;
- last-seen time and district per source;
- counters (`received:<feed>`, `stored:<feed>`, `rejected:<feed>:<reason>`…);
- a bounded stream of dead letters;
- the KPI values and alert states the KPI engine last computed, and acknowledgements queued for it;
- one heartbeat per running component (`ioc.live.heartbeat`);
- the stored-batch stream the collectors append to and the engine consumes (`ioc.live.stream`);
- the per-source facts (`sources()`: feed, district, last seen, online) and a sentinel key the
  engine sets, so it notices within a tick when the live state came back empty.

Who writes what: collectors write windows, counters, dead letters and the stored-batch stream;
the KPI engine (one per deployment) writes the latest readings, last-seen and districts (the
per-source facts, computed once, in `ioc.engine.facts`), KPI values, alert states, the sentinel.

`LiveUpdate` merges: a collector that cannot reach Redis keeps merging its updates into one
(bounded by sources × window length, and `max_stored` readings of stored batches: past that the
oldest batches are dropped and counted as a gap, for which the engine rebuilds from storage) and
applies it when Redis is back.
"""

from __future__ import annotations

from collections import Counter, deque
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from ioc.live.stream import StoredBatch, StoredRead, merge_batches
from ioc.model import Reading, Rejection

MAX_STORED_BACKLOG = 200_000


@dataclass(slots=True)
class LiveUpdate:
    window_len: int = 120
    latest: dict[tuple[str, str], Reading] = field(default_factory=dict)
    windows: dict[tuple[str, str], deque[tuple[int, float]]] = field(default_factory=dict)
    counters: Counter[str] = field(default_factory=Counter)
    deadletters: deque[Rejection] = field(default_factory=lambda: deque(maxlen=1000))
    stored: list[StoredBatch] = field(default_factory=list)
    max_stored: int = MAX_STORED_BACKLOG

    def add_readings(self, readings: Iterable[Reading]) -> None:
        """Latest values and windows (tests, tools); collectors use `add_windows`."""
        readings = list(readings)
        self.add_latest(readings)
        self.add_windows(readings)

    def add_latest(self, readings: Iterable[Reading]) -> None:
        """Latest reading per (measurement, source), last seen, district (the engine's part)."""
        for reading in readings:
            key = (reading.measurement, reading.source)
            current = self.latest.get(key)
            if current is None or reading.time_ns >= current.time_ns:
                self.latest[key] = reading

    def add_stored(self, writer: str, written_ms: int, readings: Sequence[Reading]) -> None:
        """Append a stored batch to the stored-batch stream (the collector's part)."""
        batch = StoredBatch(writer, written_ms, list(readings))
        self.stored = merge_batches(self.stored, [batch], self.max_stored)

    def add_windows(self, readings: Iterable[Reading]) -> None:
        for reading in readings:
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
        self.stored = merge_batches(self.stored, other.stored, self.max_stored)

    def __bool__(self) -> bool:
        return bool(self.latest or self.counters or self.deadletters or self.stored)


class Changes(Protocol):
    """One watcher of the live state's change notifications (the wall's push, `dashboards.push`).
    Writers of what a wall shows (latest readings, KPI values, alerts, per-source facts) notify."""

    def wait(self, timeout_s: float) -> bool:
        """Wait up to `timeout_s` for a change; True if one (or several) came since the last call.
        Raises LiveStateError when the live state cannot be watched (then call again later)."""

    def close(self) -> None:
        """Stop watching."""


class LiveState(Protocol):
    def changes(self) -> Changes:
        """A new watcher of change notifications (each has its own connection or cursor)."""

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

    def stored_group_reset(self, group: str) -> str:
        """(Re)create the consumer `group` of the stored-batch stream at its current end, with
        nothing pending; returns that end's id (`"0-0"` for an empty stream)."""

    def read_stored(
        self, group: str, consumer: str, count: int = 100, block_ms: int = 0
    ) -> StoredRead:
        """The next entries for `group` (waiting up to `block_ms` when there are none).
        `lost` is set when entries after the group's position were trimmed before it read them,
        or the group is gone (a flushed live state); the reader then resets and rebuilds. The
        one reader uses one object: it counts what its group has read since the reset."""

    def ack_stored(self, group: str, ids: Sequence[str]) -> None:
        """Mark entries of the stored-batch stream as folded."""

    def set_sources(self, sources: Sequence[Mapping[str, Any]]) -> None:
        """Replace the per-source facts (`ioc.engine.facts.SourceFacts.rows()`)."""

    def sources(self) -> list[dict[str, Any]]:
        """The per-source facts as last set, sorted by source."""

    def set_sentinel(self, token: str) -> None:
        """Set the sentinel (the engine's token): its absence means the state was lost."""

    def sentinel(self) -> str | None:
        """The sentinel, None when the live state is empty (flushed, restarted without data)."""

    def is_empty(self) -> bool:
        """True when no latest values are held (fresh or lost Redis: rebuild from storage)."""

    def ping(self) -> None:
        """Raise LiveStateError unless the live state answers."""

    def close(self) -> None:
        """Release connections."""
