"""City indicators: water level vs alarm, congestion, border queue, visitors.

Water, traffic and the border queue read `LatestValues` (the newest value per source and field);
a value older than 3 × its feed's expected interval is stale and not used (the device counts as
offline then, see `health.py`). Visitors read hourly `BucketSums` of `people` per site. Every
formula is a pure function of numbers first (`water_alarm`, `congestion_index`) and then of the
folded state at `now`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

from ioc.feeds import FEEDS
from ioc.kpis.fold import RECENT_LOOKBACK_MS, Fold, HistoryRead, fold_each
from ioc.kpis.spec import (
    DAY_MS,
    HOUR_MS,
    Derives,
    Drilldown,
    KpiSpec,
    KpiValue,
    Window,
    make_value,
    scope_site,
    scope_source,
    window_start_ms,
)
from ioc.kpis.tally import BucketSums, LatestValues
from ioc.model import Reading

FRESH_INTERVALS = 3
BORDER_SITE = "ta-lung-border-gate"
VISITOR_SITES: tuple[str, ...] = ("ban-gioc-waterfall",)
# traffic.congestion: free-flow speed and a queue that counts as full, and the term weights.
FREE_FLOW_KMH = 50.0
QUEUE_FULL_M = 200.0
WEIGHTS = {"occupancy": 0.4, "speed": 0.4, "queue": 0.2}
_CONGESTION_FIELDS = ("occupancy_pct", "avg_speed_kmh", "queue_m", "vehicles_total")


def fresh_since_ms(feed: str, now_ms: int) -> int:
    """The oldest time a value of `feed` may have and still count as current."""
    return now_ms - int(FRESH_INTERVALS * FEEDS[feed].expected_interval_s * 1000)


@dataclass(frozen=True, slots=True)
class GaugeAlarmLevels:
    """A water gauge's flood alarm levels BĐ1 < BĐ2 < BĐ3, in cm (the gauge's own datum)."""

    bd1: float
    bd2: float
    bd3: float

    def __post_init__(self) -> None:
        if not 0 < self.bd1 < self.bd2 < self.bd3:
            raise ValueError(f"alarm levels must be 0 < BĐ1 < BĐ2 < BĐ3, got {self}")


@dataclass(frozen=True, slots=True)
class WaterAlarm:
    level_cm: float
    alarm_level: int  # 0 below BĐ1, 1 at or above BĐ1, 2 at or above BĐ2, 3 at or above BĐ3
    index: float  # 0 at 0 cm, 1 at BĐ1, 2 at BĐ2, 3 at BĐ3, linear in between
    ratio_bd3: float  # level_cm / BĐ3


def water_alarm(level_cm: float, levels: GaugeAlarmLevels) -> WaterAlarm:
    """Where a water level stands against its gauge's alarm levels."""
    marks = (0.0, levels.bd1, levels.bd2, levels.bd3)
    if level_cm >= levels.bd3:
        index = 3 + (level_cm - levels.bd3) / (levels.bd3 - levels.bd2)
    else:
        i = 2 if level_cm >= levels.bd2 else 1 if level_cm >= levels.bd1 else 0
        index = i + (level_cm - marks[i]) / (marks[i + 1] - marks[i])
    alarm = sum(1 for mark in marks[1:] if level_cm >= mark)
    return WaterAlarm(level_cm, alarm, index, level_cm / levels.bd3)


def water_kpis(
    latest: LatestValues, gauges: Mapping[str, GaugeAlarmLevels], now_ms: int
) -> list[KpiValue]:
    """water.level_vs_alarm for every configured gauge (no value when its level is stale)."""
    spec, since = WATER_LEVEL, fresh_since_ms("sensor", now_ms)
    values = []
    for source, levels in sorted(gauges.items()):
        level = latest.get(source, "level_cm", since)
        bds = {"bd1": levels.bd1, "bd2": levels.bd2, "bd3": levels.bd3}
        if level is None:
            values.append(make_value(spec, scope_source(source), "now", None, now_ms, **bds))
            continue
        alarm = water_alarm(level.value, levels)
        values.append(
            make_value(
                spec,
                scope_source(source),
                "now",
                alarm.index,
                now_ms,
                alarm_level=alarm.alarm_level,
                label=f"BĐ{alarm.alarm_level}" if alarm.alarm_level else "",
                level_cm=alarm.level_cm,
                ratio_bd3=alarm.ratio_bd3,
                district=level.tags.get("district", ""),
                measured_ts=level.ts_ms,
                **bds,
            )
        )
    return values


