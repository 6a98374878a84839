"""The alert state machine: pure functions from (states, KPI values, now) to (states, transitions).

Per rule and scope (key `<rule>|<scope>`) an alert goes

    (none) --raise condition--> pending --held min_duration_s--> active --ack--> acknowledged
                                   |                                |                |
                                   +-- condition gone: dropped      +--clear cond.---+--> cleared

- pending: the raise condition holds but not yet for `min_duration_s` (a rule with 0 goes
  straight to active); it is dropped, silently, the first time the raise condition does not hold.
- active: raised at the evaluation where the condition had held long enough; the alert gets its
  id `<rule>:<scope>:<raised epoch ms>`, e.g. `water.bd3:source:gauge-bang-giang-01:1593565200000`.
- acknowledged: `ack()` by an operator (who, when, comment); it still clears by itself.
- cleared: the clear condition holds (hysteresis, see ioc.alerts.rules). The state is kept (for
  the wall screen) until `prune_cleared()`; the condition coming back starts a new alert with a
  new id.
A key with no value in an evaluation (no data, KPI not computed) keeps its state unchanged.

Transitions (raised, acknowledged, cleared) become `Reading`s of measurement `alert` (the audit
trail in InfluxDB) via `AlertTransition.to_reading()`; states round-trip through dicts for Redis.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, replace
from typing import Any, Literal

from ioc.alerts.rules import AlertRule
from ioc.feeds import ALERT
from ioc.kpis.spec import KpiValue, parse_scope
from ioc.model import NS_PER_MS, FieldValue, Reading
from ioc.places import DISTRICTS, PLACES

AlertStatus = Literal["pending", "active", "acknowledged", "cleared"]
TransitionState = Literal["active", "acknowledged", "cleared"]
MEASUREMENT = ALERT.measurement


@dataclass(frozen=True, slots=True)
class AlertState:
    rule: str
    scope: str
    state: AlertStatus
    severity: str
    since_ms: int  # when the raise condition was first seen holding
    value: float  # the latest value seen
    updated_ms: int  # the latest evaluation that saw a value
    alert_id: str = ""  # set when raised
    raised_ms: int | None = None
    acked_by: str = ""
    acked_ms: int | None = None
    ack_comment: str = ""
    cleared_ms: int | None = None
    message_vi: str = ""
    message_en: str = ""
    kpi: str = ""  # the KPI the rule watches (its drill-down is the alert's page)

    @property
    def key(self) -> str:
        return alert_key(self.rule, self.scope)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> AlertState:
        return cls(**data)


@dataclass(frozen=True, slots=True)
class AlertTransition:
    """One step of an alert's life, as written to the audit trail."""

    alert_id: str
    rule: str
    scope: str
    severity: str
    state: TransitionState
    at_ms: int
    value: float
    by: str = ""
    comment: str = ""
    message_vi: str = ""
    message_en: str = ""

    def to_reading(self) -> Reading:
        """Measurement `alert`: tags rule, severity, scope, state (+ district and source taken
        from the scope, empty when it has none); fields alert_id, value, by, comment."""
        parts = parse_scope(self.scope)
        tags = {
            "district": parts.get("district", ""),
            "source": parts.get("source", ""),
            "rule": self.rule,
            "severity": self.severity,
            "scope": self.scope,
            "state": self.state,
        }
        fields: dict[str, FieldValue] = {
            "alert_id": self.alert_id,
            "value": float(self.value),
            "by": self.by,
            "comment": self.comment,
        }
        return Reading(MEASUREMENT, self.at_ms * NS_PER_MS, tags, fields)


@dataclass(frozen=True, slots=True)
class Evaluation:
    states: dict[str, AlertState]
    transitions: list[AlertTransition]


def alert_key(rule: str, scope: str) -> str:
    return f"{rule}|{scope}"


def matches(rule: AlertRule, value: KpiValue) -> bool:
    if value.id != rule.kpi or value.window != rule.window:
        return False
    if not any(fnmatch.fnmatchcase(value.scope, pattern) for pattern in rule.scopes):
        return False
    return all(str(value.extra.get(k)) in allowed for k, allowed in rule.match.items())


def evaluate(
    rules: Iterable[AlertRule],
    states: Mapping[str, AlertState],
    values: Iterable[KpiValue],
    now_ms: int,
) -> Evaluation:
    """Advance every alert to `now_ms` given the current KPI values; returns the new states (all
    of them, untouched ones included) and the transitions in rule order."""
    new_states = dict(states)
    transitions: list[AlertTransition] = []
    values = list(values)
    for rule in rules:
        current = {
            v.scope: v
            for v in values
            if matches(rule, v) and rule.value_of(v.value, v.extra) is not None
        }
        for scope in sorted(current):
            value = current[scope]
            key = alert_key(rule.id, scope)
            state, transition = _step(rule, new_states.get(key), value, now_ms)
            if state is None:
                new_states.pop(key, None)
            else:
                new_states[key] = state
            if transition is not None:
                transitions.append(transition)
    return Evaluation(new_states, transitions)


