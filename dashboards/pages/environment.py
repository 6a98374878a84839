"""Environment drill-down (`/environment`): air, water and rain, weather, noise sensors."""

from __future__ import annotations

from typing import Any

import dash
from dash import html

from dashboards.drilldown import Choice, DrillDown, Measure
from dashboards.i18n import t
from dashboards.pages import common
from dashboards.urlstate import ViewState
from ioc.feeds import FEEDS
from ioc.feeds.sensor import SENSOR_KINDS

PAGE = "environment"
SCHEMA = FEEDS["sensor"].schema


def _kinds(lang: str) -> list[dict[str, str]]:
    return [{"label": t(f"kind_{k}", lang), "value": k} for k in SENSOR_KINDS]


def _measures(state: ViewState) -> list[Measure]:
    kind = state.kind if state.kind in SENSOR_KINDS else "air"
    fields = [SCHEMA.field(name) for name in SENSOR_KINDS[kind]]
    return [Measure(f.name, (f.name,), f.aggregate, f.unit) for f in fields]


def _columns(state: ViewState) -> list[str]:
    kind = state.kind if state.kind in SENSOR_KINDS else "air"
    return ["time", "district", "source", "kind", *SENSOR_KINDS[kind]]


SPEC = DrillDown(
    page=PAGE,
    measurement=lambda state: SCHEMA.measurement,
    measures=_measures,
    choices=(Choice("kind", "kind", _kinds, default="air"),),
    columns=_columns,
)


def layout(**query: Any) -> html.Div:
    return common.layout(SPEC, query)


def register(app: dash.Dash) -> None:
    dash.register_page(__name__, path=f"/{PAGE}", layout=layout, name=PAGE, title=PAGE)
    common.register(app, SPEC)
