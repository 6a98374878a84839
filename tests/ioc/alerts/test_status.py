"""One severity: a KPI value's status comes from the alert rules and their states only, so for
every KPI of the registry a critical (warning) status means an open critical (warning) alert for
that value, and the other way round (pure: registry + rule engine, hand-built values)."""

from __future__ import annotations

import pytest

from ioc.alerts.engine import alert_key, evaluate, matches
from ioc.alerts.rules import RULES, AlertRule
from ioc.alerts.status import rate, value_status
from ioc.kpis.registry import KPIS
from ioc.kpis.spec import KpiValue, make_value

NOW = 1_800_000_000_000
OPEN = {"active", "acknowledged"}  # an alert that has been raised and not cleared
EXAMPLE_SCOPES = {
    "province": "province",
    "district": "district:hoa-an",
    "site": "site:ta-lung-border-gate",
    "source": "source:x1",
    "feed": "feed:sensor",
    "feed_district": "feed:sensor/district:hoa-an",
}


def scope_for(rule: AlertRule) -> str:
    """A concrete scope a rule's first pattern matches (`source:*` -> `source:x1`)."""
    pattern = rule.scopes[0]
    if "*" not in pattern:
        return pattern
    return EXAMPLE_SCOPES[pattern.partition(":")[0]]


def levels(rules: list[AlertRule]) -> list[float]:
    """Numbers on and around every raise and clear level of the rules, rising then falling."""
    points = {0.0}
    for r in rules:
        for level in (r.raise_at, r.clear_at):
            points |= {level - 1, level - 0.01, level, level + 0.01, level + 1}
    up = sorted(points)
    return up + up[::-1]


def value_for(kpi: str, rule: AlertRule, scope: str, number: float | None) -> KpiValue:
    spec = KPIS[kpi]
    extra: dict[str, object] = {k: allowed[0] for k, allowed in rule.match.items()}
    for r in RULES.values():
        if r.kpi == kpi and r.value_key:  # the swept rule's number; the others' at rest
            extra[r.value_key] = number if r.value_key == rule.value_key else 0
    return make_value(spec, scope, rule.window, number, NOW, **extra)


def check(values: list[KpiValue], states, rules) -> None:
    for value in rate(rules, states, values):
        watching = [r for r in rules if matches(r, value)]
        open_severities = {
            s.severity
            for r in watching
            if (s := states.get(alert_key(r.id, value.scope))) is not None and s.state in OPEN
        }
        if value.status == "critical":
            assert "critical" in open_severities, value
        elif value.status == "warning":
            assert "warning" in open_severities and "critical" not in open_severities, value
        else:
            assert not open_severities & {"critical", "warning"}, (value, open_severities)
        assert (value.status == "unrated") == (not watching and value.value is not None), value


WATCHED = sorted({r.kpi for r in RULES.values()})


@pytest.mark.parametrize("kpi", WATCHED)
def test_a_critical_status_means_an_open_critical_alert_and_back(kpi):
    rules = [r for r in RULES.values() if r.kpi == kpi]
    seen = set()
    for rule in rules:
        scope = scope_for(rule)
        states: dict = {}
        now = NOW
        longest = max(r.min_duration_s for r in rules) * 1000
        for number in [None, *levels(rules)]:
            values = [value_for(kpi, rule, scope, number)]
            # before, halfway through and after the longest hold time
            for step in (0, longest // 2 + 1, longest + 1000):
                now += step
                states = evaluate(rules, states, values, now).states
                check(values, states, rules)
                seen |= {v.status for v in rate(rules, states, values)}
    assert {"ok", "no_data"} <= seen, kpi
    assert {r.severity for r in rules} - {"info"} <= seen, kpi  # every level was reached


def test_every_kpi_no_rule_watches_is_unrated_whatever_its_value():
    unwatched = [spec for kpi, spec in KPIS.items() if kpi not in WATCHED]
    assert unwatched  # e.g. the on-time rate: its tile says it is unrated
    for spec in unwatched:
        for kind in spec.scopes:
            for window in spec.windows:
                for number in (0.0, 50.0, 1e6):
                    value = make_value(spec, EXAMPLE_SCOPES[kind], window, number, NOW)
                    assert value_status(RULES.values(), {}, value) == "unrated", value


def test_an_open_alert_keeps_its_status_while_the_value_is_missing():
    rule = RULES["water.bd3"]
    value = make_value(KPIS[rule.kpi], "source:g1", "now", 3.5, NOW)
    states = evaluate([rule], {}, [value], NOW).states
    states = evaluate([rule], states, [value], NOW + 200_000).states
    silent = make_value(KPIS[rule.kpi], "source:g1", "now", None, NOW + 300_000)
    assert value_status([rule], states, silent) == "critical"  # the alert is still open
    assert value_status([rule], {}, silent) == "no_data"


def test_the_rules_in_force_decide_not_the_built_in_ones():
    spec = KPIS["traffic.congestion"]
    value = make_value(spec, "site:ta-lung-border-gate", "now", 95.0, NOW)
    assert value_status([], {}, value) == "unrated"  # a rules file without congestion rules
    severe = RULES["traffic.congestion_severe"]
    states = evaluate([severe], {}, [value], NOW).states
    assert value_status([severe], states, value) == "ok"  # pending: not an alert yet
    states = evaluate([severe], states, [value], NOW + 300_000).states
    assert value_status([severe], states, value) == "critical"


def test_congestion_at_85_raises_a_critical_alert():
    # "85 /100 Nghiêm trọng" in red with no alert: now 85 is critical only through its alert
    spec = KPIS["traffic.congestion"]
    value = make_value(spec, "site:ta-lung-border-gate", "now", 85.0, NOW)
    rules = [r for r in RULES.values() if r.kpi == spec.id]
    states = evaluate(rules, {}, [value], NOW).states
    states = evaluate(rules, states, [value], NOW + 300_000).states
    open_alerts = {s.rule: s.severity for s in states.values() if s.state in OPEN}
    assert open_alerts == {
        "traffic.congestion_high": "warning",
        "traffic.congestion_severe": "critical",
    }
    assert value_status(rules, states, value) == "critical"


def test_a_kpi_target_raises_no_alert():
    for rule in RULES.values():
        target = KPIS[rule.kpi].target
        if target is not None and not rule.value_key:
            assert not rule.raises(target), rule.id
