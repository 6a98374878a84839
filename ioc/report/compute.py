"""`build_report(storage, period, …)`: the period's report, computed from storage with the KPI
definitions the wall uses.

Sections (one XLSX sheet each, one HTML section each):

- services — per district and the province: the `servicedesk.*` KPIs over the period
  (`ServiceDeskTally.stats(start, end)`, the fold behind the wall's `today`/`7d` values, fed the
  stored events of the 30-day horizon before the period's end): received, resolved, on-time
  rate, average handling hours, online share, satisfaction, hotline 1022; backlog and overdue at
  the period's end. For a day these are the engine's `today` values at 23:59:59.999.
- air — per district and the province: days by VN_AQI band, a day's band being that of its
  worst hourly VN_AQI (hour-end NowCast values, see ioc.report.replay); the worst hour.
- water — per gauge: the highest stored level, the highest alarm level it reached (BĐ1–3) and
  the hours ending at or above each level.
- traffic — per camera site: hours whose hour-end congestion index met the raise condition of
  an alert rule watching `traffic.congestion` (the one threshold definition), the worst index;
  the Tà Lùng border queue: longest, mean, hours over 500 m.
- visitors — per visitor site: people counted in the period (`tourism.visitors`' hourly sums).
- devices — per feed and district: availability = mean of the hour-end `devices.online_ratio`.
- alerts — every alert with a transition in the period: raised, acknowledged (by whom, after how
  many minutes), cleared.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ioc.alerts.rules import RULES, AlertRule
from ioc.aqi import BANDS, band
from ioc.kpis.city import BORDER_SITE, VISITOR_SITES, GaugeAlarmLevels, water_alarm
from ioc.kpis.registry import KPIS
from ioc.kpis.servicedesk import DEFAULT_HORIZON_MS, ServiceDeskStats, ServiceDeskTally
from ioc.kpis.spec import PROVINCE, parse_scope, scope_district, scope_site
from ioc.kpis.tickets import events_from_frame
from ioc.model import NS_PER_MS
from ioc.places import DISTRICTS, PLACES
from ioc.report.period import Period
from ioc.report.replay import READ_LIMIT, HourlySamples, replay
from ioc.storage import Storage
from ioc.storage.base import TimeRange

Row = dict[str, Any]
QUEUE_LONG_M = 500.0
PROVINCE_VI = "Toàn tỉnh"
FEED_VI = {"sensor": "Cảm biến", "camera": "Camera", "servicedesk": "Bộ phận một cửa"}


@dataclass
class Report:
    period: Period
    district: str | None
    generated_ms: int
    services: list[Row] = field(default_factory=list)
    air: list[Row] = field(default_factory=list)
    water: list[Row] = field(default_factory=list)
    traffic: list[Row] = field(default_factory=list)
    border: list[Row] = field(default_factory=list)
    visitors: list[Row] = field(default_factory=list)
    devices: list[Row] = field(default_factory=list)
    alerts: list[Row] = field(default_factory=list)

    @property
    def title_vi(self) -> str:
        where = DISTRICTS[self.district].name_vi if self.district else "tỉnh Cao Bằng"
        return f"Báo cáo vận hành IOC — {where} — {self.period.label_vi}"


def district_name(slug: str) -> str:
    return DISTRICTS[slug].name_vi if slug in DISTRICTS else slug


def _scopes(district: str | None) -> list[tuple[str, str]]:
    """(scope, display name) rows: the districts (or the one asked for) and the province."""
    if district is not None:
        return [(scope_district(district), district_name(district))]
    return [(scope_district(d), district_name(d)) for d in DISTRICTS] + [(PROVINCE, PROVINCE_VI)]


# -- public services ---------------------------------------------------------------------------


def services_stats(storage: Storage, period: Period) -> dict[str, ServiceDeskStats]:
    end = period.end_ms - 1
    span = TimeRange((end - DEFAULT_HORIZON_MS) * NS_PER_MS, period.end_ms * NS_PER_MS)
    tally = ServiceDeskTally()
    tally.add_all(events_from_frame(storage.records("servicedesk", span, limit=READ_LIMIT)))
    return tally.stats(period.start_ms, end)


def services_rows(stats: Mapping[str, ServiceDeskStats], district: str | None) -> list[Row]:
    rows = []
    for scope, name in _scopes(district):
        s = stats.get(scope, ServiceDeskStats())
        rows.append(
            {
                "scope": scope,
                "name": name,
                "received": s.received,
                "resolved": s.resolved,
                "on_time_rate": s.on_time_rate,
                "avg_handling_hours": s.avg_handling_hours,
                "overdue": s.overdue,
                "backlog": s.backlog,
                "online_share": s.online_share,
                "satisfaction": s.satisfaction,
                "hotline_1022": s.received_hotline,
            }
        )
    return rows


# -- city indicators (hour-end samples) --------------------------------------------------------


def air_rows(samples: HourlySamples, period: Period, district: str | None) -> list[Row]:
    """Days by band per district (worst station of the district) and the province."""
    worst: dict[tuple[str, int], float] = {}  # (scope, day index) -> worst hourly AQI
    for value in samples.of("air.vn_aqi"):
        if value.value is None or value.scope == PROVINCE:
            continue
        day = (value.ts_ms - period.start_ms) // 86_400_000
        station_district = str(value.extra.get("district") or "")
        for scope in (scope_district(station_district), PROVINCE):
            key = (scope, day)
            worst[key] = max(worst.get(key, value.value), value.value)
    rows = []
    n_days = len(period.days)
    for scope, name in _scopes(district):
        days = [worst[(scope, d)] for d in range(n_days) if (scope, d) in worst]
        counts = {b.level: 0 for b in BANDS}
        for aqi in days:
            counts[band(aqi).level] += 1
        row: Row = {"scope": scope, "name": name, "max_aqi": max(days, default=None)}
        row.update({f"band_{level}": n for level, n in counts.items()})
        row["no_data"] = n_days - len(days)
        rows.append(row)
    return rows


def water_rows(
    samples: HourlySamples,
    storage: Storage,
    period: Period,
    gauges: Mapping[str, GaugeAlarmLevels],
    names: Mapping[str, str],
    district: str | None,
) -> list[Row]:
    span = TimeRange(period.start_ms * NS_PER_MS, period.end_ms * NS_PER_MS)
    frame = storage.records("sensor", span, where={"kind": "water"}, limit=READ_LIMIT)
    rows = []
    for source, levels in sorted(gauges.items()):
        mine = frame[frame["source"] == source] if not frame.empty else frame
        values = samples.of("water.level_vs_alarm", f"source:{source}")
        gauge_district = next(
            (str(v.extra.get("district")) for v in values if v.extra.get("district")), ""
        )
        if district is not None and gauge_district and gauge_district != district:
            continue
        top = float(mine["level_cm"].max()) if not mine.empty else None
        hours = [int(v.extra.get("alarm_level", 0)) for v in values if v.value is not None]
        rows.append(
            {
                "source": source,
                "name": names.get(source, source),
                "district": district_name(gauge_district),
                "max_level_cm": top,
                "bd1": levels.bd1,
                "bd2": levels.bd2,
                "bd3": levels.bd3,
                "max_alarm": water_alarm(top, levels).alarm_level if top is not None else None,
                "hours_bd1": sum(h >= 1 for h in hours),
                "hours_bd2": sum(h >= 2 for h in hours),
                "hours_bd3": sum(h >= 3 for h in hours),
            }
        )
    return rows


def site_name(site: str, names: Mapping[str, str]) -> str:
    place = PLACES.get(site)
    return place.name_vi if place else names.get(site, site)


def traffic_rows(
    samples: HourlySamples,
    names: Mapping[str, str],
    district: str | None,
    rules: Mapping[str, AlertRule] = RULES,
) -> list[Row]:
    watching = [r for r in rules.values() if r.kpi == "traffic.congestion" and not r.value_key]
    by_site: dict[str, list[float]] = {}
    for value in samples.of("traffic.congestion"):
        if value.value is not None:
            by_site.setdefault(parse_scope(value.scope)["site"], []).append(value.value)
    rows = []
    for site, values in sorted(by_site.items()):
        place = PLACES.get(site)
        if district is not None and place is not None and place.district != district:
            continue
        rows.append(
            {
                "site": site,
                "name": site_name(site, names),
                "congestion_hours": sum(any(r.raises(v) for r in watching) for v in values),
                "max_index": max(values),
                "hours": len(values),
            }
        )
    return rows


def border_rows(samples: HourlySamples) -> list[Row]:
    queues = [
        v.value
        for v in samples.of("border.queue_m", scope_site(BORDER_SITE))
        if v.value is not None
    ]
    place = PLACES.get(BORDER_SITE)
    return [
        {
            "site": BORDER_SITE,
            "name": place.name_vi if place else BORDER_SITE,
            "max_queue_m": max(queues, default=None),
            "mean_queue_m": sum(queues) / len(queues) if queues else None,
            "hours_over_500m": sum(q > QUEUE_LONG_M for q in queues),
            "hours": len(queues),
        }
    ]


def visitor_rows(samples: HourlySamples, period: Period) -> list[Row]:
    rows = []
    for site in VISITOR_SITES:
        place = PLACES.get(site)
        total = samples.state.visitors.sum(site, period.start_ms, period.end_ms - 1)
        rows.append(
            {"site": site, "name": place.name_vi if place else site, "visitors": int(total)}
        )
    return rows


def device_rows(samples: HourlySamples, district: str | None) -> list[Row]:
    ratios: dict[str, list[float]] = {}
    for value in samples.of("devices.online_ratio"):
        if value.value is not None:
            ratios.setdefault(value.scope, []).append(value.value)
    rows = []
    for scope, values in sorted(ratios.items()):
        parts = parse_scope(scope)
        if district is not None and parts.get("district") != district:
            continue
        rows.append(
            {
                "scope": scope,
                "feed": FEED_VI.get(parts["feed"], parts["feed"]),
                "district": district_name(parts["district"])
                if "district" in parts
                else PROVINCE_VI,
                "availability": sum(values) / len(values),
                "hours": len(values),
            }
        )
    return rows


# -- alerts ------------------------------------------------------------------------------------


def _rule_name(rule: str, rules: Mapping[str, AlertRule]) -> str:
    """The Vietnamese name of the KPI a rule watches, with its threshold."""
    found = rules.get(rule)
    if found is None or found.kpi not in KPIS:
        return rule
    return f"{KPIS[found.kpi].name_vi} ({found.comparison} {found.raise_at:g})".replace(
        "above", "≥"
    ).replace("below", "<")


def alert_rows(
    storage: Storage,
    period: Period,
    names: Mapping[str, str],
    district: str | None,
    rules: Mapping[str, AlertRule],
) -> list[Row]:
    span = TimeRange(period.start_ms * NS_PER_MS, period.end_ms * NS_PER_MS)
    frame = storage.records("alert", span, limit=READ_LIMIT)
    alerts: dict[str, Row] = {}
    if frame.empty:
        return []
    for record in frame.sort_values("time").to_dict("records"):
        if district is not None and record.get("district") != district:
            continue
        at_ms = int(record["time"].timestamp() * 1000)
        row = alerts.setdefault(
            str(record["alert_id"]),
            {
                "alert_id": str(record["alert_id"]),
                "rule": record["rule"],
                "rule_vi": _rule_name(str(record["rule"]), rules),
                "scope": record["scope"],
                "target": _target(str(record["scope"]), names),
                "severity": record["severity"],
                "value": record.get("value"),
                "raised_ms": None,
                "acked_ms": None,
                "acked_by": "",
                "cleared_ms": None,
            },
        )
        if record["state"] == "active":
            row["raised_ms"] = at_ms
        elif record["state"] == "acknowledged":
            row["acked_ms"], row["acked_by"] = at_ms, record.get("by") or ""
        elif record["state"] == "cleared":
            row["cleared_ms"] = at_ms
    for row in alerts.values():
        raised, acked = row["raised_ms"], row["acked_ms"]
        row["ack_minutes"] = (
            (acked - raised) / 60_000 if raised is not None and acked is not None else None
        )
    return sorted(alerts.values(), key=lambda r: (r["raised_ms"] or 0, r["alert_id"]))


def _target(scope: str, names: Mapping[str, str]) -> str:
    try:
        parts = parse_scope(scope)
    except ValueError:
        return scope
    if "source" in parts:
        return names.get(parts["source"], parts["source"])
    if "site" in parts:
        return site_name(parts["site"], names)
    if "district" in parts:
        return district_name(parts["district"])
    return PROVINCE_VI if not parts else "/".join(parts.values())


def _in(site: str, district: str | None) -> bool:
    place = PLACES.get(site)
    return district is None or place is None or place.district == district


def build_report(
    storage: Storage,
    period: Period,
    *,
    gauges: Mapping[str, GaugeAlarmLevels],
    names: Mapping[str, str],
    generated_ms: int,
    district: str | None = None,
    rules: Mapping[str, AlertRule] | None = None,
) -> Report:
    if district is not None and district not in DISTRICTS:
        raise ValueError(f"unknown district {district!r}; one of {', '.join(DISTRICTS)}")
    samples = replay(storage, period.start_ms, period.end_ms, gauges)
    rules = rules if rules is not None else RULES
    return Report(
        period=period,
        district=district,
        generated_ms=generated_ms,
        services=services_rows(services_stats(storage, period), district),
        air=air_rows(samples, period, district),
        water=water_rows(samples, storage, period, gauges, names, district),
        traffic=traffic_rows(samples, names, district, rules),
        border=border_rows(samples) if _in(BORDER_SITE, district) else [],
        visitors=[r for r in visitor_rows(samples, period) if _in(r["site"], district)],
        devices=device_rows(samples, district),
        alerts=alert_rows(storage, period, names, district, rules),
    )
