"""`KpiRunner`: keeps the KPI state fed as readings are stored, and about once a second
evaluates every KPI and alert rule and publishes the result to the live state.

- `add(readings)` — called by the collector pipeline with each batch it has stored;
- `tick(now_ms)` — applies acknowledgements queued in the live state (CLI, dashboard),
  keeps the history rollups current (`ioc.storage.rollups`, when given a keeper; at most every
  `ROLLUP_EVERY_MS`), computes the KPI values, steps the alert state machine, gives each value
  its status from the alert states (`ioc.alerts.status`: the rules are the one threshold
  definition), writes alert transitions to storage (the audit trail; kept and retried while
  storage is down) and sets KPI values and alert states in the live state (skipped while it is
  down: the next tick catches up);
- `rebuild(now_ms)` — at start, folds the history path (storage reads listed by
  `KpiState.history_queries`) so a restarted collector or a lost Redis loses no KPI, and takes
  the alert states back from the live state when it still has them.

All of it runs on the pipeline's thread: no locks.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import replace

from prometheus_client import CollectorRegistry

from ioc.alerts.engine import (
    AlertState,
    AlertTransition,
    ack,
    evaluate,
    prune_cleared,
    states_from_dict,
    states_to_dict,
)
from ioc.alerts.rules import RULES, AlertRule, load_rules
from ioc.alerts.status import rate
from ioc.errors import IocError, LiveStateError, StorageError, StorageRejected
from ioc.kpis.city import GaugeAlarmLevels
from ioc.kpis.spec import DAY_MS, KpiValue
from ioc.kpis.state import KpiState
from ioc.live import LiveState
from ioc.metrics import EngineMetrics, NotifyMetrics
from ioc.model import NS_PER_MS, Reading
from ioc.notify import Notifier, notifier_from_settings
from ioc.settings import Settings
from ioc.sources import gauge_levels, load_sources, names
from ioc.storage import Storage
from ioc.storage.base import TimeRange
from ioc.storage.rollups import RollupKeeper

log = logging.getLogger(__name__)

CLEARED_KEPT_MS = 6 * 3600 * 1000  # cleared alerts stay on the wall screen this long
PRUNE_EVERY_MS = 60_000
REBUILD_LIMIT = 2_000_000
# The history rollups are brought up to date at most this often: late buckets noted meanwhile
# are re-rolled together (a backlog of old readings costs one re-roll, not one per tick), and
# the fold of a catch-up is not held up by storage queries every second.
ROLLUP_EVERY_MS = 10_000


def wall_clock_ms() -> int:
    return time.time_ns() // NS_PER_MS


class KpiRunner:
    def __init__(
        self,
        live: LiveState,
        storage: Storage,
        *,
        gauges: Mapping[str, GaugeAlarmLevels],
        rules: Iterable[AlertRule],
        clock: Callable[[], int] = wall_clock_ms,
        names: Mapping[str, str] | None = None,
        notifier: Notifier | None = None,
        metrics: EngineMetrics | None = None,
        rollups: RollupKeeper | None = None,
    ) -> None:
        self.live = live
        self.storage = storage
        self.gauges = dict(gauges)
        self.rules = list(rules)
        self.clock = clock
        self.names = dict(names or {})
        self.notifier = notifier
        self.metrics = metrics
        self.rollups = rollups
        self.state = KpiState()
        self.alerts: dict[str, AlertState] = {}
        self.values: list[KpiValue] = []
        self._unwritten: list[Reading] = []
        self._last_prune_ms = 0
        self.rolled_up_ms: int | None = None  # when the rollups were last brought up to date

    def add(self, readings: Iterable[Reading]) -> None:
        if self.rollups is not None:
            readings = list(readings)
            self.rollups.note(readings)
        self.state.add(readings)

    def rebuild(self, now_ms: int | None = None) -> None:
        now_ms = self.clock() if now_ms is None else now_ms
        state = KpiState()
        for query in state.history_queries():
            try:
                if query.latest:
                    frame = self.storage.latest(query.measurement)
                else:
                    span = TimeRange(
                        (now_ms - query.lookback_ms) * NS_PER_MS, (now_ms + DAY_MS) * NS_PER_MS
                    )
                    where = dict(query.where) if query.where else None
                    frame = self.storage.records(
                        query.measurement, span, where=where, limit=REBUILD_LIMIT
                    )
            except StorageError as exc:
                log.warning("KPI history unavailable (%s); KPIs start from live data only", exc)
                return
            state.add_frame(frame, query.measurement, query.parts)
        self.state = state
        try:
            self.alerts = states_from_dict(self.live.alerts())
        except LiveStateError as exc:
            log.warning("alert states unavailable (%s); alerts re-raise from the values", exc)

    def tick(self, now_ms: int | None = None, *, roll_up: bool = True) -> list[AlertTransition]:
        """One evaluation; returns the alert transitions it made. `roll_up=False` leaves the
        rollups for a later tick (the engine's, while stored batches keep coming)."""
        started = time.perf_counter()
        now_ms = self.clock() if now_ms is None else now_ms
        transitions = self._apply_acks()
        last = self.rolled_up_ms
        if (
            self.rollups is not None
            and roll_up
            and (last is None or now_ms - last >= ROLLUP_EVERY_MS)
        ):
            self.rollups.update(self.storage, now_ms)
            self.rolled_up_ms = now_ms
        self.values = [self._named(v) for v in self.state.kpis(now_ms, self.gauges)]
        evaluation = evaluate(self.rules, self.alerts, self.values, now_ms)
        self.alerts = evaluation.states
        transitions += evaluation.transitions
        if now_ms - self._last_prune_ms >= PRUNE_EVERY_MS:
            self.state.prune(now_ms)
            self.alerts = prune_cleared(self.alerts, now_ms - CLEARED_KEPT_MS)
            self._last_prune_ms = now_ms
        self.values = rate(self.rules, self.alerts, self.values)
        for transition in transitions:
            log.info("alert %s %s (%s)", transition.alert_id, transition.state, transition.scope)
        self._write_audit([t.to_reading() for t in transitions])
        if self.notifier is not None and transitions:
            # before the live state: a crash in between re-sends nothing (the outbox has it)
            self.notifier.submit(transitions, self.alerts)
        if self.metrics is not None:
            self.metrics.evaluated(
                time.perf_counter() - started,
                [(a.state, a.severity) for a in self.alerts.values()],
                [t.state for t in transitions],
            )
        try:
            self.live.set_kpis([v.to_dict() for v in self.values], now_ms)
            self.live.set_alerts(states_to_dict(self.alerts))
        except LiveStateError as exc:
            log.debug("live state unavailable for KPIs: %s", exc)
        return transitions

    def _named(self, value: KpiValue) -> KpiValue:
        """The value with the catalogue names of its source or site (`name`) and of its worst
        station (`station_name`), when the catalogue has them."""
        extra: dict[str, object] = {}
        kind, _, ident = value.scope.partition(":")
        if kind in ("source", "site") and ident in self.names:
            extra["name"] = self.names[ident]
        station = value.extra.get("station")
        if isinstance(station, str) and station in self.names:
            extra["station_name"] = self.names[station]
        return replace(value, extra={**value.extra, **extra}) if extra else value

    def _apply_acks(self) -> list[AlertTransition]:
        try:
            requests = self.live.take_ack_requests()
        except LiveStateError:
            return []
        transitions = []
        for request in requests:
            try:
                self.alerts, transition = ack(
                    self.alerts,
                    request["alert_id"],
                    request["by"],
                    request.get("comment", ""),
                    int(request["at_ms"]),
                )
            except (ValueError, KeyError) as exc:
                log.warning("acknowledgement %r refused: %s", request, exc)
                continue
            transitions.append(transition)
        return transitions

    def _write_audit(self, readings: list[Reading]) -> None:
        self._unwritten += readings
        if not self._unwritten:
            return
        try:
            self.storage.write(self._unwritten)
        except StorageRejected as exc:
            log.error("alert audit trail refused by storage, dropped: %s", exc)
        except IocError as exc:
            log.warning("alert audit trail not written yet (%s); retrying next tick", exc)
            return
        self._unwritten = []


def runner_from_settings(
    settings: Settings,
    live: LiveState,
    storage: Storage,
    registry: CollectorRegistry | None = None,
) -> KpiRunner:
    """The runner the settings describe (gauge levels and alert rules from their files, the
    notifier of the rules file's routes), its metrics in `registry` when given."""
    rules = load_rules(settings.alert_rules_file) if settings.alert_rules_file else RULES
    sources = load_sources(settings.sources_file or None)
    notifier = notifier_from_settings(settings, rules)
    if notifier is not None and registry is not None:
        notifier.observers.append(NotifyMetrics(registry))
    return KpiRunner(
        live,
        storage,
        gauges=gauge_levels(sources),
        rules=rules.values(),
        names=names(sources),
        notifier=notifier,
        metrics=EngineMetrics(registry) if registry is not None else None,
        rollups=RollupKeeper(raw_retention_days=settings.raw_retention_days),
    )
