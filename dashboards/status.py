"""The system's own health for the wall's status line, from the heartbeats in the live state.

Collectors publish `collector:<client_id>` and the KPI engine `engine` about every second
(`LiveState.heartbeats()`); lateness is judged by `ioc.live.heartbeat.beat_status` (late after
3 s, critical after 10 s). Before the engine beats, its KPI evaluation time stands for its beat.
No beat at all from the engine or from any collector is critical: "I don't know" is never shown
as fine. Pure functions, no Dash.
"""

from __future__ import annotations

from typing import Any

from dashboards.data import LiveData
from ioc.live.heartbeat import COLLECTOR_PREFIX, ENGINE, beat_status

LEVEL = {"ok": "ok", "late": "warning", "critical": "critical"}
LEVEL_RANK = {"critical": 0, "warning": 1, "ok": 2}


def _part(part: str, name: str, beat: dict[str, Any] | None, now_ms: int) -> dict[str, Any]:
    ts = beat.get("ts") if beat else None
    age = (now_ms - int(ts)) / 1000 if isinstance(ts, int | float) else None
    return {"part": part, "name": name, "age_s": age, "level": LEVEL[beat_status(beat, now_ms)]}


def health(live: LiveData, now_ms: int) -> dict[str, Any]:
    """{"level": ok|warning|critical, "parts": [{"part", "name", "age_s", "level"}, …]}, the
    late parts first."""
    if not live.connected:
        part = {"part": "live", "name": "", "age_s": None, "level": "critical"}
        return {"level": "critical", "parts": [part]}
    beats = live.heartbeats
    engine = beats.get(ENGINE) or ({"ts": live.kpi_ts} if live.kpi_ts else None)
    parts = [_part("engine", "", engine, now_ms)]
    collectors = {k: v for k, v in beats.items() if k.startswith(COLLECTOR_PREFIX)}
    if not collectors:
        parts.append(_part("collectors", "", None, now_ms))
    for key, beat in sorted(collectors.items()):
        parts.append(_part("collector", key.removeprefix(COLLECTOR_PREFIX), beat, now_ms))
    parts.sort(key=lambda p: LEVEL_RANK[p["level"]])
    return {"level": parts[0]["level"], "parts": parts}
