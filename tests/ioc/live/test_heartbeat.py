"""Lateness of heartbeats, judged by readers (pure)."""

from ioc.live.heartbeat import (
    HEARTBEAT_CRITICAL_MS,
    HEARTBEAT_LATE_MS,
    beat_status,
    collector_component,
)


def test_beats_are_ok_then_late_then_critical():
    now = 100_000
    assert beat_status({"ts": now}, now) == "ok"
    assert beat_status({"ts": now - HEARTBEAT_LATE_MS}, now) == "ok"
    assert beat_status({"ts": now - HEARTBEAT_LATE_MS - 1}, now) == "late"
    assert beat_status({"ts": now - HEARTBEAT_CRITICAL_MS}, now) == "late"
    assert beat_status({"ts": now - HEARTBEAT_CRITICAL_MS - 1}, now) == "critical"


def test_no_beat_or_a_broken_one_is_critical():
    assert beat_status(None, 5) == "critical"
    assert beat_status({"received": 3}, 5) == "critical"
    assert beat_status({"ts": "soon"}, 5) == "critical"


def test_collector_components_are_named_by_client_id():
    assert collector_component("ioc-collector-2") == "collector:ioc-collector-2"
