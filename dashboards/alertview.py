"""What the wall and the drill-downs show of the alerts: counts by severity, superseded levels
hidden, one row per rule when it fires for many sources, and the text with the current value.

Pure functions of the snapshot's alert list and KPI values (no Dash, no I/O):

- `supersede(alerts)`: a lower level of the same KPI and scope (BĐ2 under BĐ3, AQI "Xấu" under
  "Rất xấu") is dropped while the higher one is active or acknowledged;
- `counts(alerts)`: active + acknowledged alerts per severity, after superseding;
- `rows(alerts, …)`: sorted by state (open before cleared), then severity, then age (oldest
  first); a rule with `GROUP_MIN` or more open alerts of one state becomes one group row;
- `text(alert, kpis, lang, names)`: the rule's message rendered with the *current* value of the
  KPI it watches, numbers in the language's format, places and devices by their names.
"""

from __future__ import annotations

import re
import string
from collections import defaultdict
from collections.abc import Iterable, Mapping
from typing import Any

from dashboards.i18n import TEXT, district_name, feed_name, number, place_name, t
from dashboards.tiles import decimals
from ioc.alerts.rules import RULES, AlertRule
from ioc.kpis.spec import parse_scope

SEVERITY_RANK = {"critical": 0, "warning": 1, "info": 2}
STATE_RANK = {"active": 0, "acknowledged": 1, "pending": 2, "cleared": 3}
OPEN = frozenset({"active", "acknowledged"})
GROUP_MIN = 3
SEVERITIES = ("critical", "warning", "info")


def _rule(alert: Mapping[str, Any]) -> AlertRule | None:
    return RULES.get(str(alert.get("rule", "")))


def _kpi_of(alert: Mapping[str, Any]) -> str:
    rule = _rule(alert)
    return rule.kpi if rule else str(alert.get("rule", ""))


