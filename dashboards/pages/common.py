"""Layout and callbacks shared by the drill-down pages, built from a page's `DrillDown` spec.

Per page: filters (initial values from the URL; a choice's measures follow it, e.g. the sensor
kind's fields), history and per-district charts, the page's alerts (severity, then age) with
acknowledgement, the raw-records grid paged from storage and the CSV export of the whole range
(`dashboards.export`). Every control change recomputes the view and writes the state into the
address bar as a new history entry (`history.pushState`), so Back undoes a filter (the page is
rendered again from the earlier address) and the link in the address bar always opens exactly
this view.

The first view is part of the page's layout (`view_outputs`, computed while the browser loads the
scripts: `dashboards.prefetch`), and the grid is mounted once the history chart is drawn: on a
page load the chart waits for no callback and no grid.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from typing import Any

import dash
import flask
import pandas as pd
from dash import ALL, Input, Output, State, ctx, dcc, html, no_update
from dash.exceptions import MissingCallbackContextException

from dashboards import alertview, auth, data, ids, prefetch, sanitize, theme
from dashboards.components import alerts, filters, grid
from dashboards.drilldown import DrillDown, compute_view, state_from_controls
from dashboards.export import columns as export_columns
from dashboards.i18n import t
from dashboards.urlstate import ViewState
from ioc.auth.roles import ACK, EXPORT

ALERTS_REFRESH_MS = 2000

# The first state of a page load replaces the address (it only normalises it); every later
# change is a new history entry. Back or Forward within the same drill-down reloads the page
# from that address: Dash's router only re-renders when the address differs from the last one
# *it* saw, which our pushState entries bypass (Back to an address it had seen did nothing).
_PUSH_URL_JS = """
function(query) {
  if (!window.__iocPopstate) {
    window.__iocPopstate = true;
    window.addEventListener('popstate', function() {
      if (window.location.pathname === window.__iocPage) { window.location.reload(); }
    });
  }
  if (query === undefined || query === null) { return window.dash_clientside.no_update; }
  const path = window.location.pathname;
  const url = path + query;
  if (url !== path + window.location.search) {
    if (window.__iocPage === path) {
      window.history.pushState(window.history.state, '', url);
    } else {
      window.history.replaceState(window.history.state, '', url);
    }
  }
  window.__iocPage = path;
  return query;
}
"""
# Charts are computed for a 1920-px screen (16-px root); this scales their type, margins,
# heights and lines by the root font size the CSS derives from the viewport, so 4K shows the
# same page twice the size (the rest of the page is in rem).
_SCALE_FIGURE_JS = """
function(figure) {
  if (!figure) { return window.dash_clientside.no_update; }
  const k = parseFloat(getComputedStyle(document.documentElement).fontSize) / 16;
  if (!k || Math.abs(k - 1) < 0.01) { return figure; }
  const keys = new Set(['size', 'height', 'standoff', 'l', 'r', 't', 'b', 'pad', 'width',
                        'borderwidth', 'ticklen', 'tickwidth']);
  const scale = (node, depth) => {
    if (Array.isArray(node)) { return node.map(v => scale(v, depth + 1)); }
    if (node === null || typeof node !== 'object' || depth > 8) { return node; }
    const out = {};
    for (const [key, value] of Object.entries(node)) {
      out[key] = (typeof value === 'number' && keys.has(key)) ? value * k : scale(value, depth + 1);
    }
    return out;
  };
  const data = (figure.data || []).map(trace => {
    const t = Object.assign({}, trace);
    for (const part of ['line', 'marker', 'textfont']) {
      if (t[part]) { t[part] = scale(t[part], 0); }
    }
    return t;
  });
  return Object.assign({}, figure, {data: data, layout: scale(figure.layout || {}, 0)});
}
"""
# Mounts the grid (its component as the layout built it) once the history chart has drawn,
# at most 2 s later.
_MOUNT_JS = """
function(spec, chartId) {
  if (!spec) { return window.dash_clientside.no_update; }
  return new Promise(resolve => {
    const until = Date.now() + 2000;
    const drawn = () => {
      const chart = document.getElementById(chartId);
      if ((chart && chart.querySelector('.main-svg')) || Date.now() > until) {
        requestAnimationFrame(() => setTimeout(() => resolve(spec), 0));
      } else {
        setTimeout(drawn, 20);
      }
    };
    drawn();
  });
}
"""
_PURGE_GRID_JS = """
function(query, gridId) {
  try {
    const api = window.dash_ag_grid && window.dash_ag_grid.getApi(gridId);
    if (api) { api.purgeInfiniteCache(); }
  } catch (e) { /* the grid is not mounted yet: it asks for its first page itself */ }
  return window.dash_clientside.no_update;
}
"""


def _panel(title: str, body: list[Any], cls: str = "") -> html.Section:
    return html.Section([html.H2(title, className="panel__title"), *body], className=f"panel {cls}")


def layout(
    spec: DrillDown,
    query: dict[str, Any],
    extra: list[Any] | None = None,
    charts: list[Any] | None = None,
) -> html.Div:
    """The page: filters, the charts row (history, by district, then `charts`), alerts,
    `extra` panels, raw records."""
    state = spec.normalise(ViewState.from_query(query))
    lang, page = state.lang, spec.page
    part = lambda name: ids.page_part(page, name)  # noqa: E731
    base = {"lang": lang}
    if state.kiosk:
        base["kiosk"] = "1"
    if state.rotate:
        base["rotate"] = str(state.rotate)
    controls: list[Any] = [
        *filters.time_range(page, state, lang),
        filters.district(page, state, lang),
        filters.choice(
            page,
            "source",
            t("source", lang),
            [{"label": data.source_names().get(state.source, state.source), "value": state.source}]
            if state.source
            else [],
            state.source,
            t("all_sources", lang),
        ),
    ]
    chosen = {c.name: getattr(state, c.name) for c in spec.choices}
    for choice in spec.choices:
        placeholder = "" if choice.default else t(f"all_{choice.name}s", lang)
        controls.append(
            filters.choice(
                page,
                choice.name,
                t(choice.name, lang),
                choice.options(lang),
                getattr(state, choice.name),
                placeholder,
                hidden=choice.applies is not None and not choice.applies(chosen),
            )
        )
    session = auth.current()
    measures = [{"label": t(f"field_{m.key}", lang), "value": m.key} for m in spec.measures(state)]
    controls.append(filters.choice(page, "field", t("field", lang), measures, state.field))
    # the first view is part of the page (one round trip less before the charts are drawn)
    rendering = _rendering_page()
    view = ViewOutputs()
    if rendering:  # computed while the browser loaded the scripts, or now
        view = prefetch.take(_view_key(spec, state)) or view_outputs(spec, state)
    return html.Div(
        [
            dcc.Store(id=part(ids.PAGE_LANG), data=base),
            dcc.Store(id=part(ids.QUERY), data=view.query),
            html.Div(id=part(ids.URL_SYNC), hidden=True),
            html.H1(t(f"page_{page}", lang), className="drill__title"),
            html.Div(controls, className="filters"),
            html.Div(view.summary, id=part(ids.SUMMARY), className="drill__summary"),
            html.Div("", id=part(ids.ACK_DONE), className="ack__done", role="status"),
            html.Div(
                [
                    _panel(
                        t("history", lang),
                        chart(part(ids.HISTORY), theme.GRAPH_CONFIG, view.history),
                        "panel--history",
                    ),
                    _panel(
                        t("breakdown", lang),
                        chart(part(ids.BREAKDOWN), theme.BREAKDOWN_CONFIG, view.breakdown),
                        "panel--breakdown",
                    ),
                    *(charts or []),
                ],
                className="drill__charts",
            ),
            _panel(
                t("alerts", lang),
                [
                    dcc.Interval(id=part(ids.ALERTS_TIMER), interval=ALERTS_REFRESH_MS),
                    html.Div(id=part(ids.ALERTS), className="alerts alerts--page"),
                ],
                "panel--alerts",
            ),
            *(extra or []),
            _panel(
                t("records", lang),
                [
                    html.A(
                        t("export_csv", lang),
                        id=part(ids.EXPORT),
                        href=export_href(page, state),
                        download=f"{page}.csv",
                        className="btn btn-primary",
                        hidden=not auth.can(EXPORT),
                    ),
                    html.Span(t("export_all", lang), className="drill__hint"),
                    html.Div(
                        view.records_note,
                        id=part(ids.RECORDS_NOTE),
                        className="drill__error",
                        role="alert",
                    ),
                    *_deferred(
                        part,
                        grid.grid(
                            part(ids.GRID), f"{page}.csv", lang, paged=True, columns=view.columns
                        ),
                        rendering,
                    ),
                ],
                "panel--records",
            ),
            *alerts.ack_dialog(
                page, lang, state.alert if auth.can(ACK) else "", session.user if session else ""
            ),
        ],
        className=f"drill drill--{page}",
    )


@dataclass(frozen=True)
class ViewOutputs:
    """What the main callback writes (in its output order), and the layout holds at first."""

    history: Any = None
    breakdown: Any = None
    columns: list[Any] = field(default_factory=list)
    summary: Any = ""
    records_note: str = ""
    query: str | None = None
    export: str = ""


def view_outputs(spec: DrillDown, state: ViewState) -> ViewOutputs:
    view = compute_view(spec, state, records=False)
    _, columns = grid.rows(pd.DataFrame(), state.lang, grid_columns(spec, state))
    return ViewOutputs(
        view["history"],
        view["breakdown"],
        columns,
        view["summary"],
        # the grid reads the same storage: "no records" must not stand for "unreadable"
        t("storage_error", state.lang, error=view["error"][:200]) if view["error"] else "",
        state.with_(alert="").to_query(),
        export_href(spec.page, state),
    )


def _view_key(spec: DrillDown, state: ViewState) -> tuple[int, str, str]:
    return id(flask.current_app._get_current_object()), spec.page, state.to_query()  # type: ignore[attr-defined]


def _prefetch(spec: DrillDown) -> None:
    """Before a signed-in browser's request for the page's HTML: start its first view."""
    request = flask.request
    if request.method != "GET" or request.path != f"/{spec.page}" or auth.current() is None:
        return
    try:
        state = spec.normalise(ViewState.from_query(request.args.to_dict()))
    except Exception:  # the page's own layout says what is wrong with the URL
        return
    prefetch.start(_view_key(spec, state), functools.partial(view_outputs, spec, state))


def _deferred(part: Callable[[str], str], component: Any, rendering: bool) -> list[Any]:
    """`component` (the grid) mounted only once the history chart is drawn (`_MOUNT_JS`): its
    set-up no longer delays the chart; Dash's validation layout holds it as it is."""
    if not rendering:
        return [html.Div(component, id=part(ids.GRID_SLOT))]
    return [
        dcc.Store(id=part(ids.GRID_SPEC), data=component.to_plotly_json()),
        html.Div(id=part(ids.GRID_SLOT)),
    ]


