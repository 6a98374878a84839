"""`Engine`: the KPI engine as a service of its own (`ioc engine`; in process for `ioc demo`).

One loop, one thread, no locks:

    rebuild ─▶ read the stored-batch stream ─▶ fold (through the FoldFilter) ─▶ ack ─▶ latest
                  ▲                                                            │
                  └──── every IOC_KPI_INTERVAL_MS: tick (acks, KPIs, alert rules, audit trail),
                        publish the per-source facts, the heartbeat; check the sentinel ◀─┘

It rebuilds from storage at start, and again whenever the stream cannot vouch for what storage
holds: the stream or its group is gone (a flushed Redis), entries were trimmed before it read
them, a collector reports a gap, an entry older than the last rebuild comes after the filter
forgot that rebuild, or the sentinel has vanished (Redis came back empty). After a rebuild that
found the live state empty it republishes every latest reading, so the wall has its values back
at once, without waiting for new messages.

The history rollups (the runner's tick) wait while stored batches keep coming — a catch-up is
folded first — for at most `ROLLUP_DEFER_MAX_MS`.
"""

from __future__ import annotations

import logging
import os
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass

from ioc.alerts.engine import states_from_dict
from ioc.engine.dedupe import FoldFilter
from ioc.engine.facts import SourceFacts
from ioc.engine.rebuild import rebuild_from_storage
from ioc.engine.runner import KpiRunner, runner_from_settings, wall_clock_ms
from ioc.errors import LiveStateError, StorageError
from ioc.kpis.state import PARTS
from ioc.live import LiveState
from ioc.live.heartbeat import ENGINE, HEARTBEAT_EVERY_MS
from ioc.live.stream import STREAM_GROUP, StoredEntry
from ioc.settings import Settings
from ioc.storage import Storage

log = logging.getLogger(__name__)

READ_COUNT = 50  # entries per read (≤ 50,000 readings)
READ_BLOCK_MS = 200
RETRY_MS = 2000
SKEW_MS = 5000  # allowed clock difference between a collector and the engine
# While stored batches keep coming (a catch-up), the history rollups wait — their storage
# queries would hold up the fold — but never longer than this.
ROLLUP_DEFER_MAX_MS = 60_000


@dataclass
class EngineStats:
    entries: int = 0
    folded: int = 0  # readings folded from the stream
    repeated: int = 0  # readings the filter dropped (already folded)
    rebuilds: int = 0
    rebuilt_rows: int = 0
    rebuilt_ms: int = 0
    last_rebuild_reason: str = ""