def congestion_index(
    occupancy_pct: float | None,
    avg_speed_kmh: float | None,
    queue_m: float | None,
    vehicles_total: float | None = None,
) -> float | None:
    """0 (free) … 100 (jammed): weighted mean of the terms present (formula: `CONGESTION`).

    The speed term is skipped when no vehicle passed (`vehicles_total == 0`): the camera reports
    speed 0 on an empty road. None when no term is present.
    """
    terms: dict[str, float] = {}
    if occupancy_pct is not None:
        terms["occupancy"] = min(max(occupancy_pct / 100.0, 0.0), 1.0)
    if avg_speed_kmh is not None and vehicles_total != 0:
        terms["speed"] = min(max(1.0 - avg_speed_kmh / FREE_FLOW_KMH, 0.0), 1.0)
    if queue_m is not None:
        terms["queue"] = min(max(queue_m / QUEUE_FULL_M, 0.0), 1.0)
    if not terms:
        return None
    weight = sum(WEIGHTS[t] for t in terms)
    return 100.0 * sum(WEIGHTS[t] * v for t, v in terms.items()) / weight


def _site_cameras(latest: LatestValues, since_ms: int) -> dict[str, list[str]]:
    """Cameras per site, by the `site` tag of their newest fresh reading."""
    sites: dict[str, list[str]] = {}
    for source in latest.sources():
        newest = None
        for name in ("occupancy_pct", "avg_speed_kmh", "queue_m", "people", "vehicles_total"):
            value = latest.get(source, name, since_ms)
            if value is not None and (newest is None or value.ts_ms > newest.ts_ms):
                newest = value
        if newest is not None and newest.tags.get("site"):
            sites.setdefault(newest.tags["site"], []).append(source)
    return sites


def traffic_kpis(latest: LatestValues, now_ms: int) -> list[KpiValue]:
    """traffic.congestion per camera site: the most congested of its cameras with fresh data."""
    spec, since = CONGESTION, fresh_since_ms("camera", now_ms)
    values = []
    for site, cameras in sorted(_site_cameras(latest, since).items()):
        per_camera: dict[str, float] = {}
        for camera in cameras:
            parts = [latest.get(camera, n, since) for n in _CONGESTION_FIELDS]
            index = congestion_index(*(p.value if p else None for p in parts))
            if index is not None:
                per_camera[camera] = index
        worst = max(per_camera, key=lambda c: (per_camera[c], c), default=None)
        value = None if worst is None else per_camera[worst]
        values.append(make_value(spec, scope_site(site), "now", value, now_ms, camera=worst))
    return values


def border_queue_kpi(latest: LatestValues, now_ms: int, site: str = BORDER_SITE) -> KpiValue:
    """border.queue_m: the longest fresh queue among the site's cameras (None if none is)."""
    since = fresh_since_ms("camera", now_ms)
    cameras = _site_cameras(latest, since).get(site, [])
    queues = {c: q.value for c in cameras if (q := latest.get(c, "queue_m", since)) is not None}
    worst = max(queues, key=lambda c: (queues[c], c), default=None)
    value = None if worst is None else queues[worst]
    return make_value(BORDER_QUEUE, scope_site(site), "now", value, now_ms, camera=worst)


def visitor_kpis(
    people: BucketSums, now_ms: int, windows: tuple[Window, ...] = ("today", "7d")
) -> list[KpiValue]:
    """tourism.visitors per visitor site: people counted in the clock hours of the window.

    `people` holds, per site, hourly sums of the `people` field of the site's cameras. The
    window's first hour is the one containing its start (`today` starts on an hour; `7d` is
    extended back to the start of its first hour).
    """
    spec = VISITORS
    values = []
    for site in VISITOR_SITES:
        for window in windows:
            total = people.sum(site, window_start_ms(window, now_ms), now_ms)
            values.append(make_value(spec, scope_site(site), window, math.floor(total), now_ms))
    return values


# -- the folds and the KPIs -----------------------------------------------------------------------

LATEST_FEEDS = ("sensor", "camera")
VISITORS_LOOKBACK_MS = 7 * DAY_MS + HOUR_MS


def _prune_latest(latest: LatestValues, now_ms: int) -> None:
    """Keep what is still fresh for the slowest of the feeds (older values are never used)."""
    longest_s = max(FEEDS[f].expected_interval_s for f in LATEST_FEEDS)
    latest.prune(now_ms - int(FRESH_INTERVALS * longest_s * 1000))


LATEST: Fold[LatestValues] = Fold(
    name="latest",  # sensor and camera values, newest per source and field
    measurements=frozenset(FEEDS[f].measurement for f in LATEST_FEEDS),
    new=LatestValues,
    add=fold_each(LatestValues.add),
    to_dict=LatestValues.to_dict,
    from_dict=LatestValues.from_dict,
    history=tuple(HistoryRead(FEEDS[f].measurement, RECENT_LOOKBACK_MS) for f in LATEST_FEEDS),
    prune=_prune_latest,
)