def _rendering_page() -> bool:
    """Whether the layout is asked for to be shown (Dash pages renders it in a callback), not
    for Dash's validation layout at start-up, which must not read storage."""
    try:
        return ctx.triggered is not None
    except (MissingCallbackContextException, LookupError):
        return False


def source_options(
    spec: DrillDown,
    districts: list[str] | None,
    choice_values: dict[str, Any],
    current: str | None = None,
) -> list[dict[str, str]]:
    """Sources known to the live state for this page's measurement and filters, by their
    catalogue names; the chosen one (from a link) is always among them, known or not."""
    query = {k: sanitize.text(v) for k, v in choice_values.items()}
    state = spec.normalise(ViewState.from_query(query))
    districts = sanitize.texts(districts)
    current = sanitize.text(current)
    live = data.read_live()
    names = data.source_names()
    readings = live.latest.get(spec.measurement(state), {})
    out = []
    for source, reading in sorted(readings.items()):
        if districts and reading.tags.get("district") not in districts:
            continue
        if any(
            c.tag and getattr(state, c.name) and reading.tags.get(c.tag) != getattr(state, c.name)
            for c in spec.choices
        ):
            continue
        out.append({"label": names.get(source, source), "value": source})
    if current and all(o["value"] != current for o in out):
        out.insert(0, {"label": names.get(current, current), "value": current})
    return out