def supersede(alerts: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """The alerts without those a more severe open alert of the same KPI and scope covers."""
    alerts = list(alerts)
    best: dict[tuple[str, str], int] = {}
    for a in alerts:
        if a.get("state") in OPEN:
            key = (_kpi_of(a), str(a.get("scope", "")))
            rank = SEVERITY_RANK.get(str(a.get("severity")), 9)
            best[key] = min(rank, best.get(key, 9))
    out = []
    for a in alerts:
        key = (_kpi_of(a), str(a.get("scope", "")))
        if SEVERITY_RANK.get(str(a.get("severity")), 9) > best.get(key, 9):
            continue
        out.append(a)
    return out


def counts(alerts: Iterable[Mapping[str, Any]]) -> dict[str, int]:
    """Open (active or acknowledged) alerts per severity, and how many await acknowledgement."""
    out = dict.fromkeys((*SEVERITIES, "unacknowledged"), 0)
    for a in alerts:
        if a.get("state") in OPEN:
            severity = str(a.get("severity", "info"))
            out[severity if severity in out else "info"] += 1
            out["unacknowledged"] += a.get("state") == "active"
    return out


def sort_key(alert: Mapping[str, Any]) -> tuple[int, int, int]:
    """Open before cleared, then severity, then the oldest first (it has waited longest)."""
    state = 0 if alert.get("state") in OPEN else STATE_RANK.get(str(alert.get("state")), 9)
    raised = alert.get("raised_ms") or alert.get("since_ms") or 0
    return (state, SEVERITY_RANK.get(str(alert.get("severity")), 9), int(raised))


def rows(alerts: Iterable[dict[str, Any]], group_min: int = GROUP_MIN) -> list[dict[str, Any]]:
    """Rows to show: single alerts, or `{"group": rule, "alerts": [...], …}` for one rule's many.

    A group row takes the severity, state and age of its oldest member."""
    ordered = sorted(supersede(alerts), key=sort_key)
    by_rule: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for a in ordered:
        state = "open" if a.get("state") in OPEN else str(a.get("state"))
        by_rule[(str(a.get("rule")), state)].append(a)
    out: list[dict[str, Any]] = []
    done: set[tuple[str, str]] = set()
    for a in ordered:
        state = "open" if a.get("state") in OPEN else str(a.get("state"))
        key = (str(a.get("rule")), state)
        members = by_rule[key]
        if len(members) < group_min:
            out.append(a)
            continue
        if key in done:
            continue
        done.add(key)
        first = members[0]
        out.append(
            first
            | {
                "group": key[0],
                "alerts": members,
                "n": len(members),
                "unacknowledged": sum(1 for m in members if m.get("state") == "active"),
            }
        )
    return out


def current_value(alert: Mapping[str, Any], kpis: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """The KPI value the alert's rule watches, for the alert's scope, as evaluated now."""
    rule = _rule(alert)
    if rule is None:
        return {}
    for v in kpis:
        same_kpi = v.get("id") == rule.kpi and v.get("window") == rule.window
        if same_kpi and v.get("scope") == alert.get("scope"):
            return dict(v)
    return {}


class _Context(dict[str, Any]):
    def __missing__(self, key: str) -> str:
        return "?"


def target_name(scope: str, lang: str, names: Mapping[str, str], value: Mapping[str, Any]) -> str:
    """A scope in words: a device or desk by its catalogue name, a place, a district, a feed."""
    if value.get("name"):
        return str(value["name"])
    try:
        parts = parse_scope(scope)
    except ValueError:
        return scope
    if not parts:
        return t("province", lang)
    if "source" in parts:
        return names.get(parts["source"], parts["source"])
    if "site" in parts:
        return place_name(parts["site"])
    label = district_name(parts["district"], lang) if "district" in parts else ""
    if "feed" in parts:
        feed = feed_name(parts["feed"], lang)
        return f"{feed}, {label}" if label else feed
    return label


def _fmt(value: Any, places: int, lang: str) -> Any:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return "?" if value is None else value
    return number(float(value), places, lang)


def text(
    alert: Mapping[str, Any],
    kpis: Iterable[Mapping[str, Any]],
    lang: str,
    names: Mapping[str, str] | None = None,
) -> str:
    """The alert's message with the current value (the stored message when the KPI is gone)."""
    rule = _rule(alert)
    current = current_value(alert, kpis)
    if rule is None or not current:
        stored = alert.get("message_en") if lang == "en" else alert.get("message_vi")
        return str(stored or alert.get("rule", ""))
    unit = str(current.get("unit", ""))
    context = _Context(
        {k: _fmt(v, 1, lang) for k, v in current.items() if k not in ("ts", "value")},
        value=_fmt(current.get("value"), decimals(unit), lang),
        unit=unit,
        scope=str(alert.get("scope", "")),
        target=target_name(str(alert.get("scope", "")), lang, names or {}, current),
        raise_at=_fmt(rule.raise_at, decimals(unit), lang),
        clear_at=_fmt(rule.clear_at, decimals(unit), lang),
    )
    if "feed" in current:
        context["feed"] = feed_name(str(current["feed"]), lang)
    template = rule.message_en if lang == "en" else rule.message_vi
    try:
        return string.Formatter().vformat(template, (), context)
    except (ValueError, IndexError):
        return str(alert.get("message_vi") or alert.get("rule", ""))


_VALUE_TAIL = re.compile(r"^(?P<head>.+): (?P<value>[-−]?\d[\d.,  ]*(?: ?[^\s\d][^\s]*)?)$")


def split_value(text: str) -> tuple[str, str]:
    """ "Mực nước tại … vượt báo động 3: 960,0 cm" → ("Mực nước tại … vượt báo động 3", "960,0 cm"):
    the wall shows the current value in a cell of its own, so a long name clamped to two lines
    never hides it; ("…", "") when the message does not end with a value."""
    match = _VALUE_TAIL.match(text)
    if match is None:
        return text, ""
    return match["head"], match["value"]


def group_text(row: Mapping[str, Any], lang: str) -> str:
    """ "73 thiết bị mất kết nối": the group's label from `group_<rule>` (or a generic one)."""
    key = f"group_{row.get('group')}"
    if key in TEXT:
        return t(key, lang, n=number(row.get("n", 0), 0, lang))
    return t("group_generic", lang, n=number(row.get("n", 0), 0, lang), rule=row.get("group"))