class Engine:
    def __init__(
        self,
        settings: Settings,
        storage: Storage,
        live: LiveState,
        runner: KpiRunner | None = None,
        clock: Callable[[], int] = wall_clock_ms,
    ) -> None:
        self.settings = settings
        self.storage = storage
        self.live = live
        self.runner = runner or runner_from_settings(settings, live, storage)
        self.clock = clock
        self.token = f"{ENGINE}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.filter = FoldFilter(PARTS, settings.engine_dedupe_s * 1000)
        self.facts = SourceFacts()
        self.stats = EngineStats()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._rebuild_due: str | None = "start"
        self._republish = False
        self._alerts_loaded = False
        self._next_tick = 0.0
        self._next_beat = 0.0
        self._rebuilt = threading.Event()
        self._folded_since_tick = False

    # -- lifecycle ---------------------------------------------------------------------------

    def run(self) -> None:
        """Until `stop()`."""
        period_s = self.settings.kpi_interval_ms / 1000
        while not self._stop.is_set():
            if not self.step():
                self._beat()
                self._stop.wait(RETRY_MS / 1000)
                continue
            if time.monotonic() >= self._next_tick:
                self.tick()
                self._next_tick = time.monotonic() + period_s
            self._beat()

    def start(self) -> Engine:
        self._thread = threading.Thread(target=self.run, name="ioc-engine", daemon=True)
        self._thread.start()
        return self

    def wait_rebuilt(self, timeout: float) -> bool:
        return self._rebuilt.wait(timeout)

    def stop(self, timeout: float = 30.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)

    # -- steps -------------------------------------------------------------------------------

    def _try_rebuild(self, reason: str) -> bool:
        try:
            self.rebuild(reason)
        except (StorageError, LiveStateError) as exc:
            log.warning("rebuild (%s) failed, retrying: %s", reason, exc)
            return False
        return True

    def rebuild(self, reason: str) -> None:
        """Cut the stream, read storage, replace the state. Raises StorageError/LiveStateError."""
        started = time.monotonic()
        empty = self.live.sentinel() is None
        self.live.stored_group_reset(STREAM_GROUP)  # the cut: everything after it is read
        now_ms = self.clock()
        rebuilt = rebuild_from_storage(self.storage, now_ms)
        self.runner.state = rebuilt.state
        self.filter.reset(rebuilt.segments)
        self.facts.reset(rebuilt.latest)
        if not self._alerts_loaded:
            self.runner.alerts = states_from_dict(self.live.alerts())
            self._alerts_loaded = True
        self._republish = True
        self.live.set_sentinel(self.token)
        self.stats.rebuilds += 1
        self.stats.rebuilt_rows = rebuilt.rows
        self.stats.rebuilt_ms = now_ms
        self.stats.last_rebuild_reason = reason
        self._rebuild_due = None
        self._next_tick = 0.0  # evaluate and publish at once
        log.info(
            "rebuilt from storage (%s%s): %d rows in %.1f s",
            reason,
            ", live state was empty" if empty else "",
            rebuilt.rows,
            time.monotonic() - started,
        )
        self._rebuilt.set()

    def step(self) -> bool:
        """Rebuild if due, else read what the stream has (waiting at most until the next tick)
        and fold it. False when a due rebuild failed (storage or live state down)."""
        if self._rebuild_due is not None:
            return self._try_rebuild(self._rebuild_due)
        wait_ms = max(0, min(READ_BLOCK_MS, int((self._next_tick - time.monotonic()) * 1000)))
        try:
            read = self.live.read_stored(STREAM_GROUP, ENGINE, READ_COUNT, block_ms=wait_ms)
        except LiveStateError as exc:
            log.debug("stored-batch stream unavailable: %s", exc)
            self._stop.wait(min(wait_ms, READ_BLOCK_MS) / 1000 or 0.05)
            return True
        if read.lost:
            self._rebuild_due = read.why
            return True
        for entry in read.entries:
            reason = self._distrust(entry)
            if reason:
                self._rebuild_due = reason
                return True
            self.fold(entry)
            self._folded_since_tick = True
        if read.entries:
            try:
                self.live.ack_stored(STREAM_GROUP, [e.id for e in read.entries])
            except LiveStateError as exc:
                log.debug("ack of stored batches failed (harmless): %s", exc)
            self._publish_latest()
        return True

    def _publish_latest(self) -> None:
        """The newest readings just folded, to the live state at once rather than at the next
        tick: the wall is pushed on that write (`dashboards.push`); KPIs follow at the tick.
        While everything is to be republished (after a rebuild or a failed write) the tick does
        it; a write that fails leaves it to the tick too."""
        if self._republish:
            return
        update = self.facts.changes()
        if not update:
            return
        try:
            self.live.apply(update)
        except LiveStateError as exc:
            self._republish = True
            log.debug("live state unavailable for the latest readings: %s", exc)

    def _distrust(self, entry: StoredEntry) -> str:
        """Why this entry means the stream no longer covers storage ("" when it does)."""
        if entry.gap:
            return f"{entry.writer} could not append {entry.gap} stored readings"
        stale = entry.written_ms <= self.stats.rebuilt_ms + SKEW_MS
        if stale and not self.filter.covers_rebuild and entry.readings:
            return f"{entry.writer} appended a batch stored before the last rebuild"
        return ""

    def fold(self, entry: StoredEntry) -> None:
        if self.runner.rollups is not None:
            self.runner.rollups.note(entry.readings)  # late points: their buckets re-rolled
        groups, repeated = self.filter.split(entry.readings, self.clock())
        for parts, readings in groups:
            self.runner.state.add(readings, parts)
            self.facts.add(readings)
            self.stats.folded += len(readings)
        self.stats.repeated += repeated
        self.stats.entries += 1

    def tick(self) -> None:
        """Evaluate, publish the facts; notice a live state that came back empty."""
        now_ms = self.clock()
        last = self.runner.rolled_up_ms
        overdue = last is None or now_ms - last >= ROLLUP_DEFER_MAX_MS
        self.runner.tick(now_ms, roll_up=not self._folded_since_tick or overdue)
        self._folded_since_tick = False
        try:
            if self.live.sentinel() != self.token:
                self._rebuild_due = "the live state lost its sentinel (flushed or restarted)"
                return
            self.live.apply(self.facts.changes(everything=self._republish))
            self._republish = False
            self.live.set_sources(self.facts.rows(self.runner.state.seen, now_ms))
        except LiveStateError as exc:
            self._republish = True
            log.debug("live state unavailable for the facts: %s", exc)

    def _beat(self) -> None:
        now = time.monotonic()
        if now < self._next_beat:
            return
        self._next_beat = now + HEARTBEAT_EVERY_MS / 1000
        s = self.stats
        info = {
            "entries": s.entries,
            "folded": s.folded,
            "repeated": s.repeated,
            "rebuilds": s.rebuilds,
            "rebuilt_ms": s.rebuilt_ms,
            "rebuilding": self._rebuild_due is not None,
            "remembered": self.filter.size(),
        }
        try:
            self.live.set_heartbeat(ENGINE, self.clock(), info)
        except LiveStateError as exc:
            log.debug("heartbeat not published: %s", exc)