def export_href(page: str, state: ViewState) -> str:
    return f"/export/{page}.csv{state.with_(alert='').to_query()}"


def page_alerts(page: str, lang: str) -> list[Any]:
    """The page's alerts: open before cleared, then severity, then the oldest first; lower levels
    superseded by a higher one hidden; text with the current value."""
    live = data.read_live()
    if not live.connected:
        return [html.Div(t("live_lost", lang), className="alerts__lost")]
    mine = [a for a in live.alerts if alerts.alert_page(a) == page and a.get("state") != "pending"]
    mine = sorted(alertview.supersede(mine), key=alertview.sort_key)
    names = data.source_names()
    for a in mine:
        raised = a.get("raised_ms") or a.get("since_ms")
        a["age_s"] = (live.read_ms - raised) / 1000 if raised else None
        a["text"] = alertview.text(a, live.kpis, lang, names)
    return alerts.page_list(mine, lang, page, can_ack=auth.can(ACK))


def grid_rows(spec: DrillDown, request: dict[str, Any] | None, query: str | None) -> Any:
    """One page of raw records from storage for the grid (AG Grid's infinite row model)."""
    if not request or query is None:
        return no_update
    from urllib.parse import parse_qsl

    state = spec.normalise(ViewState.from_query(dict(parse_qsl(query.lstrip("?")))))
    start = max(0, int(request.get("startRow") or 0))
    end = max(start + 1, int(request.get("endRow") or start + grid.PAGE_SIZE))
    span = state.time_range(data.now_ms() * 1_000_000)
    if span is None:
        return {"rowData": [], "rowCount": 0}
    measurement = spec.measurement(state)
    raw = data.records(measurement, span, where=spec.where(state), limit=end - start, offset=start)
    rows, _ = grid.rows(
        raw.frame, state.lang, grid_columns(spec, state), data.source_names(), data.tag_names()
    )
    count = start + len(rows) if len(rows) < end - start else None
    return {"rowData": rows, "rowCount": count}


