"""Heartbeats: each running component says "I am alive" to the live state about once a second.

Components: `collector:<client id>` (each collector) and `engine` (the one KPI engine). A beat is
`{"ts": epoch ms, **info}`; the writer only writes, readers judge lateness with `beat_status`:
a beat older than `HEARTBEAT_LATE_MS` is late (warning), older than `HEARTBEAT_CRITICAL_MS`
critical (the component is presumed down). These are the only lateness constants in the code.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

HEARTBEAT_EVERY_MS = 1000
HEARTBEAT_LATE_MS = 3000
HEARTBEAT_CRITICAL_MS = 10_000
ENGINE = "engine"
COLLECTOR_PREFIX = "collector:"

BeatStatus = Literal["ok", "late", "critical"]


def collector_component(client_id: str) -> str:
    return f"{COLLECTOR_PREFIX}{client_id}"


def beat_status(beat: Mapping[str, Any] | None, now_ms: int) -> BeatStatus:
    """ok, late (older than 3 s) or critical (older than 10 s, or no beat at all)."""
    if beat is None or not isinstance(beat.get("ts"), int | float):
        return "critical"
    age = now_ms - int(beat["ts"])
    if age > HEARTBEAT_CRITICAL_MS:
        return "critical"
    if age > HEARTBEAT_LATE_MS:
        return "late"
    return "ok"
