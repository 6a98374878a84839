"""Information-security drill-down (`/security`): EDR/SOC events and the web portals' checks.

`feed=security` (default) charts the consoles' events — detections, incidents, coverage — by
district or console, with the incidents of the range and their timeline (opened → contained →
resolved, from `incident_id`); `feed=portal` charts the portals' availability, response time and
certificate days left. The raw records of the chosen feed are below, as on every drill-down.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl

import dash
import pandas as pd
from dash import Input, Output, State, html

from dashboards import data, ids, theme
from dashboards.components import charts
from dashboards.drilldown import BREAKDOWN_BUCKETS, Choice, DrillDown, Measure, history
from dashboards.i18n import duration, t
from dashboards.i18n import unit as unit_label
from dashboards.pages import common
from dashboards.urlstate import ViewState
from ioc.feeds import FEEDS
from ioc.feeds.security import SECURITY_EVENTS
from ioc.localtime import local_datetime
from ioc.model import NS_PER_MS

PAGE = "security"
FEED_CHOICES = ("security", "portal")
SECURITY = FEEDS["security"].schema
PORTAL = FEEDS["portal"].schema
INCIDENT_EVENTS = ("incident_opened", "incident_contained", "incident_resolved")
MAX_INCIDENTS = 50


def _measure(schema: Any, name: str, key: str | None = None) -> Measure:
    f = schema.field(name)
    return Measure(key or name, (name,), f.aggregate, f.unit)


SECURITY_MEASURES = (
    _measure(SECURITY, "events"),
    Measure("incidents", ("incident_id",), "count", "incidents"),
    _measure(SECURITY, "endpoints_reporting"),
    _measure(SECURITY, "agents_outdated"),
)
PORTAL_MEASURES = (
    Measure("up", ("up",), "mean", "%", scale=100.0),  # availability: the share of up checks
    _measure(PORTAL, "response_ms"),
    _measure(PORTAL, "tls_days_left"),
)
COLUMNS = {
    "security": [
        "time",
        "district",
        "source",
        "agency",
        "event",
        "severity",
        "action",
        "incident_id",
        "endpoint",
        "threat",
        "endpoints_total",
        "endpoints_reporting",
        "agents_outdated",
    ],
    "portal": [
        "time",
        "district",
        "source",
        "up",
        "status",
        "response_ms",
        "tls_days_left",
        "url",
        "error",
    ],
}


def _feeds(lang: str) -> list[dict[str, str]]:
    return [{"label": t(f"feed_{f}", lang), "value": f} for f in FEED_CHOICES]


def _events(lang: str) -> list[dict[str, str]]:
    return [{"label": t(f"sec_event_{e}", lang), "value": e} for e in SECURITY_EVENTS]


def _feed(state: ViewState) -> str:
    return _feed_of({"feed": state.feed})


def _feed_of(chosen: dict[str, str]) -> str:
    feed = chosen.get("feed", "")
    return feed if feed in FEED_CHOICES else "security"


class SecurityDrillDown(DrillDown):
    """The events filter applies to the security feed only (portal checks have no events)."""

    def where(self, state: ViewState) -> dict[str, Any]:
        where = DrillDown.where(self, state)
        if _feed(state) == "portal":
            where.pop("event", None)
        return where


SPEC = SecurityDrillDown(
    page=PAGE,
    measurement=lambda state: FEEDS[_feed(state)].measurement,
    measures=lambda state: list(PORTAL_MEASURES if _feed(state) == "portal" else SECURITY_MEASURES),
    choices=(
        Choice("feed", None, _feeds, default="security"),
        Choice("event", "event", _events, applies=lambda chosen: _feed_of(chosen) == "security"),
    ),
    columns=lambda state: COLUMNS[_feed(state)],
)


def incidents(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """One row per incident id: agency, district, severity, threat and its timeline (ms)."""
    if frame.empty or "incident_id" not in frame:
        return []
    rows: dict[str, dict[str, Any]] = {}
    for record in frame.to_dict("records"):
        incident = record.get("incident_id")
        event = record.get("event")
        if not isinstance(incident, str) or event not in INCIDENT_EVENTS:
            continue
        row = rows.setdefault(incident, {"incident_id": incident})
        for key in ("agency", "district", "source"):
            row.setdefault(key, record.get(key))
        if event == "incident_opened":
            row["severity"] = record.get("severity")
            row["threat"] = record.get("threat")
        stamp = event.removeprefix("incident_")
        ts_ms = int(pd.Timestamp(record["time"]).value // NS_PER_MS)
        row[stamp] = min(row.get(stamp, ts_ms), ts_ms)
    ordered = sorted(rows.values(), key=lambda r: -(r.get("opened") or 0))
    return ordered[:MAX_INCIDENTS]


def _when(ts_ms: int | None) -> str:
    return "—" if ts_ms is None else local_datetime(ts_ms // 1000).strftime("%d/%m %H:%M")


def incident_table(rows: list[dict[str, Any]], lang: str) -> Any:
    if not rows:
        return html.P(t("no_incidents", lang), className="drill__empty")
    head = [
        "incident_id",
        "agency",
        "severity",
        "threat",
        "opened",
        "contained",
        "resolved",
        "time_to_contain",
    ]
    body = []
    for r in rows:
        opened, contained = r.get("opened"), r.get("contained")
        took = (
            duration((contained - opened) / 1000, lang)
            if opened is not None and contained is not None
            else t("not_contained", lang)
        )
        body.append(
            html.Tr(
                [
                    html.Td(r["incident_id"]),
                    html.Td(data.agency_name(r.get("agency") or "")),
                    html.Td(
                        t(f"severity_{r.get('severity')}", lang),
                        className=f"sev sev--{r.get('severity')}",
                    ),
                    html.Td(r.get("threat") or "—"),
                    html.Td(_when(opened)),
                    html.Td(_when(contained)),
                    html.Td(_when(r.get("resolved"))),
                    html.Td(took),
                ]
            )
        )
    return html.Table(
        [html.Thead(html.Tr([html.Th(t(f"col_{h}", lang)) for h in head])), html.Tbody(body)],
        className="table table-sm incidents",
    )


def incidents_view(query: str | None, base: dict[str, Any] | None) -> Any:
    state = SPEC.normalise(ViewState.from_query(_query_dict(query) | (base or {})))
    span = state.time_range(data.now_ms() * NS_PER_MS)
    if span is None:
        return html.P(t("bad_range", state.lang))
    where: dict[str, Any] = {"event": list(INCIDENT_EVENTS)}
    if state.district:
        where["district"] = list(state.district)
    if state.source:
        where["source"] = state.source
    raw = data.records(SECURITY.measurement, span, where=where)
    if raw.error:
        return html.P(t("storage_error", state.lang, error=raw.error[:200]))
    return incident_table(incidents(raw.frame), state.lang)


def by_agency_view(query: str | None, base: dict[str, Any] | None) -> dict[str, Any]:
    """The chosen measure per agency (security: detections, incidents… by agency) or per
    portal (availability, response time… by site) over the range."""
    state = SPEC.normalise(ViewState.from_query(_query_dict(query) | (base or {})))
    lang = state.lang
    measure = SPEC.measure(state)
    span = state.time_range(data.now_ms() * NS_PER_MS)
    if span is None:
        return charts.empty(lang, t("bad_range", lang))
    portal = _feed(state) == "portal"
    tag = "source" if portal else "agency"
    where = SPEC.where(state)
    result = history(SPEC.measurement(state), measure, span, where, tag, BREAKDOWN_BUCKETS)
    return charts.breakdown(
        result.frame,
        measure.aggregate,
        unit_label(measure.unit, lang),
        lang,
        result.error,
        tag=tag,
        names=data.source_names() if portal else data.agency_names(),
    )


def _query_dict(query: str | None) -> dict[str, str]:
    return dict(parse_qsl((query or "").removeprefix("?")))


def layout(**query: Any) -> html.Div:
    state = SPEC.normalise(ViewState.from_query(query))
    lang = state.lang
    by = "by_portal" if _feed(state) == "portal" else "by_agency"
    by_agency = html.Section(
        [
            html.H2(t(by, lang), className="panel__title"),
            *common.chart(ids.page_part(PAGE, ids.BY_AGENCY), theme.BREAKDOWN_CONFIG),
        ],
        className="panel panel--by-agency",
    )
    panels = [
        html.Section(
            [
                html.H2(t("incidents", lang), className="panel__title"),
                html.Div(id=ids.page_part(PAGE, ids.INCIDENTS)),
            ],
            className="panel panel--incidents",
        ),
    ]
    return common.layout(SPEC, query, extra=panels, charts=[by_agency])


def register(app: dash.Dash) -> None:
    dash.register_page(__name__, path=f"/{PAGE}", layout=layout, name=PAGE, title=PAGE)
    common.register(app, SPEC)
    app.callback(
        Output(ids.page_part(PAGE, ids.INCIDENTS), "children"),
        Input(ids.page_part(PAGE, ids.QUERY), "data"),
        State(ids.page_part(PAGE, ids.PAGE_LANG), "data"),
    )(incidents_view)
    by_agency = ids.page_part(PAGE, ids.BY_AGENCY)
    app.callback(
        Output(by_agency + ids.FIGURE, "data"),
        Input(ids.page_part(PAGE, ids.QUERY), "data"),
        State(ids.page_part(PAGE, ids.PAGE_LANG), "data"),
    )(by_agency_view)
    common.scale_figure(app, by_agency)