def grid_columns(spec: DrillDown, state: ViewState) -> list[str]:
    return spec.columns(state) or [
        c for c in export_columns(spec.measurement(state), state) if c != "source_name"
    ]


def acknowledge(
    trigger: Any,
    triggered_value: Any,
    alert_id: str | None,
    comment: str | None,
    lang: str,
) -> tuple[bool, str, str, str]:
    """(modal open, alert id, feedback, alert text) after an open, submit or cancel.

    Submitting needs the operator role (else 403, audited as `ack_refused`); the name on the
    acknowledgement is the signed-in user's."""
    alert_id = sanitize.text(alert_id, 200) or None
    comment = sanitize.text(comment)
    if isinstance(trigger, dict) and trigger.get("type") == "ack-open":
        if not triggered_value:
            return no_update, no_update, no_update, no_update  # type: ignore[return-value]
        alert_id = sanitize.text(trigger.get("alert"), 200)
        return True, alert_id, "", _alert_text(alert_id, lang)
    if isinstance(trigger, str) and trigger.endswith(ids.ACK_CANCEL):
        return False, "", "", ""
    if isinstance(trigger, str) and trigger.endswith(ids.ACK_SUBMIT):
        session = auth.current()
        if session is None or not auth.can(ACK):
            auth.record("ack_refused", alert_id or "", {"role": auth.role()})
            auth.require(ACK)  # 401 / 403
        assert session is not None
        text = (comment or "").strip()
        problem = data.request_ack(alert_id or "", session.user, text)
        if problem == "ack_not_active":
            return True, alert_id or "", t("ack_not_active", lang), no_update  # type: ignore[return-value]
        if problem:
            return True, alert_id or "", t("ack_failed", lang, error=problem), no_update  # type: ignore[return-value]
        auth.record("ack", alert_id or "", {"comment": text})
        return False, "", t("ack_sent", lang), ""
    # first load: the URL named an alert (?alert=…)
    return bool(alert_id), alert_id or "", "", _alert_text(alert_id or "", lang) if alert_id else ""


def _alert_text(alert_id: str, lang: str) -> str:
    states, _ = data.read_alerts()
    for a in states:
        if a.get("alert_id") == alert_id:
            return f"{alerts.message(a, lang)} — {alerts.state_text(a, lang)}"
    return alert_id


def chart(graph_id: str, config: dict[str, Any], figure: Any = None) -> list[Any]:
    """A chart and the store its callback writes the figure to (`scale_figure` draws it)."""
    return [dcc.Store(id=graph_id + ids.FIGURE, data=figure), dcc.Graph(id=graph_id, config=config)]


def scale_figure(app: dash.Dash, graph_id: str) -> None:
    """Draw the figure stored for `graph_id` scaled to the screen (`_SCALE_FIGURE_JS`)."""
    app.clientside_callback(
        _SCALE_FIGURE_JS, Output(graph_id, "figure"), Input(graph_id + ids.FIGURE, "data")
    )


