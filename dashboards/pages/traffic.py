"""Traffic and cameras drill-down (`/traffic`): counts, speed, occupancy, queues, people."""

from __future__ import annotations

from typing import Any

import dash
from dash import html

from dashboards.drilldown import Choice, DrillDown, Measure
from dashboards.i18n import place_name
from dashboards.pages import common
from ioc.feeds import FEEDS
from ioc.places import PLACES

PAGE = "traffic"
SCHEMA = FEEDS["camera"].schema
MEASURES = tuple(
    Measure(f.name, (f.name,), f.aggregate, f.unit)
    for f in map(
        SCHEMA.field, ("vehicles_total", "avg_speed_kmh", "occupancy_pct", "queue_m", "people")
    )
)
COLUMNS = [
    "time",
    "district",
    "source",
    "site",
    "vehicles_total",
    "avg_speed_kmh",
    "occupancy_pct",
    "queue_m",
    "people",
    "events",
    "events_max_severity",
]


def _sites(lang: str) -> list[dict[str, str]]:
    """The named places; any other camera site is reached through the source filter."""
    return [{"label": place_name(slug), "value": slug} for slug in PLACES]


SPEC = DrillDown(
    page=PAGE,
    measurement=lambda state: SCHEMA.measurement,
    measures=lambda state: list(MEASURES),
    choices=(Choice("site", "site", _sites),),
    columns=lambda state: COLUMNS,
)


def layout(**query: Any) -> html.Div:
    return common.layout(SPEC, query)


def register(app: dash.Dash) -> None:
    dash.register_page(__name__, path=f"/{PAGE}", layout=layout, name=PAGE, title=PAGE)
    common.register(app, SPEC)
