"""Public services drill-down (`/services`): dossiers and hotline tickets per desk and district."""

from __future__ import annotations

from typing import Any

import dash
from dash import html

from dashboards.drilldown import Choice, DrillDown, Measure
from dashboards.i18n import t
from dashboards.pages import common
from ioc.feeds import FEEDS
from ioc.feeds.servicedesk import SERVICEDESK_CHANNELS, SERVICEDESK_EVENTS

PAGE = "services"
SCHEMA = FEEDS["servicedesk"].schema
_SATISFACTION = SCHEMA.field("satisfaction")
MEASURES = (
    Measure("tickets", ("ticket_id",), "count", "tickets"),
    Measure("satisfaction", ("satisfaction",), _SATISFACTION.aggregate, _SATISFACTION.unit),
)
COLUMNS = ["time", "district", "source", "ticket_id", "event", "channel", "service", "due_ms"]


def _events(lang: str) -> list[dict[str, str]]:
    return [{"label": t(f"event_{e}", lang), "value": e} for e in SERVICEDESK_EVENTS]


def _channels(lang: str) -> list[dict[str, str]]:
    return [{"label": t(f"channel_{c}", lang), "value": c} for c in SERVICEDESK_CHANNELS]


SPEC = DrillDown(
    page=PAGE,
    measurement=lambda state: SCHEMA.measurement,
    measures=lambda state: list(MEASURES),
    choices=(Choice("event", "event", _events), Choice("channel", "channel", _channels)),
    columns=lambda state: [*COLUMNS, "satisfaction"],
)


def layout(**query: Any) -> html.Div:
    return common.layout(SPEC, query)


def register(app: dash.Dash) -> None:
    dash.register_page(__name__, path=f"/{PAGE}", layout=layout, name=PAGE, title=PAGE)
    common.register(app, SPEC)
