"""Where a click on an alert leads: its KPI's drill-down (`ioc.kpis.drilldown`, from the spec's
typed metadata, never guessed), narrowed to the alert's scope (source, site, district, feed),
over a range that contains the moment it was raised, with the acknowledgement dialog for an
active one. A group row ("73 thiết bị mất kết nối") opens the drill-down of the rule's KPI, where
every member is listed. Tiles link through `TileSpec.href` (the snapshot's `href`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qsl

from ioc.alerts.rules import RULES
from ioc.kpis.drilldown import href
from ioc.kpis.registry import KPIS
from ioc.kpis.spec import Drilldown

HOUR_MS = 3_600_000


def range_params(raised_ms: int | None, now_ms: int) -> dict[str, str]:
    """The shortest standard range that contains the moment an alert was raised."""
    if not raised_ms:
        return {}
    return {"range": "24h"} if now_ms - raised_ms <= 23 * HOUR_MS else {"range": "7d"}


def alert_href(row: Mapping[str, Any], query: str, now_ms: int) -> str:
    kpi = str(row.get("kpi") or "")
    if kpi not in KPIS:
        rule = RULES.get(str(row.get("rule", "")))
        kpi = rule.kpi if rule is not None else ""
    drill = KPIS[kpi].drilldown if kpi in KPIS else Drilldown("/devices")
    keep = dict(parse_qsl(query.removeprefix("?")))
    extra = range_params(row.get("raised_ms") or row.get("since_ms"), now_ms)
    if row.get("group"):
        return href(Drilldown(drill.page, {**drill.params, **extra}), None, keep)
    if row.get("alert_id") and row.get("state") == "active":
        extra["alert"] = str(row["alert_id"])
    return href(Drilldown(drill.page, {**drill.params, **extra}), row, keep)
