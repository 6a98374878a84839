"""The pipeline: messages → readings → storage → live state → acknowledgement.

One batch at a time, in arrival order:

1. decode every message (a rejected one becomes a `Rejection`, counted by reason);
2. write all readings to storage — while it is unavailable, probing its health every
   `probe_s` and retrying as soon as it answers (nothing is acknowledged meanwhile, so nothing
   can be lost; memory stays bounded by the broker's in-flight window and the inbox's bytes);
   a batch the storage refuses as bad data is bisected until the offending
   readings are found and dead-lettered (`storage_rejected`), the rest stored;
3. dead letters are published to `ioc/deadletter/<feed>` (back-pressured by the transport; what
   it sheds is counted as `deadletter_dropped`, never silent) and kept in the live state's
   stream;
4. the live state is updated in one round trip: counters, dead letters, sparkline windows, and
   the stored readings appended to the stored-batch stream the KPI engine folds
   (`ioc.live.stream`; stamped with when the write began). If it is unreachable the update is
   merged into a bounded backlog applied when it is back (storage writes and acks go on);
5. the batch is acknowledged, in order — after the append, so a crash in between means a
   redelivery, which the engine recognises (`ioc.engine`).

This module knows neither MQTT nor InfluxDB: it is given a `Storage`, a `LiveState`, a way to
publish dead letters and a way to acknowledge.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import orjson

from collectors.decode import decode
from collectors.guard import Guard
from collectors.topics import feed_of
from ioc.errors import (
    LiveStateError,
    PayloadRejected,
    StorageError,
    StorageRejected,
    StorageUnavailable,
)
from ioc.feeds import FEEDS
from ioc.live import LiveState, LiveUpdate
from ioc.metrics import PipelineMetrics
from ioc.model import NS_PER_MS, Message, Reading, Rejection
from ioc.storage import Storage

log = logging.getLogger(__name__)

UNKNOWN_DISTRICT = "unknown"
DEADLETTER_TOPICS = {name: spec.deadletter_topic for name, spec in FEEDS.items()}
DEADLETTER_UNKNOWN = "ioc/deadletter/unknown"
DEADLETTER_DROPPED = "deadletter_dropped"  # live counter: dead letters the transport shed


class Stopping(Exception):
    """Raised inside the pipeline when asked to stop while waiting for storage."""


@dataclass
class PipelineStats:
    """Totals since start (read by `ioc collect`'s progress line, tests and the benchmark)."""

    received: int = 0
    stored_readings: int = 0
    rejected: Counter[str] = field(default_factory=Counter)
    acked: int = 0
    storage_retries: int = 0
    live_failures: int = 0
    deadletter_dropped: int = 0
    storage_probes: int = 0


class Pipeline:
    def __init__(
        self,
        storage: Storage,
        live: LiveState,
        *,
        publish: Callable[[Sequence[tuple[str, bytes]]], int],
        ack: Callable[[Sequence[Message]], int],
        window_len: int = 120,
        stop_event: threading.Event | None = None,
        max_backoff_s: float = 30.0,
        probe_s: float = 0.5,
        metrics: PipelineMetrics | None = None,
        guard: Guard | None = None,
        release: Callable[[Sequence[Message]], None] | None = None,
        writer: str = "collector",
    ) -> None:
        self.storage = storage
        self.live = live
        self._publish = publish
        self._ack = ack
        self._window_len = window_len
        self._stop = stop_event or threading.Event()
        self._max_backoff_s = max_backoff_s
        self._probe_s = probe_s
        self._guard = guard
        self._release = release
        self.writer = writer
        self._backlog = LiveUpdate(window_len=window_len)
        self._districts: dict[str, str] = {}
        self.stats = PipelineStats()
        self.metrics = metrics

    def load_districts(self) -> None:
        """Learn which district each source is in, so `status` points get their district."""
        try:
            self._districts.update(self.live.districts())
        except LiveStateError as exc:
            log.warning("live state unavailable at start (%s); districts learned as we go", exc)

    # -- one batch --------------------------------------------------------------------------

    def process(self, batch: Sequence[Message]) -> None:
        """Handle one batch end to end. Raises Stopping if asked to stop before it was stored."""
        received: Counter[str] = Counter()
        rejections: list[Rejection] = []
        readings: list[Reading] = []
        origins: list[int] = []  # index in batch of each reading, for storage rejections
        for index, message in enumerate(batch):
            feed = feed_of(message.topic)
            received[feed] += 1
            try:
                decoded = decode(message.topic, message.payload, message.received_ns)
                if self._guard is not None:
                    self._guard.check(decoded, message.received_ns)
            except PayloadRejected as exc:
                rejections.append(_rejection(feed, message, exc))
                continue
            for reading in decoded:
                readings.append(self.with_district(reading))
                origins.append(index)

        written_ms = time.time_ns() // NS_PER_MS  # before the first attempt: never too late
        stored = self._store(readings, origins, batch, rejections)
        if self._release is not None:
            # Stored or rejected (capped copies): the payloads' bytes are free for the network
            # thread again before we wait for room to publish dead letters.
            self._release(batch)
        counters: Counter[str] = Counter({f"received:{f}": n for f, n in received.items()})
        for rejection in rejections:
            counters[f"rejected:{rejection.feed}:{rejection.reason}"] += 1
        # One call for the batch's dead letters (the transport writes them at once); it returns
        # how many of them, in order, it took.
        letters = [
            (DEADLETTER_TOPICS.get(r.feed, DEADLETTER_UNKNOWN), _deadletter(r)) for r in rejections
        ]
        taken = self._publish(letters) if letters else 0
        dropped = len(letters) - taken
        published = Counter(r.feed for r in rejections[:taken])
        if dropped:
            # Shed by the transport (the broker did not take them in time): never silently.
            counters[DEADLETTER_DROPPED] += dropped
            self.stats.deadletter_dropped += dropped
            log.warning(
                "%d dead letters not published (counted as %s)", dropped, DEADLETTER_DROPPED
            )
        for measurement, n in Counter(r.measurement for r in stored).items():
            counters[f"stored:{measurement}"] += n

        update = LiveUpdate(window_len=self._window_len)
        update.add_windows(stored)
        if stored:
            update.add_stored(self.writer, written_ms, stored)
        update.count(counters)
        update.add_deadletters(rejections)
        self._apply_live(update)

        self.stats.acked += self._ack(batch)
        if self.metrics is not None:
            oldest_ns = min(m.received_ns for m in batch)
            self.metrics.batch(
                received,
                [(r.feed, r.reason) for r in rejections],
                Counter(r.measurement for r in stored),
                (time.time_ns() - oldest_ns) / 1e9,
                deadletters=published,
                deadletters_dropped=dropped,
            )
        self.stats.received += len(batch)
        self.stats.stored_readings += len(stored)
        self.stats.rejected.update(r.reason for r in rejections)

    def flush_live_backlog(self) -> None:
        """Try the live-state backlog again (called when idle)."""
        if self._backlog:
            self._apply_live(LiveUpdate(window_len=self._window_len))

    # -- steps ------------------------------------------------------------------------------

    def with_district(self, reading: Reading) -> Reading:
        """The reading with its district: `status` points get the one their source was seen in."""
        district = reading.tags.get("district")
        if district:
            self._districts[reading.source] = district
            return reading
        tags = dict(reading.tags)
        tags["district"] = self._districts.get(reading.source, UNKNOWN_DISTRICT)
        return Reading(reading.measurement, reading.time_ns, tags, reading.fields)

    def _store(
        self,
        readings: list[Reading],
        origins: list[int],
        batch: Sequence[Message],
        rejections: list[Rejection],
    ) -> list[Reading]:
        """Write readings; returns those stored. Bad ones are moved to `rejections`."""
        if not readings:
            return []
        try:
            self._write_retrying(readings)
            return readings
        except StorageRejected as exc:
            if len(readings) == 1:
                message = batch[origins[0]]
                feed = feed_of(message.topic)
                rejections.append(
                    _rejection(feed, message, PayloadRejected("storage_rejected", str(exc)))
                )
                return []
        middle = len(readings) // 2
        return self._store(readings[:middle], origins[:middle], batch, rejections) + self._store(
            readings[middle:], origins[middle:], batch, rejections
        )

    def _write_retrying(self, readings: list[Reading]) -> None:
        """Write until it succeeds. While storage does not answer at all, a cheap health probe
        (`ping`) asks every `probe_s` and the write is retried the moment it answers — so a
        backlog starts draining within `probe_s` of storage coming back, however long it was
        down. Only writes that fail while storage answers back off, up to `max_backoff_s`."""
        delay = 0.2
        retries = 0
        while True:
            try:
                started = time.perf_counter()
                self.storage.write(readings)
                if self.metrics is not None:
                    self.metrics.write_seconds.observe(time.perf_counter() - started)
                if retries:
                    log.info("storage available again after %d retries", retries)
                return
            except StorageUnavailable as exc:
                self.stats.storage_retries += 1
                retries += 1
                if self.metrics is not None:
                    self.metrics.storage_retries.inc()
                if self._answers():
                    log.log(
                        logging.WARNING if retries == 1 else logging.DEBUG,
                        "storage write failed (%s); retrying in %.1f s, nothing acknowledged",
                        exc,
                        delay,
                    )
                    if self._stop.wait(delay):
                        raise Stopping from None
                    delay = min(delay * 2, self._max_backoff_s)
                else:
                    log.log(
                        logging.WARNING if retries == 1 else logging.DEBUG,
                        "storage unavailable (%s); probing every %.1f s, nothing acknowledged",
                        exc,
                        self._probe_s,
                    )
                    self._wait_until_storage_answers()
                    delay = 0.2

    def _answers(self) -> bool:
        self.stats.storage_probes += 1
        try:
            self.storage.ping()
        except StorageError:
            return False
        return True

    def _wait_until_storage_answers(self) -> None:
        while not self._answers():
            if self._stop.wait(self._probe_s):
                raise Stopping from None

    def _apply_live(self, update: LiveUpdate) -> None:
        if self._backlog:
            self._backlog.merge(update)
            update = self._backlog
        try:
            self.live.apply(update)
        except LiveStateError as exc:
            if not self._backlog:
                log.warning("live state unavailable (%s); keeping a backlog", exc)
            self.stats.live_failures += 1
            if self.metrics is not None:
                self.metrics.live_failures.inc()
            self._backlog = update
            return
        if update is self._backlog:
            log.info("live state back; backlog applied")
            self._backlog = LiveUpdate(window_len=self._window_len)


def _rejection(feed: str, message: Message, exc: PayloadRejected) -> Rejection:
    return Rejection.of(
        feed, message.topic, exc.reason, exc.detail, message.payload, message.received_ns
    )


def _deadletter(rejection: Rejection) -> bytes:
    return orjson.dumps(
        {
            "feed": rejection.feed,
            "topic": rejection.topic,
            "reason": rejection.reason,
            "detail": rejection.detail,
            "received_ms": rejection.received_ns // NS_PER_MS,
            "payload": rejection.payload.decode("utf-8", errors="replace"),
        }
    )
