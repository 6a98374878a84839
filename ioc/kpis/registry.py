"""The one KPI registry: `KPIS`, id -> `KpiSpec`, in wall order. The wall screen renders tiles
from it and the KPI state keeps the folds its specs declare.

Each formula module declares its own specs next to their formulas (`SPECS`: names, unit,
formula in words, scopes, windows, typed metadata, target, direction, `value_fn` and `folds`):
`servicedesk.py` (public services), `air.py` (VN_AQI), `city.py` (water, traffic, visitors,
border queue), `security.py` (EDR/SOC), `portal.py` (web portals) and `health.py` (devices,
completeness). Targets are first proposals, to be agreed with the province; thresholds are
the alert rules' (ioc.alerts.rules), the one definition of warning and critical.
Percentages are 0–100.
"""

from __future__ import annotations

from ioc.kpis import air, city, health, portal, security, servicedesk
from ioc.kpis.spec import KpiSpec

FORMULA_MODULES = (servicedesk, air, city, security, portal, health)

KPIS: dict[str, KpiSpec] = {spec.id: spec for m in FORMULA_MODULES for spec in m.SPECS}
