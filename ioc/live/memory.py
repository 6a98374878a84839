"""In-process live state: `RedisLiveState`'s semantics in one object, for the embedded demo.

It holds what Redis holds (see `ioc.live.redis` for the key map) and answers the same way:
- latest per (measurement, source): a reading replaces the held one unless older, compared in
  epoch milliseconds (the same tie rule as the Redis script: equal ms, the later apply wins);
- last-seen per source only moves forward; the district is the last non-empty one applied;
- windows keep the newest `window_len` (ms, float) points in arrival order, oldest first;
- counters add up; dead letters are newest first, each with a Redis-like id `<ms>-<seq>`, the
  payload cut to `DEADLETTER_PAYLOAD_MAX` bytes and decoded like Redis' answer, at most
  `deadletter_maxlen` kept (exactly: Redis trims approximately, so it may keep somewhat more);
- KPI values, alert states and queued acknowledgements go through JSON as they do in Redis, so a
  caller gets copies with JSON's types (tuples come back as lists).

- the stored-batch stream keeps exactly `stored_maxlen` entries (Redis: about that many) and
  hands the same `StoredEntry` objects to the one group reading it; heartbeats, the per-source
  facts and the sentinel behave as in Redis;
- `changes()`: a watcher woken by every write of latest readings, KPI values, alerts and
  per-source facts (Redis: a PUBLISH on `ioc:changed`).

Everything sits behind one lock; nothing lives at module level, so two instances never share.
The state goes with the process: `is_empty()` then tells the caller to rebuild from storage.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Mapping, Sequence
from itertools import islice
from typing import Any

import orjson

from ioc.live.base import LiveUpdate
from ioc.live.stream import NO_ID, StoredEntry, StoredRead, id_key
from ioc.model import DEADLETTER_PAYLOAD_MAX, NS_PER_MS, Reading, Rejection


class MemoryLiveState:
    def __init__(
        self, window_len: int = 120, deadletter_maxlen: int = 10_000, stored_maxlen: int = 2_000
    ):
        self.window_len = window_len
        self.deadletter_maxlen = deadletter_maxlen
        self.stored_maxlen = stored_maxlen
        self._lock = threading.Lock()
        self._appended = threading.Condition(self._lock)
        self._stored: deque[StoredEntry] = deque()
        self._stored_last = (0, 0)
        self._stored_deleted = (0, 0)
        self._groups: dict[str, tuple[int, int]] = {}
        self._sources = b""
        self._sentinel: str | None = None
        self._latest: dict[str, dict[str, tuple[int, bytes]]] = {}
        self._seen: dict[str, int] = {}
        self._districts: dict[str, str] = {}
        self._windows: dict[tuple[str, str], deque[tuple[int, float]]] = {}
        self._counters: dict[str, int] = {}
        self._deadletters: deque[dict[str, Any]] = deque(maxlen=deadletter_maxlen)
        self._last_id = (0, 0)
        self._kpis = b""
        self._alerts = b""
        self._acks: list[bytes] = []
        self._heartbeats: dict[str, bytes] = {}
        self._version = 0  # bumped by every write a wall shows (`changes()`)
        self._changed = threading.Condition(self._lock)

    def changes(self) -> MemoryChanges:
        return MemoryChanges(self)

    def _bump(self) -> None:
        """Under the lock: a change a wall shows."""
        self._version += 1
        self._changed.notify_all()

    def apply(self, update: LiveUpdate) -> None:
        encoded = [
            (measurement, source, reading.time_ns // NS_PER_MS, orjson.dumps(reading.to_dict()))
            for (measurement, source), reading in update.latest.items()
        ]
        districts = [r.tags.get("district", "") for r in update.latest.values()]
        letters = [_letter(rejection) for rejection in update.deadletters]
        with self._lock:
            for (measurement, source, ms, data), district in zip(encoded, districts, strict=True):
                held = self._latest.setdefault(measurement, {})
                if source not in held or held[source][0] <= ms:
                    held[source] = (ms, data)
                if self._seen.get(source, ms - 1) < ms:
                    self._seen[source] = ms
                if district:
                    self._districts[source] = district
            for key, points in update.windows.items():
                window = self._windows.get(key)
                if window is None:
                    window = self._windows[key] = deque(maxlen=self.window_len)
                window.extend((int(ms), float(value)) for ms, value in points)
            for name, amount in update.counters.items():
                self._counters[name] = self._counters.get(name, 0) + amount
            for letter in letters:
                letter["id"] = self._next_id()
                self._deadletters.append(letter)
            for batch in update.stored:
                readings = batch.readings
                chunks = [readings[i : i + 1000] for i in range(0, len(readings), 1000)] or [[]]
                for number, chunk in enumerate(chunks):
                    self._stored_last = _after(self._stored_last)
                    entry_id = f"{self._stored_last[0]}-{self._stored_last[1]}"
                    gap = batch.gap if number == 0 else 0
                    entry = StoredEntry(entry_id, batch.writer, batch.written_ms, tuple(chunk), gap)
                    self._stored.append(entry)
                while len(self._stored) > self.stored_maxlen:
                    self._stored_deleted = id_key(self._stored.popleft().id)
            if update.stored:
                self._appended.notify_all()
            if update.latest:
                self._bump()

    def latest(self, measurement: str) -> dict[str, Reading]:
        with self._lock:
            held = dict(self._latest.get(measurement, {}))
        return {source: Reading.from_dict(orjson.loads(data)) for source, (_, data) in held.items()}

    def window(self, source: str, field: str) -> list[tuple[int, float]]:
        with self._lock:
            return list(self._windows.get((source, field), ()))

    def last_seen(self) -> dict[str, int]:
        with self._lock:
            return dict(self._seen)

    def districts(self) -> dict[str, str]:
        with self._lock:
            return dict(self._districts)

    def counters(self) -> dict[str, int]:
        with self._lock:
            return dict(self._counters)

    def deadletters(self, count: int = 100) -> list[dict[str, Any]]:
        with self._lock:
            newest = islice(reversed(self._deadletters), max(count, 0))
            return [dict(letter) for letter in newest]

    def set_kpis(self, values: Sequence[Mapping[str, Any]], ts_ms: int) -> None:
        data = orjson.dumps({"ts": ts_ms, "values": values})
        with self._lock:
            self._kpis = data
            self._bump()

    def kpis(self) -> tuple[int, list[dict[str, Any]]]:
        with self._lock:
            raw = self._kpis
        if not raw:
            return 0, []
        data = orjson.loads(raw)
        return int(data["ts"]), list(data["values"])

    def set_alerts(self, alerts: Sequence[Mapping[str, Any]]) -> None:
        data = orjson.dumps(list(alerts))
        with self._lock:
            self._alerts = data
            self._bump()

    def alerts(self) -> list[dict[str, Any]]:
        with self._lock:
            raw = self._alerts
        return list(orjson.loads(raw)) if raw else []

    def request_ack(self, alert_id: str, by: str, comment: str, at_ms: int) -> None:
        request = {"alert_id": alert_id, "by": by, "comment": comment, "at_ms": at_ms}
        data = orjson.dumps(request)
        with self._lock:
            self._acks.append(data)

    def take_ack_requests(self) -> list[dict[str, Any]]:
        with self._lock:
            taken, self._acks = self._acks, []
        return [orjson.loads(item) for item in taken]

    def set_heartbeat(
        self, component: str, now_ms: int, info: Mapping[str, Any] | None = None
    ) -> None:
        beat = orjson.dumps({**(info or {}), "ts": now_ms})
        with self._lock:
            self._heartbeats[component] = beat

    def heartbeats(self) -> dict[str, dict[str, Any]]:
        with self._lock:
            beats = dict(self._heartbeats)
        return {component: orjson.loads(beat) for component, beat in beats.items()}

    def stored_group_reset(self, group: str) -> str:
        with self._lock:
            self._groups[group] = self._stored_last
            ms, seq = self._stored_last
        return f"{ms}-{seq}" if (ms, seq) != (0, 0) else NO_ID

    def read_stored(
        self, group: str, consumer: str, count: int = 100, block_ms: int = 0
    ) -> StoredRead:
        with self._lock:
            if group not in self._groups:
                return StoredRead(lost=True, why="the stored-batch group is gone")
            if self._groups[group] >= self._stored_last and block_ms > 0:
                self._appended.wait(block_ms / 1000)
            position = self._groups[group]
            lost = self._stored_deleted > position  # trimmed before this group read it
            entries = [e for e in self._stored if id_key(e.id) > position][: max(count, 1)]
            if entries:
                self._groups[group] = id_key(entries[-1].id)
        why = "entries trimmed before they were read" if lost else ""
        return StoredRead(entries, lost=lost, why=why)

    def ack_stored(self, group: str, ids: Sequence[str]) -> None:
        """Nothing to keep: the one reader's position moves as it reads."""

    def set_sources(self, sources: Sequence[Mapping[str, Any]]) -> None:
        data = orjson.dumps(list(sources))
        with self._lock:
            self._sources = data
            self._bump()

    def sources(self) -> list[dict[str, Any]]:
        with self._lock:
            raw = self._sources
        return list(orjson.loads(raw)) if raw else []

    def set_sentinel(self, token: str) -> None:
        with self._lock:
            self._sentinel = token

    def sentinel(self) -> str | None:
        with self._lock:
            return self._sentinel

    def is_empty(self) -> bool:
        with self._lock:
            return not self._seen

    def ping(self) -> None:
        """Always answers: the state is in this process."""

    def close(self) -> None:
        """Nothing to release; the state stays readable until the object is dropped."""

    def _next_id(self) -> str:
        """A stream id like Redis' XADD *: wall-clock ms, a sequence within the ms, increasing."""
        ms, seq = time.time_ns() // NS_PER_MS, 0
        last_ms, last_seq = self._last_id
        if ms <= last_ms:
            ms, seq = last_ms, last_seq + 1
        self._last_id = (ms, seq)
        return f"{ms}-{seq}"


