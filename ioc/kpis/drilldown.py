"""Drill-down links: `drilldown_href(spec, value)` -> `/traffic?site=ta-lung-border-gate&…`.

The link is built from the spec's typed `Drilldown` (page and filter), then the value's scope
(`district:…`, `site:…`, `source:…`, `feed:…`, `feed:…/district:…`) narrows it to what the value
is about, then `keep` (what travels between pages: language, kiosk, rotation) is appended.
A device-health value about one source also carries its `feed` (the devices page filters by
feed). Pure string work, no I/O; the wall renders every KPI link through here.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qsl, urlencode

from ioc.kpis.spec import PROVINCE, Drilldown, KpiSpec, KpiValue, parse_scope

SCOPE_PARAMS = ("district", "site", "source", "feed")


def _scope_params(value: KpiValue | Mapping[str, Any] | None) -> dict[str, str]:
    if value is None:
        return {}
    if isinstance(value, KpiValue):
        scope, extra = value.scope, value.extra
    else:
        scope, extra = str(value.get("scope") or PROVINCE), value
    try:
        parts = parse_scope(scope)
    except ValueError:
        return {}
    params = {key: parts[key] for key in SCOPE_PARAMS if key in parts}
    feed = extra.get("feed")
    if "source" in params and "feed" not in params and isinstance(feed, str) and feed:
        params["feed"] = feed
    return params


def _keep_params(keep: str | Mapping[str, str]) -> dict[str, str]:
    if isinstance(keep, str):
        return dict(parse_qsl(keep.removeprefix("?")))
    return dict(keep)


def href(
    drilldown: Drilldown,
    value: KpiValue | Mapping[str, Any] | None = None,
    keep: str | Mapping[str, str] = "",
) -> str:
    """The URL of a drill-down, narrowed to a value's scope, with `keep` appended."""
    params = {**drilldown.params, **_scope_params(value)}
    params.update({k: v for k, v in _keep_params(keep).items() if k not in params})
    query = urlencode(list(params.items()), safe=",:|")
    return f"{drilldown.page}?{query}" if query else drilldown.page


def drilldown_href(
    spec: KpiSpec,
    value: KpiValue | Mapping[str, Any] | None = None,
    keep: str | Mapping[str, str] = "",
) -> str:
    """The drill-down link of one KPI value (`value` None: of the KPI as a whole).

    `value` is a `KpiValue` or its `to_dict()` form (as the live state keeps it); `keep` is a
    query string (`?lang=en&kiosk=1`) or mapping appended after the filter.
    """
    return href(spec.drilldown, value, keep)
