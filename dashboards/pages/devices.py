"""Devices and feeds drill-down (`/devices`): readings received per feed, device status history,
and the live health of every source (last seen, age, online) with the feed counters."""

from __future__ import annotations

from typing import Any

import dash
import pandas as pd
from dash import Input, Output, State, dcc, html

from dashboards import data, ids, sanitize
from dashboards.components import grid
from dashboards.drilldown import Choice, DrillDown, Measure
from dashboards.i18n import district_name, duration, feed_name, number, t
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
                grid.grid(part("sources"), "sources.csv", lang),
            ],
            className="panel panel--sources",
        )
    ]


def counters_text(counters: dict[str, int], lang: str) -> str:
    """ "Cảm biến: nhận 1.234, lưu 1.230, từ chối 4 (bad_json 3, unknown_name 1) · Camera: …"."""
    feeds: dict[str, dict[str, Any]] = {}
    for key, value in counters.items():
        kind, _, rest = key.partition(":")
        feed, _, reason = rest.partition(":")
        entry = feeds.setdefault(feed, {"received": 0, "stored": 0, "rejected": {}})
        if kind == "rejected":
            entry["rejected"][reason or "?"] = entry["rejected"].get(reason or "?", 0) + value
        elif kind in ("received", "stored"):
            entry[kind] += value
    parts = []
    for feed, entry in sorted(feeds.items()):
        rejected = sum(entry["rejected"].values())
        text = t(
            "counters_feed",
            lang,
            feed=feed_name(feed, lang),
            received=number(entry["received"], 0, lang),
            stored=number(entry["stored"], 0, lang),
            rejected=number(rejected, 0, lang),
        )
        if rejected:
            reasons = ", ".join(
                f"{r} {number(n, 0, lang)}" for r, n in sorted(entry["rejected"].items())
            )
            text += f" ({reasons})"
        parts.append(text)
    return " · ".join(parts)


def live_sources(n: int | None, base: dict[str, Any] | None) -> tuple[list, list, str]:
    """The sources grid and the counters line, from the live state: names, local times, ages
    in words."""
    lang = sanitize.lang(base)
    live = data.read_live()
    if not live.connected:
        return [], [], t("live_lost", lang)
    names = data.source_names()
    sources = build_sources(live, live.read_ms)
    seen = grid.local_times(
        pd.Series([s["last_ms"] for s in sources], dtype="float64"), lang, unit="ms"
    )
    rows = [
        {
            t("source", lang): names.get(s["source"], s["source"]),
            t("source_id", lang): s["source"],
            t("feed", lang): feed_name(s["feed"], lang),
            t("district", lang): district_name(s["district"], lang),
            t("last_seen", lang): last,
            t("age", lang): duration(s["age_s"], lang),
            t("state", lang): t("online", lang) if s["online"] else t("offline", lang),
        }
        for s, last in zip(sources, seen, strict=True)
    ]
    columns = [{"field": k, "headerName": k} for k in (rows[0] if rows else {})]
    counters = counters_text(live.counters, lang)
    return rows, columns, f"{t('counters', lang)}: {counters}" if counters else ""


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