class MemoryChanges:
    """A watcher of one `MemoryLiveState`'s writes (it remembers the version it last saw)."""

    def __init__(self, state: MemoryLiveState) -> None:
        self._state = state
        with state._lock:
            self._seen = state._version

    def wait(self, timeout_s: float) -> bool:
        state = self._state
        with state._changed:
            if state._version == self._seen and timeout_s > 0:
                state._changed.wait(timeout_s)
            changed = state._version != self._seen
            self._seen = state._version
        return changed

    def close(self) -> None:
        """Nothing to release."""


def _after(last: tuple[int, int]) -> tuple[int, int]:
    """The next stream id after `last`, from the wall clock (as XADD * does)."""
    ms = time.time_ns() // NS_PER_MS
    return (ms, 0) if ms > last[0] else (last[0], last[1] + 1)


def _letter(rejection: Rejection) -> dict[str, Any]:
    """The dead letter as RedisLiveState.deadletters() returns it (without its id)."""
    return {
        "feed": rejection.feed,
        "topic": rejection.topic,
        "reason": rejection.reason,
        "detail": rejection.detail,
        "payload": rejection.payload[:DEADLETTER_PAYLOAD_MAX].decode(errors="replace"),
        "received_ms": rejection.received_ns // NS_PER_MS,
    }
