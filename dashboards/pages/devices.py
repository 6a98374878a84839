"""Devices and feeds drill-down (`/devices`): readings received per feed, device status history,
and the live health of every source (last seen, age, online) with the feed counters."""

from __future__ import annotations

from typing import Any

import dash
from dash import Input, Output, State, dcc, html

from dashboards import data, ids, sanitize
from dashboards.components import grid
from dashboards.drilldown import Choice, DrillDown, Measure
from dashboards.i18n import district_name, feed_name, number, t
from dashboards.pages import common
from dashboards.snapshot import build_sources
from dashboards.urlstate import ViewState
from ioc.feeds import FEEDS

PAGE = "devices"
SOURCES_REFRESH_MS = 5000


def _feeds(lang: str) -> list[dict[str, str]]:
    return [{"label": feed_name(f, lang), "value": f} for f in FEEDS]


def _feed(state: ViewState) -> str:
    return state.feed if state.feed in FEEDS else "sensor"


def _measures(state: ViewState) -> list[Measure]:
    feed = _feed(state)
    # counting readings: the feed declares fields every reading has at least one of
    measures = [Measure("readings", FEEDS[feed].count_fields, "count", "readings")]
    if feed == "status":
        measures.append(Measure("online", ("online",), "mean", ""))
    return measures


SPEC = DrillDown(
    page=PAGE,
    measurement=lambda state: FEEDS[_feed(state)].measurement,
    measures=_measures,
    choices=(Choice("feed", None, _feeds, default="sensor"),),
)


def sources_panel(lang: str) -> list[Any]:
    part = lambda name: ids.page_part(PAGE, name)  # noqa: E731
    return [
        html.Section(
            [
                html.H2(t("sources_table", lang), className="panel__title"),
                dcc.Interval(id=part("sources-timer"), interval=SOURCES_REFRESH_MS),
                html.Div("", id=part("counters"), className="drill__summary"),
                grid.grid(part("sources"), "sources.csv"),
            ],
            className="panel panel--sources",
        )
    ]


def live_sources(n: int | None, base: dict[str, Any] | None) -> tuple[list, list, str]:
    """The sources grid and the counters line, from the live state."""
    lang = sanitize.lang(base)
    live = data.read_live()
    if not live.connected:
        return [], [], t("live_lost", lang)
    rows = [
        {
            t("source", lang): s["source"],
            t("feed", lang): feed_name(s["feed"], lang),
            t("district", lang): district_name(s["district"], lang),
            t("last_seen", lang): (s["last_time"] or "")[:19].replace("T", " "),
            t("age", lang): s["age_s"],
            t("state", lang): t("online", lang) if s["online"] else t("offline", lang),
        }
        for s in build_sources(live, live.read_ms)
    ]
    columns = [{"field": k, "headerName": k} for k in (rows[0] if rows else {})]
    counters = " · ".join(
        f"{name}: {number(value, 0, lang)}" for name, value in sorted(live.counters.items())
    )
    return rows, columns, f"{t('counters', lang)} — {counters}" if counters else ""


def layout(**query: Any) -> html.Div:
    lang = ViewState.from_query(query).lang
    return common.layout(SPEC, query, extra=sources_panel(lang))


def register(app: dash.Dash) -> None:
    dash.register_page(__name__, path=f"/{PAGE}", layout=layout, name=PAGE, title=PAGE)
    common.register(app, SPEC)
    part = lambda name: ids.page_part(PAGE, name)  # noqa: E731
    app.callback(
        Output(part("sources"), "rowData"),
        Output(part("sources"), "columnDefs"),
        Output(part("counters"), "children"),
        Input(part("sources-timer"), "n_intervals"),
        State(part(ids.PAGE_LANG), "data"),
    )(live_sources)