def _new_visitors() -> BucketSums:
    return BucketSums(HOUR_MS)


def _add_people(people: BucketSums, reading: Reading) -> None:
    site = reading.tags.get("site")
    count = reading.fields.get("people")
    if site in VISITOR_SITES and isinstance(count, int | float) and not isinstance(count, bool):
        people.add(reading.tags["site"], reading.time_ms, float(count))


def _prune_visitors(people: BucketSums, now_ms: int) -> None:
    people.prune(now_ms - VISITORS_LOOKBACK_MS)


VISITOR_COUNTS: Fold[BucketSums] = Fold(
    name="visitors",  # people per visitor site per clock hour
    measurements=frozenset({"camera"}),
    new=_new_visitors,
    add=fold_each(_add_people),
    to_dict=BucketSums.to_dict,
    from_dict=BucketSums.from_dict,
    history=(HistoryRead("camera", VISITORS_LOOKBACK_MS, where={"site": VISITOR_SITES}),),
    prune=_prune_visitors,
)


WATER_LEVEL: KpiSpec = KpiSpec(
    id="water.level_vs_alarm",
    name_vi="Mực nước so với báo động",
    name_en="Water level vs alarm levels",
    unit="BĐ",
    formula="Alarm index of the latest level_cm against the gauge's BĐ1/BĐ2/BĐ3: 0 at 0 cm, "
    "1 at BĐ1, 2 at BĐ2, 3 at BĐ3, linear in between (and beyond BĐ3 at the BĐ2–BĐ3 "
    "slope). Its integer part, capped at 3, is the alarm level reached.",
    scopes=("source",),
    windows=("now",),
    derives_from=Derives(
        ("sensor",),
        kind="water",
        fields=("level_cm",),
        note="alarm levels per gauge from the source catalogue",
    ),
    group="city",
    drilldown=Drilldown("/environment", {"kind": "water", "field": "level_cm"}),
    target=0.0,
    value_fn=lambda ctx: water_kpis(ctx.part(LATEST), ctx.gauges, ctx.now_ms),
    folds=(LATEST,),
)

CONGESTION: KpiSpec = KpiSpec(
    id="traffic.congestion",
    name_vi="Mức độ ùn tắc",
    name_en="Traffic congestion",
    unit="/100",
    formula="Per camera: 100 × weighted mean of occupancy_pct/100 (weight 0.4), "
    "1 − avg_speed_kmh/50 clipped to 0–1 (0.4; skipped when no vehicle passed) and "
    "queue_m/200 clipped to 0–1 (0.2), over the terms present. Site: its most congested "
    "camera among fresh readings.",
    scopes=("site",),
    windows=("now",),
    derives_from=Derives(
        ("camera",),
        fields=("occupancy_pct", "avg_speed_kmh", "queue_m", "vehicles_total"),
        tags=("site",),
    ),
    group="city",
    drilldown=Drilldown("/traffic", {"field": "occupancy_pct"}),
    target=25.0,
    value_fn=lambda ctx: traffic_kpis(ctx.part(LATEST), ctx.now_ms),
    folds=(LATEST,),
)

VISITORS: KpiSpec = KpiSpec(
    id="tourism.visitors",
    name_vi="Lượt khách tham quan (ước tính)",
    name_en="Visitors (estimate)",
    unit="people",
    formula="Sum of the people counts reported by the site's cameras, by clock hour, over "
    "the window. An estimate of footfall: a person seen in several intervals or by several "
    "cameras counts several times.",
    scopes=("site",),
    windows=("today", "7d"),
    derives_from=Derives(("camera",), site="ban-gioc-waterfall", fields=("people",)),
    group="city",
    drilldown=Drilldown("/traffic", {"site": "ban-gioc-waterfall", "field": "people"}),
    value_fn=lambda ctx: visitor_kpis(ctx.part(VISITOR_COUNTS), ctx.now_ms),
    folds=(VISITOR_COUNTS,),
)

BORDER_QUEUE: KpiSpec = KpiSpec(
    id="border.queue_m",
    name_vi="Chiều dài hàng chờ cửa khẩu",
    name_en="Border gate queue",
    unit="m",
    formula="Longest latest queue_m among the site's cameras with a fresh reading.",
    scopes=("site",),
    windows=("now",),
    derives_from=Derives(("camera",), site="ta-lung-border-gate", fields=("queue_m",)),
    group="city",
    drilldown=Drilldown("/traffic", {"site": "ta-lung-border-gate", "field": "queue_m"}),
    target=100.0,
    value_fn=lambda ctx: [border_queue_kpi(ctx.part(LATEST), ctx.now_ms)],
    folds=(LATEST,),
)

SPECS: tuple[KpiSpec, ...] = (WATER_LEVEL, CONGESTION, VISITORS, BORDER_QUEUE)
