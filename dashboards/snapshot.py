"""The live snapshot as plain JSON: what the wall screen shows and `GET /api/v1/snapshot` serves.

Pure functions of one `LiveData` read and the time `now_ms`; language-neutral (the page turns
values and keys into text). Every tile, alert and source carries its timestamp and age.

Staleness: a tile is stale when the newest reading behind it is older than its feed's
`expected_interval_s` (ioc.feeds) plus `STALE_GRACE_S` for transport and batching, when the KPI
engine has not evaluated for `KPI_STALE_S`, or when the live state cannot be read (then every
tile is stale with reason `connection`).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from dashboards import alertview
from dashboards.data import LiveData
from dashboards.tiles import Indicator, TileSpec, catalogue, decimals
from ioc.alerts.rules import RULES
from ioc.feeds import FEEDS
from ioc.kpis.health import offline_after_ms
from ioc.kpis.registry import KPIS
from ioc.kpis.spec import KpiSpec, parse_scope
from ioc.live.heartbeat import ENGINE, beat_status
from ioc.localtime import LOCAL_TZ
from ioc.model import Reading

STALE_GRACE_S = 5.0
KPI_STALE_S = 10.0
STATUS_RANK = {"critical": 0, "warning": 1, "ok": 2, "unrated": 3, "no_data": 4}
WALL_ALERT_STATES = frozenset({"active", "acknowledged", "cleared"})


def iso(ms: int | None) -> str | None:
    if not ms:
        return None
    moment = datetime.fromtimestamp(ms / 1000, UTC).astimezone(LOCAL_TZ)
    return moment.isoformat("T", "milliseconds")


def clock_time(ms: int) -> str:
    """HH:MM:SS in local time (+07:00)."""
    return datetime.fromtimestamp(ms / 1000, UTC).astimezone(LOCAL_TZ).strftime("%H:%M:%S")


def _age_s(now_ms: int, ms: int | None) -> float | None:
    """Seconds since `ms`; negative for a time ahead of `now_ms` (never clamped to 0)."""
    return None if not ms else round((now_ms - ms) / 1000, 1)


def _readings(live: LiveData, measurement: str) -> Iterable[Reading]:
    return live.latest.get(measurement, {}).values()


def _scoped(readings: Iterable[Reading], scope: str) -> list[Reading]:
    """The readings a scope covers (province: all of them)."""
    parts = parse_scope(scope)
    out = []
    for r in readings:
        if "source" in parts and r.tags.get("source") != parts["source"]:
            continue
        if "site" in parts and r.tags.get("site") != parts["site"]:
            continue
        if "district" in parts and r.tags.get("district") != parts["district"]:
            continue
        out.append(r)
    return out


def _kpi_data_ms(spec: KpiSpec, scope: str, live: LiveData) -> int | None:
    """Time of the newest reading behind a KPI value (None: the KPI spans several feeds)."""
    d = spec.derives_from
    if d.feed is None:
        return None
    readings = [
        r
        for r in _readings(live, FEEDS[d.feed].measurement)
        if (d.kind is None or r.tags.get("kind") == d.kind)
        and (d.site is None or r.tags.get("site") == d.site)
    ]
    return max((r.time_ms for r in _scoped(readings, scope)), default=None)


def _worst(spec: KpiSpec, values: list[dict[str, Any]]) -> dict[str, Any]:
    higher_better = spec.direction == "higher_is_better"

    def rank(v: dict[str, Any]) -> tuple[int, float]:
        number = v.get("value")
        badness = 0.0 if number is None else (-number if higher_better else number)
        return (STATUS_RANK.get(v.get("status", ""), 9), -badness)

    return min(values, key=rank)


def _alert_kpi(alert: dict[str, Any]) -> str:
    rule = RULES.get(str(alert.get("rule", "")))
    return str(alert.get("kpi") or (rule.kpi if rule else ""))


def alert_status(kpi_id: str, alerts: list[dict[str, Any]], values: list[dict[str, Any]]) -> str:
    """A KPI tile's status from the one threshold definition, the alert rules the engine runs:
    the most severe open alert of a rule watching the KPI; else "ok" when one of its values is
    watched by a rule (the engine judged it by the alerts, `ioc.alerts.status`); else
    "unrated"."""
    severities = {
        str(a.get("severity"))
        for a in alerts
        if a.get("state") in alertview.OPEN and _alert_kpi(a) == kpi_id
    }
    for severity in ("critical", "warning"):
        if severity in severities:
            return severity
    rated = any(v.get("status") in ("ok", "warning", "critical") for v in values)
    return "ok" if rated or severities else "unrated"


def _other_window(spec: KpiSpec, window: str, scope: str, live: LiveData) -> dict[str, Any]:
    """The value of another window of the same KPI and scope (the 7-day value beside today's)."""
    for v in live.kpis:
        if v.get("id") == spec.id and v.get("window") == window and v.get("scope") == scope:
            return {"value": v.get("value"), "window": window}
    return {}


def _hint_detail(tile: TileSpec, chosen: dict[str, Any], live: LiveData) -> dict[str, Any]:
    """What a hint adds under the value: another KPI's value of the same scope (`detail_kpi`,
    with its label and number format) and counts from the value's extra (`detail_counts`)."""
    hint, out = tile.hint, {}
    if hint.detail_kpi:
        other = KPIS[hint.detail_kpi]
        window = hint.detail_window or chosen.get("window")
        for v in live.kpis:
            if (v.get("id"), v.get("window"), v.get("scope")) == (
                other.id,
                window,
                chosen.get("scope"),
            ) and finite(v.get("value")):
                out["detail_value"] = v["value"]
                out["detail_unit"] = other.unit
                out["detail_decimals"] = decimals(other.unit)
                out["detail_label"] = hint.detail_label
                break
    counts = [[k, chosen[k]] for k in hint.detail_counts if finite(chosen.get(k)) and chosen[k]]
    if counts:
        out["detail_counts"] = counts
    if not hint.window_label:
        out["window_label"] = False
    return out


def _kpi_tile(tile: TileSpec, live: LiveData, now_ms: int) -> dict[str, Any]:
    spec = tile.kpi
    assert spec is not None
    window = spec.windows[0]
    values = [v for v in live.kpis if v.get("id") == spec.id and v.get("window") == window]
    out: dict[str, Any] = {
        "kpi": spec.id,
        "window": window,
        "unit": spec.unit,
        "decimals": decimals(spec.unit),
        "target": spec.target,
        "scopes": len(values),
    }
    hint = tile.hint
    status = alert_status(spec.id, live.alerts, values)
    if not values:
        data_ms = _kpi_data_ms(spec, "province", live)
        return out | {"value": None, "status": "no_data", "data_ms": data_ms, "empty": "no_kpi"}
    if hint.headline == "count_ok":
        ok = sum(1 for v in values if v.get("value") == 1.0)
        data_ms = _kpi_data_ms(spec, "province", live)
        return out | {
            "value": None,
            "ok": ok,
            "total": len(values),
            "status": status,
            "data_ms": data_ms,
        }
    province = [v for v in values if v.get("scope") == "province"]
    chosen = province[0] if province else _worst(spec, values)
    extra = {k: v for k, v in chosen.items() if k not in ("id", "window", "unit", "ts")}
    data_ms = _kpi_data_ms(spec, chosen["scope"], live)
    shown: dict[str, Any] = {}
    if hint.label_extra and chosen.get("value") is not None:
        shown["text"] = chosen.get(hint.label_extra) or hint.zero_label
    if hint.detail_extra and chosen.get(hint.detail_extra) is not None:
        shown["detail_value"] = chosen[hint.detail_extra]
        shown["detail_unit"] = hint.detail_unit
    shown |= _hint_detail(tile, chosen, live)
    worst_of = not province and len(values) > 1
    if chosen.get("value") is None:
        shown["empty"] = "no_value"
        if window != "7d" and "7d" in spec.windows:
            shown["other"] = _other_window(spec, "7d", chosen["scope"], live)
    extra["status"] = status if chosen.get("value") is not None else "no_data"
    return out | extra | shown | {"data_ms": data_ms, "worst_of": worst_of}


def _indicator_tile(ind: Indicator, live: LiveData, now_ms: int) -> dict[str, Any]:
    fresh_after = now_ms - offline_after_ms("sensor")
    readings = [
        r
        for r in _readings(live, "sensor")
        if r.tags.get("kind") == ind.kind and isinstance(r.fields.get(ind.field), int | float)
    ]
    used = [r for r in readings if r.time_ms >= fresh_after] or sorted(
        readings, key=lambda r: r.time_ms
    )[-1:]
    numbers = [float(r.fields[ind.field]) for r in used]
    value = None
    if numbers:
        value = sum(numbers) / len(numbers) if ind.aggregate == "mean" else max(numbers)
    data_ms = max((r.time_ms for r in used), default=None)
    return {
        "indicator": ind.id,
        "value": value,
        "unit": ind.unit,
        "decimals": ind.decimals,
        "status": "unrated" if value is not None else "no_data",
        "sources": len(used),
        "data_ms": data_ms,
    }


def build_tile(tile: TileSpec, live: LiveData, now_ms: int) -> dict[str, Any]:
    """One tile's view: value and status, data time and age, whether it is stale (why), and
    `href`, its drill-down link narrowed to the scope of the value shown."""
    base: dict[str, Any] = {"key": tile.key, "group": tile.group, "page": tile.page}
    if not live.connected:
        lost = {"value": None, "status": "no_data", "stale": True, "stale_reason": "connection"}
        lost["href"] = tile.href()
        return base | lost
    if tile.kpi is not None:
        body = _kpi_tile(tile, live, now_ms)
    else:
        assert tile.indicator is not None
        body = _indicator_tile(tile.indicator, live, now_ms)
    data_ms = body.get("data_ms")
    kpi_age = _age_s(now_ms, live.kpi_ts) if tile.kpi is not None else None
    single_feed = tile.feed_interval_s is not None
    age = _age_s(now_ms, data_ms) if data_ms else (None if single_feed else kpi_age)
    has_value = body.get("value") is not None or body.get("ok") is not None
    interval = tile.feed_interval_s
    reason = None
    if age is not None and age < 0:
        reason = "future"  # a reading dated ahead of now: never shown as fresh
    elif tile.kpi is not None and (kpi_age is None or kpi_age > KPI_STALE_S):
        reason = "kpi_engine"
    elif interval is not None and data_ms and age is not None and age > interval + STALE_GRACE_S:
        reason = "data_age"
    elif interval is not None and not data_ms and has_value:
        reason = "data_age"  # a value but no live reading behind it
    return (
        base
        | body
        | {
            "href": tile.href(body if body.get("scope") else None),
            "data_ms": data_ms or None,
            "data_time": iso(data_ms),
            "age_s": age,
            "stale": reason is not None,
            "stale_reason": reason,
        }
    )


def build_alerts(live: LiveData, now_ms: int) -> list[dict[str, Any]]:
    """The alerts for the wall, most urgent first: open (active or acknowledged) before cleared,
    then by severity, then the oldest first; lower levels superseded by a higher one dropped."""
    alerts = [a for a in live.alerts if a.get("state") in WALL_ALERT_STATES]
    alerts = sorted(alertview.supersede(alerts), key=alertview.sort_key)
    out = []
    for a in alerts:
        raised = a.get("raised_ms") or a.get("since_ms")
        out.append(a | {"raised_time": iso(raised), "age_s": _age_s(now_ms, raised)})
    return out


def build_sources(live: LiveData, now_ms: int) -> list[dict[str, Any]]:
    """Every source with its newest reading time, district, site/kind and health — the facts the
    KPI engine computed once (`ioc.engine.facts`), with their age at `now_ms`."""
    out = []
    for row in live.sources:
        feed = FEEDS.get(str(row.get("feed")))
        last_ms = row.get("last_ms")
        age = _age_s(now_ms, last_ms) or 0.0
        interval = feed.expected_interval_s if feed is not None else 0.0
        keep = ("source", "feed", "district", "kind", "site", "last_ms", "online", "offline_reason")
        out.append(
            {k: row.get(k) for k in keep}
            | {
                "district": row.get("district") or live.districts.get(str(row.get("source")), ""),
                "last_time": iso(last_ms),
                "age_s": age,
                "stale": feed is not None and age > interval + STALE_GRACE_S,
            }
        )
    return out


def build_components(live: LiveData, now_ms: int) -> list[dict[str, Any]]:
    """Every running component's heartbeat (the engine first, said missing when it has none),
    judged ok / late / critical by `ioc.live.heartbeat`."""
    beats = dict(live.heartbeats)
    names = [ENGINE, *sorted(c for c in beats if c != ENGINE)]
    out = []
    for name in names:
        beat = beats.get(name)
        ts = beat.get("ts") if beat else None
        out.append(
            {
                "component": name,
                "ts": ts,
                "age_s": _age_s(now_ms, ts) if isinstance(ts, int) else None,
                "status": beat_status(beat, now_ms) if live.connected else "critical",
                "info": {k: v for k, v in (beat or {}).items() if k != "ts"},
            }
        )
    return out


def build_snapshot(live: LiveData, now_ms: int) -> dict[str, Any]:
    """The whole snapshot (JSON-able)."""
    kpi_age = _age_s(now_ms, live.kpi_ts)
    alerts = build_alerts(live, now_ms)
    return {
        "generated_ms": now_ms,
        "generated_time": iso(now_ms),
        "live": {"connected": live.connected, "error": live.error or None},
        "kpis": {
            "evaluated_ms": live.kpi_ts or None,
            "evaluated_time": iso(live.kpi_ts),
            "age_s": kpi_age,
            "stale": kpi_age is None or kpi_age > KPI_STALE_S,
            "values": live.kpis,
        },
        "tiles": [build_tile(tile, live, now_ms) for tile in catalogue()],
        "alerts": alerts,
        "alert_counts": alertview.counts(alerts),
        "sources": build_sources(live, now_ms),
        "components": build_components(live, now_ms),
        "counters": live.counters,
    }


def finite(value: object) -> bool:
    return isinstance(value, int | float) and math.isfinite(value)
