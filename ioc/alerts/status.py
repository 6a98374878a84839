"""A KPI value's status, from the one threshold definition: the alert rules and their states.

For a value (KPI, window, scope, `extra`) the rules *watching* it are those `matches()` accepts
(same KPI and window, a scope pattern and `match` that fit). Its status is

    critical / warning   an alert of a watching rule is open (active or acknowledged) for the
                         value's scope: the most severe one (an `info` alert counts as ok)
    no_data              no number, and no open alert
    ok                   rules watch it and none of their alerts is open for it (pending —
                         the raise condition not yet held for `min_duration_s` — is not open)
    unrated              no rule watches it

so a value is critical exactly while its critical alert is open. Pure: no I/O.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import replace

from ioc.alerts.engine import AlertState, alert_key, matches
from ioc.alerts.rules import AlertRule
from ioc.kpis.spec import KpiValue, Status

OPEN = frozenset({"active", "acknowledged"})


def value_status(
    rules: Iterable[AlertRule], states: Mapping[str, AlertState], value: KpiValue
) -> Status:
    """The status of one value given the rules in force and the current alert states."""
    watching = [r for r in rules if matches(r, value)]
    severities = set()
    for rule in watching:
        state = states.get(alert_key(rule.id, value.scope))
        if state is not None and state.state in OPEN:
            severities.add(state.severity)
    if "critical" in severities:
        return "critical"
    if "warning" in severities:
        return "warning"
    if value.value is None:
        return "no_data"
    return "ok" if watching else "unrated"


def rate(
    rules: Iterable[AlertRule], states: Mapping[str, AlertState], values: Iterable[KpiValue]
) -> list[KpiValue]:
    """The values, each with its status judged by `value_status`."""
    by_kpi: dict[str, list[AlertRule]] = {}
    for rule in rules:
        by_kpi.setdefault(rule.kpi, []).append(rule)
    out = []
    for value in values:
        status = value_status(by_kpi.get(value.id, ()), states, value)
        out.append(value if status == value.status else replace(value, status=status))
    return out
