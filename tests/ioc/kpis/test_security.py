"""Security KPIs on hand-built events (made by the feed's own parser), arithmetic in the test."""

from __future__ import annotations

import orjson
import pytest

from collectors.feeds import security as parser
from collectors.topics import parse_topic
from ioc.alerts.engine import evaluate
from ioc.alerts.rules import RULES
from ioc.kpis.state import KpiState
from ioc.model import NS_PER_MS
from tests.ioc.kpis.data import ms

HOUR = 3_600_000
NOW = ms(8, 12)  # Wednesday 2020-07-08 12:00 in Cao Bằng
CITY, HOA_AN = "thanh-pho-cao-bang", "hoa-an"


def event(console, district, at_ms, event, **fields):
    """A security reading exactly as the collector stores it."""
    agency = console.removeprefix("edr-")
    body = {"ts": at_ms, "system": "edr", "agency": agency, "event": event, **fields}
    topic = parse_topic(f"ioc/security/{district}/{console}")
    return parser.parse(topic, orjson.dumps(body), at_ms * NS_PER_MS)[0]


def incident(console, district, incident_id, opened, contained=None, resolved=None, sev="high"):
    out = [
        event(
            console,
            district,
            opened,
            "incident_opened",
            severity=sev,
            incident_id=incident_id,
            threat="Backdoor.Win32.PlugX",
        )
    ]
    for at, name in ((contained, "incident_contained"), (resolved, "incident_resolved")):
        if at is not None:
            out.append(event(console, district, at, name, severity=sev, incident_id=incident_id))
    return out


def detection(console, district, at_ms, action):
    return event(
        console,
        district,
        at_ms,
        "malware_detected",
        severity="medium",
        endpoint="PC-01",
        threat="Trojan.Win32.Agent",
        action=action,
    )


def inventory(console, district, at_ms, total, reporting, outdated=0):
    return event(
        console,
        district,
        at_ms,
        "inventory",
        endpoints_total=total,
        endpoints_reporting=reporting,
        agents_outdated=outdated,
    )


READINGS = [
    # A: critical, city; contained after 2 h 30, resolved after 24 h
    *incident("edr-so-y-te", CITY, "EDR-A", ms(7, 9), ms(7, 11, 30), ms(8, 9), sev="critical"),
    # B: high, Hòa An; contained after 45 min, still open
    *incident("edr-ubnd-hoa-an", HOA_AN, "EDR-B", ms(8, 10), ms(8, 10, 45)),
    # C: medium, city; opened an hour ago, neither contained nor resolved
    *incident("edr-so-tttt", CITY, "EDR-C", ms(8, 11), sev="medium"),
    # D: high, city; opened 5 h ago, not contained (over the 4 h of the rule)
    *incident("edr-so-tttt", CITY, "EDR-D", ms(8, 7)),
    # today: three detections, two handled; yesterday one unhandled
    detection("edr-so-y-te", CITY, ms(8, 8), "quarantined"),
    detection("edr-so-y-te", CITY, ms(8, 9), "blocked"),
    detection("edr-ubnd-hoa-an", HOA_AN, ms(8, 10), "none"),
    detection("edr-ubnd-hoa-an", HOA_AN, ms(7, 15), "none"),
    # inventories: the newest per console counts
    inventory("edr-so-y-te", CITY, ms(8, 10), 120, 100),
    inventory("edr-so-y-te", CITY, ms(8, 11), 120, 114, 6),
    inventory("edr-ubnd-hoa-an", HOA_AN, ms(8, 11), 80, 80),
]


def values(readings=READINGS, now=NOW):
    state = KpiState()
    state.add(readings)
    return {(v.id, v.scope, v.window): v for v in state.kpis(now)}


def test_open_incidents_by_severity_and_containment():
    v = values()
    province = v["security.open_incidents", "province", "now"]
    assert province.value == 3  # B, C, D (A is resolved)
    assert (province.extra["critical"], province.extra["high"], province.extra["medium"]) == (
        0,
        2,
        1,
    )
    assert province.extra["uncontained"] == 2  # C and D
    assert province.extra["uncontained_h"] == 5.0  # D, high, opened at 07:00 (C is medium)
    assert v["security.open_incidents", "district:hoa-an", "now"].value == 1
    assert v["security.open_incidents", "source:edr-so-tttt", "now"].value == 2
    # at 10:00 on the 7th, A was open and critical
    earlier = values(now=ms(7, 10))
    assert earlier["security.open_incidents", "source:edr-so-y-te", "now"].extra["critical"] == 1


def test_mean_time_to_contain_and_resolve_over_seven_days():
    v = values()
    # contained within the last 7 days: A after 2.5 h, B after 0.75 h
    assert v["security.mttc_hours", "province", "7d"].value == pytest.approx((2.5 + 0.75) / 2)
    assert v["security.mttc_hours", "district:thanh-pho-cao-bang", "7d"].value == 2.5
    assert v["security.mttr_hours", "province", "7d"].value == 24.0  # only A is resolved
    # nine days later nothing was contained in the window: no value, never 0
    assert values(now=ms(17, 12))["security.mttc_hours", "province", "7d"].value is None


def test_detections_today_and_share_blocked():
    v = values()
    assert v["security.malware_today", "province", "today"].value == 3
    assert v["security.blocked_share", "province", "today"].value == pytest.approx(200 / 3)
    assert v["security.blocked_share", "province", "7d"].value == 50.0  # 2 of 4
    assert v["security.blocked_share", "district:hoa-an", "today"].value == 0.0


def test_edr_coverage_from_the_latest_inventory_per_console():
    v = values()
    assert v["security.edr_coverage", "source:edr-so-y-te", "now"].value == 95.0  # 114/120
    assert v["security.edr_coverage", "province", "now"].value == pytest.approx(
        100 * (114 + 80) / (120 + 80)
    )
    assert v["security.edr_coverage", "source:edr-so-y-te", "now"].extra["agents_outdated"] == 6


def test_redelivered_events_change_nothing():
    assert values(READINGS + READINGS) == values()


def test_alert_rules_read_the_counts_behind_the_value():
    rules = [RULES[r] for r in ("security.critical_incident", "security.not_contained")]
    at_10 = list(values(now=ms(7, 10)).values())
    raised = evaluate(rules, {}, at_10, ms(7, 10))
    active = {(s.rule, s.scope) for s in raised.states.values() if s.state == "active"}
    assert ("security.critical_incident", "source:edr-so-y-te") in active
    # A resolved the next morning: the critical alert clears
    later = evaluate(rules, raised.states, list(values(now=ms(8, 9, 1)).values()), ms(8, 9, 1))
    cleared = {s.scope for s in later.states.values() if s.state == "cleared"}
    assert "source:edr-so-y-te" in cleared
    # D is high and 5 h uncontained at noon: not contained in time
    noon = evaluate(rules, {}, list(values().values()), NOW)
    assert ("security.not_contained", "source:edr-so-tttt") in {
        (s.rule, s.scope) for s in noon.states.values() if s.state == "active"
    }