def _step(
    rule: AlertRule, prev: AlertState | None, kpi: KpiValue, now_ms: int
) -> tuple[AlertState | None, AlertTransition | None]:
    value = rule.value_of(kpi.value, kpi.extra)
    assert value is not None
    if prev is None or prev.state == "cleared":
        if not rule.raises(value):
            return prev, None
        pending = AlertState(
            rule.id, kpi.scope, "pending", rule.severity, now_ms, value, now_ms, kpi=rule.kpi
        )
        return _maybe_raise(rule, pending, kpi, now_ms)
    if prev.state == "pending":
        if not rule.raises(value):
            return None, None
        return _maybe_raise(rule, replace(prev, value=value, updated_ms=now_ms), kpi, now_ms)
    if rule.clears(value):
        cleared = replace(prev, state="cleared", value=value, updated_ms=now_ms, cleared_ms=now_ms)
        return cleared, _transition(cleared, "cleared", now_ms)
    return replace(prev, value=value, updated_ms=now_ms), None


def _maybe_raise(
    rule: AlertRule, pending: AlertState, kpi: KpiValue, now_ms: int
) -> tuple[AlertState, AlertTransition | None]:
    if now_ms - pending.since_ms < rule.min_duration_s * 1000:
        return pending, None
    vi, en = render(rule, kpi)
    active = replace(
        pending,
        state="active",
        alert_id=f"{rule.id}:{kpi.scope}:{now_ms}",
        raised_ms=now_ms,
        message_vi=vi,
        message_en=en,
    )
    return active, _transition(active, "active", now_ms)


def _transition(
    state: AlertState, new: TransitionState, at_ms: int, by: str = "", comment: str = ""
) -> AlertTransition:
    return AlertTransition(
        state.alert_id,
        state.rule,
        state.scope,
        state.severity,
        new,
        at_ms,
        state.value,
        by,
        comment,
        state.message_vi,
        state.message_en,
    )


def ack(
    states: Mapping[str, AlertState], alert_id: str, by: str, comment: str, at_ms: int
) -> tuple[dict[str, AlertState], AlertTransition]:
    """Acknowledge an active alert. ValueError when there is no active alert of that id."""
    if not by.strip():
        raise ValueError("an acknowledgement needs the name of who acknowledges")
    for key, state in states.items():
        if state.alert_id == alert_id:
            if state.state != "active":
                raise ValueError(
                    f"alert {alert_id} is {state.state}, only an active one can be acknowledged"
                )
            acked = replace(
                state, state="acknowledged", acked_by=by, acked_ms=at_ms, ack_comment=comment
            )
            new_states = dict(states)
            new_states[key] = acked
            return new_states, _transition(acked, "acknowledged", at_ms, by, comment)
    raise ValueError(f"no alert with id {alert_id!r}")


def prune_cleared(states: Mapping[str, AlertState], before_ms: int) -> dict[str, AlertState]:
    """The states without the alerts cleared before `before_ms`."""
    return {
        k: s
        for k, s in states.items()
        if not (s.state == "cleared" and s.cleared_ms is not None and s.cleared_ms < before_ms)
    }


def states_to_dict(states: Mapping[str, AlertState]) -> list[dict[str, Any]]:
    return [s.to_dict() for _, s in sorted(states.items())]


def states_from_dict(data: Iterable[Mapping[str, Any]]) -> dict[str, AlertState]:
    states = (AlertState.from_dict(d) for d in data)
    return {s.key: s for s in states}


def _target(scope: str, lang: str) -> str:
    parts = parse_scope(scope)
    if not parts:
        return "toàn tỉnh" if lang == "vi" else "province"
    if "source" in parts:
        return parts["source"]
    if "site" in parts and parts["site"] in PLACES:
        return PLACES[parts["site"]].name_vi
    if "district" in parts and parts["district"] in DISTRICTS:
        d = DISTRICTS[parts["district"]]
        name = d.name_vi if lang == "vi" else d.name_en
        return f"{parts['feed']}, {name}" if "feed" in parts else name
    return "/".join(parts.values())


class _Context(dict[str, Any]):
    def __missing__(self, key: str) -> str:
        return "?"


def render(rule: AlertRule, kpi: KpiValue) -> tuple[str, str]:
    """The rule's Vietnamese and English messages for one value."""
    value = kpi.value
    shown = "?" if value is None else f"{value:.0f}" if abs(value) >= 10 else f"{value:.2g}"
    out = []
    for template, lang in ((rule.message_vi, "vi"), (rule.message_en, "en")):
        context = _Context(
            {k: ("?" if v is None else v) for k, v in kpi.extra.items()},
            value=shown,
            unit=kpi.unit,
            scope=kpi.scope,
            target=str(kpi.extra.get("name") or _target(kpi.scope, lang)),
            raise_at=f"{rule.raise_at:g}",
            clear_at=f"{rule.clear_at:g}",
        )
        out.append(template.format_map(context))
    return out[0], out[1]