def register(app: dash.Dash, spec: DrillDown) -> None:
    page = spec.page
    part = lambda name: ids.page_part(page, name)  # noqa: E731
    names = spec.control_names()

    app.server.before_request(functools.partial(_prefetch, spec))

    def update(*args: Any) -> tuple[Any, ...]:
        values, base = dict(zip(names, args[:-1], strict=True)), args[-1]
        view = view_outputs(spec, state_from_controls(spec, values, base))
        return tuple(getattr(view, f.name) for f in fields(view))  # not astuple: no deep copy

    # not on the first load: the layout holds the first view (`view_outputs`)
    app.callback(
        Output(part(ids.HISTORY + ids.FIGURE), "data"),
        Output(part(ids.BREAKDOWN + ids.FIGURE), "data"),
        Output(part(ids.GRID), "columnDefs"),
        Output(part(ids.SUMMARY), "children"),
        Output(part(ids.RECORDS_NOTE), "children"),
        Output(part(ids.QUERY), "data"),
        Output(part(ids.EXPORT), "href"),
        *(Input(ids.control(page, n), "value") for n in names),
        State(part(ids.PAGE_LANG), "data"),
        prevent_initial_call=True,
    )(update)
    app.callback(
        Output(part(ids.GRID), "getRowsResponse"),
        Input(part(ids.GRID), "getRowsRequest"),
        State(part(ids.QUERY), "data"),
    )(lambda request, query: grid_rows(spec, request, query))
    app.clientside_callback(
        _MOUNT_JS,
        Output(part(ids.GRID_SLOT), "children"),
        Input(part(ids.GRID_SPEC), "data"),
        State(part(ids.HISTORY), "id"),
    )
    app.clientside_callback(
        _PURGE_GRID_JS,
        Output(part(ids.GRID), "className"),
        Input(part(ids.QUERY), "data"),
        State(part(ids.GRID), "id"),
        prevent_initial_call=True,
    )

    def measures(*choice_values: Any) -> tuple[list[dict[str, str]], str]:
        *values, current, base = choice_values
        query = {**dict(base or {}), **dict(zip(choice_names, values, strict=True))}
        state = spec.normalise(
            ViewState.from_query({k: v or "" for k, v in query.items()} | {"field": current or ""})
        )
        lang = state.lang
        options = [
            {"label": t(f"field_{m.key}", lang), "value": m.key} for m in spec.measures(state)
        ]
        return options, state.field

    choice_names = [c.name for c in spec.choices]

    def sources(districts: list[str] | None, *values: Any) -> list[dict[str, str]]:
        *choice_values, current = values
        chosen = dict(zip(choice_names, choice_values, strict=True))
        return source_options(spec, districts, chosen, current)

    app.callback(
        Output(ids.control(page, "source"), "options"),
        Input(ids.control(page, "district"), "value"),
        *(Input(ids.control(page, n), "value") for n in choice_names),
        State(ids.control(page, "source"), "value"),
    )(sources)
    rules = {c.name: c.applies for c in spec.choices if c.applies is not None}
    if rules:

        def hidden(*values: Any) -> list[bool]:
            chosen = {n: v or "" for n, v in zip(choice_names, values, strict=True)}
            return [not applies(chosen) for applies in rules.values()]

        # not on the first load: the layout hides them already
        app.callback(
            [Output(ids.filter_box(page, name), "hidden") for name in rules],
            *(Input(ids.control(page, n), "value") for n in choice_names),
            prevent_initial_call=True,
        )(hidden)
    if choice_names:
        app.callback(
            Output(ids.control(page, "field"), "options"),
            Output(ids.control(page, "field"), "value"),
            *(Input(ids.control(page, n), "value") for n in choice_names),
            State(ids.control(page, "field"), "value"),
            State(part(ids.PAGE_LANG), "data"),
            prevent_initial_call=True,
        )(measures)

    for chart in (ids.HISTORY, ids.BREAKDOWN):
        scale_figure(app, part(chart))
    app.clientside_callback(
        _PUSH_URL_JS, Output(part(ids.URL_SYNC), "children"), Input(part(ids.QUERY), "data")
    )
    app.callback(
        Output(part(ids.ALERTS), "children"),
        Input(part(ids.ALERTS_TIMER), "n_intervals"),
        State(part(ids.PAGE_LANG), "data"),
    )(lambda n, base: page_alerts(page, sanitize.lang(base)))

    def ack(*args: Any) -> tuple[Any, ...]:
        _, _, _, alert_id, comment, base = args
        value = ctx.triggered[0]["value"] if ctx.triggered else None
        result = acknowledge(ctx.triggered_id, value, alert_id, comment, sanitize.lang(base))
        done = result[2] if result[0] is False and result[2] else no_update
        return (*result, done)

    app.callback(
        Output(part(ids.ACK_MODAL), "is_open"),
        Output(part(ids.ACK_ALERT), "data"),
        Output(part(ids.ACK_FEEDBACK), "children"),
        Output(part(ids.ACK_TEXT), "children"),
        Output(part(ids.ACK_DONE), "children"),
        Input(ids.ack_open(page, ALL), "n_clicks"),
        Input(part(ids.ACK_SUBMIT), "n_clicks"),
        Input(part(ids.ACK_CANCEL), "n_clicks"),
        State(part(ids.ACK_ALERT), "data"),
        State(part(ids.ACK_COMMENT), "value"),
        State(part(ids.PAGE_LANG), "data"),
    )(ack)
