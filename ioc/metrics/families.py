"""The metric families. Names start `ioc_`; counters end `_total` (prometheus_client adds it).

Collector (`PipelineMetrics`, updated by the pipeline once per batch):
    ioc_messages_received_total{feed}           MQTT messages taken from the broker
    ioc_messages_stored_total{feed}             messages whose readings were all stored
    ioc_messages_rejected_total{feed,reason}    messages rejected (and dead-lettered)
    ioc_readings_stored_total{measurement}      points written to storage
    ioc_deadletters_published_total{feed}       dead letters published to ioc/deadletter/<feed>
    ioc_deadletters_dropped_total               dead letters the transport shed (the live
                                                counter `deadletter_dropped`)
    ioc_batch_size_messages                     histogram: messages per batch
    ioc_storage_write_seconds                   histogram: one successful storage write
    ioc_storage_retries_total                   storage writes retried (storage unavailable)
    ioc_live_state_failures_total               live-state updates that failed (kept in backlog)
    ioc_ack_lag_seconds                         histogram: oldest message of a batch, receipt →
                                                acknowledgement
    ioc_inbox_messages, ioc_inbox_bytes         gauges: taken from the broker, not yet processed

KPI engine (`EngineMetrics`):
    ioc_kpi_evaluation_seconds                  histogram: one evaluation (KPIs + alert rules)
    ioc_alerts{state,severity}                  gauge: alerts by state
    ioc_alert_transitions_total{state}          transitions written to the audit trail
Notifications (`NotifyMetrics`):
    ioc_notification_attempts_total{channel,outcome}   delivered / retry / failed / deferred
"""

from __future__ import annotations

from collections import Counter as Tally
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from prometheus_client import (
    GC_COLLECTOR,
    PLATFORM_COLLECTOR,
    PROCESS_COLLECTOR,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
)
from prometheus_client.core import CounterMetricFamily, Metric
from prometheus_client.registry import Collector

BATCH_BUCKETS = (1, 5, 10, 50, 100, 500, 1000, 2000, 5000, 10_000, 20_000)
SECONDS_BUCKETS = (0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30)


def new_registry() -> CollectorRegistry:
    """A registry with the usual process, platform and GC metrics."""
    registry = CollectorRegistry(auto_describe=True)
    for collector in (PROCESS_COLLECTOR, PLATFORM_COLLECTOR, GC_COLLECTOR):
        registry.register(collector)
    return registry


class PipelineMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        r = registry
        self.received = Counter(
            "ioc_messages_received", "MQTT messages taken from the broker", ["feed"], registry=r
        )
        self.stored = Counter(
            "ioc_messages_stored", "messages whose readings were all stored", ["feed"], registry=r
        )
        self.rejected = Counter(
            "ioc_messages_rejected", "messages rejected, by reason", ["feed", "reason"], registry=r
        )
        self.readings = Counter(
            "ioc_readings_stored", "points written to storage", ["measurement"], registry=r
        )
        self.deadletters = Counter(
            "ioc_deadletters_published", "dead letters published", ["feed"], registry=r
        )
        self.deadletters_dropped = Counter(
            "ioc_deadletters_dropped", "dead letters that could not be kept", registry=r
        )
        self.batch_size = Histogram(
            "ioc_batch_size_messages", "messages per batch", buckets=BATCH_BUCKETS, registry=r
        )
        self.write_seconds = Histogram(
            "ioc_storage_write_seconds",
            "one successful storage write",
            buckets=SECONDS_BUCKETS,
            registry=r,
        )
        self.storage_retries = Counter("ioc_storage_retries", "storage writes retried", registry=r)
        self.live_failures = Counter(
            "ioc_live_state_failures", "live-state updates that failed", registry=r
        )
        self.ack_lag = Histogram(
            "ioc_ack_lag_seconds",
            "oldest message of a batch: receipt to acknowledgement",
            buckets=SECONDS_BUCKETS,
            registry=r,
        )
        self.inbox_messages = Gauge(
            "ioc_inbox_messages", "messages received, not yet processed", registry=r
        )
        self.inbox_bytes = Gauge(
            "ioc_inbox_bytes", "payload bytes received, not yet processed", registry=r
        )

    def batch(
        self,
        received: Mapping[str, int],
        rejected: Iterable[tuple[str, str]],
        stored: Mapping[str, int],
        ack_lag_s: float,
        *,
        deadletters: Mapping[str, int],
        deadletters_dropped: int = 0,
    ) -> None:
        """One processed batch: messages per feed, (feed, reason) per rejection, readings
        stored per measurement, the oldest message's lag, dead letters published per feed
        and those the transport shed."""
        rejected_by_feed: Tally[str] = Tally()
        for feed, reason in rejected:
            self.rejected.labels(feed, reason).inc()
            rejected_by_feed[feed] += 1
        for feed, n in deadletters.items():
            self.deadletters.labels(feed).inc(n)
        if deadletters_dropped:
            self.deadletters_dropped.inc(deadletters_dropped)
        for feed, n in received.items():
            self.received.labels(feed).inc(n)
            self.stored.labels(feed).inc(n - rejected_by_feed[feed])
        for measurement, n in stored.items():
            self.readings.labels(measurement).inc(n)
        self.batch_size.observe(sum(received.values()))
        self.ack_lag.observe(max(ack_lag_s, 0.0))

    def watch_inbox(
        self, messages: Callable[[], float], payload_bytes: Callable[[], float]
    ) -> None:
        self.inbox_messages.set_function(messages)
        self.inbox_bytes.set_function(payload_bytes)


class EngineMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.evaluation_seconds = Histogram(
            "ioc_kpi_evaluation_seconds",
            "one evaluation of every KPI and alert rule",
            buckets=SECONDS_BUCKETS,
            registry=registry,
        )
        self.alerts = Gauge(
            "ioc_alerts", "alerts by state and severity", ["state", "severity"], registry=registry
        )
        self.transitions = Counter(
            "ioc_alert_transitions", "alert transitions", ["state"], registry=registry
        )

    def evaluated(
        self, seconds: float, states: Iterable[tuple[str, str]], transitions: Iterable[str]
    ) -> None:
        """One tick: its duration, (state, severity) of every alert, the transitions' states."""
        self.evaluation_seconds.observe(seconds)
        counts = Tally(states)
        for state in ("pending", "active", "acknowledged", "cleared"):
            for severity in ("info", "warning", "critical"):
                self.alerts.labels(state, severity).set(counts[(state, severity)])
        for state in transitions:
            self.transitions.labels(state).inc()


class EngineStatsCollector(Collector):
    """`ioc_engine_*` counters read from the engine's own stats at scrape time:
    ioc_engine_stream_entries_total, ioc_engine_readings_folded_total,
    ioc_engine_readings_repeated_total (dropped as already folded), ioc_engine_rebuilds_total."""

    def __init__(self, stats: Callable[[], Any]) -> None:
        self._stats = stats

    def collect(self) -> Iterable[Metric]:
        stats = self._stats()
        for name, attr, doc in (
            ("ioc_engine_stream_entries", "entries", "stored-batch stream entries read"),
            ("ioc_engine_readings_folded", "folded", "readings folded from the stream"),
            ("ioc_engine_readings_repeated", "repeated", "readings dropped as already folded"),
            ("ioc_engine_rebuilds", "rebuilds", "rebuilds from storage"),
        ):
            yield CounterMetricFamily(name, doc, value=float(getattr(stats, attr)))


class NotifyMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.attempts = Counter(
            "ioc_notification_attempts",
            "notification attempts by outcome (delivered, retry, failed, deferred)",
            ["channel", "outcome"],
            registry=registry,
        )

    def __call__(self, channel: str, outcome: str) -> None:
        self.attempts.labels(channel, outcome).inc()


class ProbeMetrics:
    """`ioc probe`: checks made by site and outcome, their response times, checks published."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.checks = Counter(
            "ioc_probe_checks_total",
            "Portal checks made, by site and outcome (up, down).",
            ["site", "outcome"],
            registry=registry,
        )
        self.response = Histogram(
            "ioc_probe_response_seconds",
            "Response time of the portal checks that got an answer.",
            ["site"],
            buckets=SECONDS_BUCKETS,
            registry=registry,
        )
        self.published = Counter(
            "ioc_probe_published_total",
            "Portal messages published to the broker (QoS 1, acknowledged).",
            registry=registry,
        )

    def observe(self, site: str, body: Mapping[str, Any]) -> None:
        self.checks.labels(site, "up" if body.get("up") else "down").inc()
        response_ms = body.get("response_ms")
        if isinstance(response_ms, int | float):
            self.response.labels(site).observe(response_ms / 1000)
        self.published.inc()
