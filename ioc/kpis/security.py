"""Information-security KPIs (EDR/SOC): open incidents, detections, coverage, time to contain.

Folds over the `security` measurement (ioc.feeds.security):

- `incidents` — per incident id: its console (source), district, agency, severity and the times
  it was opened, contained and resolved (the first of each event; a redelivered event changes
  nothing). Kept 30 days after its last event.
- `detections` — each malware_detected point (console and time): its district and whether the
  action handled it (blocked, quarantined, cleaned). Kept 8 days.
- `inventory` — the latest inventory of each EDR console (newest wins).

Definitions (now = the evaluation time):

- open incident: opened and not resolved (contained ones are still open). Uncontained: opened,
  neither contained nor resolved.
- security.open_incidents (now): open incidents of the scope; `extra` has them by severity
  (`critical`, `high`, `medium`, `low`), `uncontained`, and `uncontained_h`, the age in hours of
  the oldest uncontained high or critical incident (0 when there is none) — the alert rules
  read `critical` and `uncontained_h`.
- security.malware_today (today): malware_detected events since local midnight.
- security.blocked_share (today, 7d): handled detections ÷ detections × 100 (None without any).
- security.edr_coverage (now): Σ endpoints_reporting ÷ Σ endpoints_total × 100 over the latest
  inventory of each EDR console of the scope (per source: that console's agency).
- security.mttc_hours / security.mttr_hours (7d): mean of contained − opened (resolved −
  opened), in hours, over the incidents contained (resolved) in the last 7 days.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ioc.feeds.security import HANDLED_ACTIONS, SECURITY_SEVERITIES
from ioc.kpis.fold import Fold, HistoryRead, KpiContext, fold_each
from ioc.kpis.spec import (
    DAY_MS,
    HOUR_MS,
    PROVINCE,
    Derives,
    Drilldown,
    KpiSpec,
    KpiValue,
    Window,
    make_value,
    scope_district,
    scope_source,
    window_start_ms,
)
from ioc.model import Reading

MEASUREMENT = "security"
INCIDENT_EVENTS = ("incident_opened", "incident_contained", "incident_resolved")
INCIDENT_HORIZON_MS = 30 * DAY_MS
DETECTION_LOOKBACK_MS = 8 * DAY_MS
INVENTORY_LOOKBACK_MS = 2 * HOUR_MS
SERIOUS = frozenset({"high", "critical"})
_STAMP = {
    "incident_opened": "opened",
    "incident_contained": "contained",
    "incident_resolved": "resolved",
}


@dataclass(slots=True)
class Incident:
    source: str
    district: str
    agency: str
    severity: str
    opened: int | None = None
    contained: int | None = None
    resolved: int | None = None
    threat: str = ""

    @property
    def last_ms(self) -> int:
        return max(t for t in (self.opened, self.contained, self.resolved) if t is not None)

    def to_list(self) -> list[Any]:
        return [
            self.source,
            self.district,
            self.agency,
            self.severity,
            self.opened,
            self.contained,
            self.resolved,
            self.threat,
        ]


Incidents = dict[str, Incident]


def _add_incident(incidents: Incidents, reading: Reading) -> None:
    stamp = _STAMP.get(reading.tags.get("event", ""))
    incident_id = reading.fields.get("incident_id")
    if stamp is None or not isinstance(incident_id, str):
        return
    tags = reading.tags
    incident = incidents.get(incident_id)
    if incident is None:
        incident = incidents[incident_id] = Incident(
            tags["source"], tags["district"], tags.get("agency", ""), tags.get("severity", "")
        )
    if stamp == "opened":
        incident.severity = tags.get("severity", incident.severity)
        threat = reading.fields.get("threat")
        if isinstance(threat, str):
            incident.threat = threat
    previous = getattr(incident, stamp)
    if previous is None or reading.time_ms < previous:
        setattr(incident, stamp, reading.time_ms)


def _prune_incidents(incidents: Incidents, now_ms: int) -> None:
    for key in [k for k, i in incidents.items() if i.last_ms < now_ms - INCIDENT_HORIZON_MS]:
        del incidents[key]


INCIDENTS: Fold[Incidents] = Fold(
    name="incidents",
    measurements=frozenset({MEASUREMENT}),
    new=dict,
    add=fold_each(_add_incident),
    to_dict=lambda part: {k: i.to_list() for k, i in part.items()},
    from_dict=lambda data: {k: Incident(*v) for k, v in data.items()},
    history=(HistoryRead(MEASUREMENT, INCIDENT_HORIZON_MS, where={"event": INCIDENT_EVENTS}),),
    prune=_prune_incidents,
)


# "<source>|<time_ns>" -> [ts_ms, district, source, handled]: one entry per stored point, so a
# redelivered message (the same point again) is counted once, as storage keeps it once.
Detections = dict[str, list[Any]]


def _add_detection(detections: Detections, reading: Reading) -> None:
    if reading.tags.get("event") != "malware_detected":
        return
    handled = reading.tags.get("action") in HANDLED_ACTIONS
    key = f"{reading.tags['source']}|{reading.time_ns}"
    detections[key] = [reading.time_ms, reading.tags["district"], reading.tags["source"], handled]


def _prune_detections(detections: Detections, now_ms: int) -> None:
    for key in [k for k, d in detections.items() if d[0] < now_ms - DETECTION_LOOKBACK_MS]:
        del detections[key]


DETECTIONS: Fold[Detections] = Fold(
    name="detections",
    measurements=frozenset({MEASUREMENT}),
    new=dict,
    add=fold_each(_add_detection),
    to_dict=dict,
    from_dict=dict,
    history=(
        HistoryRead(MEASUREMENT, DETECTION_LOOKBACK_MS, where={"event": ("malware_detected",)}),
    ),
    prune=_prune_detections,
)

# console -> [ts_ms, district, agency, total, reporting, outdated]
Inventory = dict[str, list[Any]]


def _add_inventory(inventory: Inventory, reading: Reading) -> None:
    if reading.tags.get("event") != "inventory":
        return
    known = inventory.get(reading.tags["source"])
    if known is not None and known[0] > reading.time_ms:
        return
    f = reading.fields
    inventory[reading.tags["source"]] = [
        reading.time_ms,
        reading.tags["district"],
        reading.tags.get("agency", ""),
        f.get("endpoints_total", 0),
        f.get("endpoints_reporting", 0),
        f.get("agents_outdated"),
    ]


INVENTORY: Fold[Inventory] = Fold(
    name="inventory",
    measurements=frozenset({MEASUREMENT}),
    new=dict,
    add=fold_each(_add_inventory),
    to_dict=dict,
    from_dict=dict,
    history=(HistoryRead(MEASUREMENT, INVENTORY_LOOKBACK_MS, where={"event": ("inventory",)}),),
)


def _scopes(district: str, source: str | None = None) -> list[str]:
    out = [PROVINCE, scope_district(district)]
    return out if source is None else [*out, scope_source(source)]


def incident_kpis(incidents: Incidents, now_ms: int) -> list[KpiValue]:
    """security.open_incidents (province, district, console) and mttc/mttr (province, district)."""
    open_by: dict[str, dict[str, Any]] = {}
    contain: dict[str, list[float]] = {}
    resolve: dict[str, list[float]] = {}
    week = now_ms - 7 * DAY_MS
    for incident_id, i in sorted(incidents.items()):
        if i.opened is None or i.opened > now_ms:
            continue
        is_open = i.resolved is None or i.resolved > now_ms
        uncontained = is_open and (i.contained is None or i.contained > now_ms)
        for scope in _scopes(i.district, i.source):
            entry = open_by.setdefault(scope, _open_entry())
            if is_open:
                entry["open"] += 1
                entry[i.severity] = entry.get(i.severity, 0) + 1
                entry["ids"].append(incident_id)
            if uncontained:
                entry["uncontained"] += 1
                if i.severity in SERIOUS:
                    age_h = (now_ms - i.opened) / HOUR_MS
                    entry["uncontained_h"] = max(entry["uncontained_h"], round(age_h, 2))
        for scope in _scopes(i.district):
            if i.contained is not None and week <= i.contained <= now_ms:
                contain.setdefault(scope, []).append((i.contained - i.opened) / HOUR_MS)
            if i.resolved is not None and week <= i.resolved <= now_ms:
                resolve.setdefault(scope, []).append((i.resolved - i.opened) / HOUR_MS)
    open_by.setdefault(PROVINCE, _open_entry())
    out = []
    for scope, e in sorted(open_by.items()):
        extra = {s: e.get(s, 0) for s in SECURITY_SEVERITIES}
        out.append(
            make_value(
                OPEN_INCIDENTS,
                scope,
                "now",
                e["open"],
                now_ms,
                **extra,
                uncontained=e["uncontained"],
                uncontained_h=e["uncontained_h"],
                incidents=e["ids"][:10],
            )
        )
    for spec, times in ((MTTC, contain), (MTTR, resolve)):
        for scope in sorted({PROVINCE, *times}):
            hours = times.get(scope, [])
            mean = sum(hours) / len(hours) if hours else None
            out.append(make_value(spec, scope, "7d", mean, now_ms, incidents=len(hours)))
    return out


def _open_entry() -> dict[str, Any]:
    return {"open": 0, "uncontained": 0, "uncontained_h": 0.0, "ids": []}


def detection_kpis(detections: Detections, now_ms: int) -> list[KpiValue]:
    """security.malware_today (today) and security.blocked_share (today, 7d)."""
    out = []
    windows: tuple[Window, ...] = ("today", "7d")
    for window in windows:
        start = window_start_ms(window, now_ms)
        totals: dict[str, list[int]] = {PROVINCE: [0, 0]}
        for ts, district, _source, handled in detections.values():
            if not start <= ts <= now_ms:
                continue
            for scope in _scopes(district):
                cell = totals.setdefault(scope, [0, 0])
                cell[0] += 1
                cell[1] += 1 if handled else 0
        for scope, (n, handled_n) in sorted(totals.items()):
            if window == "today":
                out.append(make_value(MALWARE_TODAY, scope, "today", n, now_ms, handled=handled_n))
            share = 100.0 * handled_n / n if n else None
            out.append(
                make_value(
                    BLOCKED_SHARE, scope, window, share, now_ms, detections=n, handled=handled_n
                )
            )
    return out


def coverage_kpis(inventory: Inventory, now_ms: int) -> list[KpiValue]:
    """security.edr_coverage from the latest inventory of each console."""
    sums: dict[str, list[int]] = {}
    agencies: dict[str, str] = {}
    for source, (ts, district, agency, total, reporting, outdated) in sorted(inventory.items()):
        if ts > now_ms:
            continue
        agencies[scope_source(source)] = agency
        for scope in _scopes(district, source):
            cell = sums.setdefault(scope, [0, 0, 0])
            cell[0] += int(total)
            cell[1] += int(reporting)
            cell[2] += int(outdated or 0)
    out = []
    for scope, (total, reporting, outdated) in sorted(sums.items()):
        share = 100.0 * reporting / total if total else None
        extra: dict[str, Any] = {
            "endpoints_total": total,
            "endpoints_reporting": reporting,
            "agents_outdated": outdated,
        }
        if scope in agencies:
            extra["agency"] = agencies[scope]
        out.append(make_value(EDR_COVERAGE, scope, "now", share, now_ms, **extra))
    return out


def _derives(*fields: str, tags: tuple[str, ...] = ("event",)) -> Derives:
    return Derives((MEASUREMENT,), fields=fields, tags=tags)


def _drill(**params: str) -> Drilldown:
    return Drilldown("/security", params)


OPEN_INCIDENTS = KpiSpec(
    id="security.open_incidents",
    name_vi="Sự cố an toàn thông tin đang mở",
    name_en="Open security incidents",
    unit="incidents",
    formula="Incidents opened (incident_opened) and not yet resolved (incident_resolved), by "
    "incident_id; by severity in extra, with those not yet contained.",
    scopes=("province", "district", "source"),
    windows=("now",),
    derives_from=_derives("incident_id", tags=("event", "severity")),
    group="security",
    drilldown=_drill(field="incidents"),
    target=0.0,
    value_fn=lambda ctx: [v for v in _incidents(ctx) if v.id == "security.open_incidents"],
    folds=(INCIDENTS,),
)
MALWARE_TODAY = KpiSpec(
    id="security.malware_today",
    name_vi="Mã độc phát hiện hôm nay",
    name_en="Malware detected today",
    unit="detections",
    formula="malware_detected events since local midnight.",
    scopes=("province", "district"),
    windows=("today",),
    derives_from=_derives("events", tags=("event", "action")),
    group="security",
    drilldown=_drill(event="malware_detected", range="24h"),
    value_fn=lambda ctx: [v for v in _detections(ctx) if v.id == "security.malware_today"],
    folds=(DETECTIONS,),
)
BLOCKED_SHARE = KpiSpec(
    id="security.blocked_share",
    name_vi="Tỷ lệ mã độc được ngăn chặn",
    name_en="Malware blocked or cleaned",
    unit="%",
    formula="malware_detected events whose action is blocked, quarantined or cleaned ÷ all "
    "malware_detected events of the window × 100.",
    scopes=("province", "district"),
    windows=("today", "7d"),
    derives_from=_derives("events", tags=("event", "action")),
    group="security",
    drilldown=_drill(event="malware_detected", range="7d"),
    target=99.0,
    direction="higher_is_better",
    value_fn=lambda ctx: [v for v in _detections(ctx) if v.id == "security.blocked_share"],
    folds=(DETECTIONS,),
)
EDR_COVERAGE = KpiSpec(
    id="security.edr_coverage",
    name_vi="Độ phủ giám sát EDR",
    name_en="EDR coverage",
    unit="%",
    formula="Σ endpoints_reporting ÷ Σ endpoints_total × 100 over the latest inventory of each "
    "EDR console of the scope (a console is one agency).",
    scopes=("province", "district", "source"),
    windows=("now",),
    derives_from=_derives("endpoints_total", "endpoints_reporting"),
    group="security",
    drilldown=_drill(event="inventory", field="endpoints_reporting"),
    target=98.0,
    direction="higher_is_better",
    value_fn=lambda ctx: coverage_kpis(ctx.part(INVENTORY), ctx.now_ms),
    folds=(INVENTORY,),
)
MTTC = KpiSpec(
    id="security.mttc_hours",
    name_vi="Thời gian khoanh vùng trung bình",
    name_en="Mean time to contain",
    unit="h",
    formula="Mean of incident_contained − incident_opened, in hours, over the incidents "
    "contained in the last 7 days.",
    scopes=("province", "district"),
    windows=("7d",),
    derives_from=_derives("incident_id", tags=("event", "severity")),
    group="security",
    drilldown=_drill(field="incidents", range="7d"),
    target=2.0,
    value_fn=lambda ctx: [v for v in _incidents(ctx) if v.id == "security.mttc_hours"],
    folds=(INCIDENTS,),
)
MTTR = KpiSpec(
    id="security.mttr_hours",
    name_vi="Thời gian xử lý sự cố trung bình",
    name_en="Mean time to resolve",
    unit="h",
    formula="Mean of incident_resolved − incident_opened, in hours, over the incidents "
    "resolved in the last 7 days.",
    scopes=("province", "district"),
    windows=("7d",),
    derives_from=_derives("incident_id", tags=("event", "severity")),
    group="security",
    drilldown=_drill(field="incidents", range="7d"),
    target=12.0,
    value_fn=lambda ctx: [v for v in _incidents(ctx) if v.id == "security.mttr_hours"],
    folds=(INCIDENTS,),
)


def _incidents(ctx: KpiContext) -> list[KpiValue]:
    return ctx.memo("security.incidents", lambda: incident_kpis(ctx.part(INCIDENTS), ctx.now_ms))


def _detections(ctx: KpiContext) -> list[KpiValue]:
    return ctx.memo("security.detections", lambda: detection_kpis(ctx.part(DETECTIONS), ctx.now_ms))


SPECS: tuple[KpiSpec, ...] = (
    OPEN_INCIDENTS,
    MALWARE_TODAY,
    BLOCKED_SHARE,
    EDR_COVERAGE,
    MTTC,
    MTTR,
)

# Default alert rules of these KPIs (ioc.alerts.rules collects them; an operator's rules file
# replaces them all). Per console (= agency), so the wall groups them by rule.
ALERT_RULES: tuple[dict[str, object], ...] = (
    {
        "id": "security.critical_incident",
        "description": "A critical incident open at an agency (opened, not resolved).",
        "kpi": "security.open_incidents",
        "window": "now",
        "scopes": ["source:*"],
        "value_key": "critical",
        "comparison": "above",
        "raise_at": 1,
        "clear_at": 1,
        "min_duration_s": 0,
        "severity": "critical",
        "message_vi": "Sự cố nghiêm trọng đang mở tại {target}: {critical} sự cố",
        "message_en": "Critical incident open at {target}: {critical} incident(s)",
    },
    {
        "id": "security.not_contained",
        "description": "A high or critical incident not contained within 4 hours of opening.",
        "kpi": "security.open_incidents",
        "window": "now",
        "scopes": ["source:*"],
        "value_key": "uncontained_h",
        "comparison": "above",
        "raise_at": 4,
        "clear_at": 4,
        "min_duration_s": 0,
        "severity": "warning",
        "message_vi": "Sự cố tại {target} chưa được khoanh vùng sau {uncontained_h} giờ",
        "message_en": "Incident at {target} not contained after {uncontained_h} h",
    },
    {
        "id": "security.edr_coverage_low",
        "description": "An agency's EDR coverage under 90 % (clears at 92 %).",
        "kpi": "security.edr_coverage",
        "window": "now",
        "scopes": ["source:*"],
        "comparison": "below",
        "raise_at": 90,
        "clear_at": 92,
        "min_duration_s": 0,
        "severity": "warning",
        "message_vi": "Độ phủ EDR tại {target} chỉ {value} %",
        "message_en": "EDR coverage at {target} only {value} %",
    },
)
