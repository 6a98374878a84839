"""Layout and callbacks shared by the drill-down pages, built from a page's `DrillDown` spec.

Per page: filters (initial values from the URL), history and per-district charts, the page's
alerts with acknowledgement, the raw-records grid with CSV export. Every control change
recomputes the view and writes the state back into the address bar (`history.replaceState`, no
reload), so the link in the address bar always opens exactly this view.
"""

from __future__ import annotations

from typing import Any

import dash
from dash import ALL, Input, Output, State, ctx, dcc, html, no_update

from dashboards import auth, data, ids, sanitize, theme
from dashboards.components import alerts, filters, grid
from dashboards.drilldown import DrillDown, compute_view, state_from_controls
from dashboards.i18n import t
from dashboards.urlstate import ViewState
from ioc.auth.roles import ACK, EXPORT

ALERTS_REFRESH_MS = 2000

_REPLACE_URL_JS = """
function(query) {
  if (query === undefined || query === null) { return window.dash_clientside.no_update; }
  const url = window.location.pathname + query;
  if (url !== window.location.pathname + window.location.search) {
    window.history.replaceState(window.history.state, '', url);
  }
  return query;
}
"""


def _panel(title: str, body: list[Any], cls: str = "") -> html.Section:
    return html.Section([html.H2(title, className="panel__title"), *body], className=f"panel {cls}")


def layout(spec: DrillDown, query: dict[str, Any], extra: list[Any] | None = None) -> html.Div:
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
        filters.choice(page, "source", t("source", lang), [], state.source, t("all_sources", lang)),
    ]
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
            )
        )
    session = auth.current()
    measures = [{"label": t(f"field_{m.key}", lang), "value": m.key} for m in spec.measures(state)]
    controls.append(filters.choice(page, "field", t("field", lang), measures, state.field))
    return html.Div(
        [
            dcc.Store(id=part(ids.PAGE_LANG), data=base),
            dcc.Store(id=part(ids.QUERY)),
            html.Div(id=part(ids.URL_SYNC), hidden=True),
            html.H1(t(f"page_{page}", lang), className="drill__title"),
            html.Div(controls, className="filters"),
            html.Div("", id=part(ids.SUMMARY), className="drill__summary"),
            html.Div(
                [
                    _panel(
                        t("history", lang),
                        [dcc.Graph(id=part(ids.HISTORY), config=theme.GRAPH_CONFIG)],
                        "panel--history",
                    ),
                    _panel(
                        t("breakdown", lang),
                        [dcc.Graph(id=part(ids.BREAKDOWN), config=theme.GRAPH_CONFIG)],
                        "panel--breakdown",
                    ),
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
                    html.Button(
                        t("export_csv", lang),
                        id=part(ids.EXPORT),
                        className="btn btn-primary",
                        hidden=not auth.can(EXPORT),
                    ),
                    grid.grid(part(ids.GRID), f"{page}.csv"),
                ],
                "panel--records",
            ),
            *alerts.ack_dialog(
                page, lang, state.alert if auth.can(ACK) else "", session.user if session else ""
            ),
        ],
        className=f"drill drill--{page}",
    )


def source_options(
    spec: DrillDown, districts: list[str] | None, choice_values: dict[str, Any]
) -> list[dict[str, str]]:
    """Sources known to the live state for this page's measurement and filters."""
    query = {k: sanitize.text(v) for k, v in choice_values.items()}
    state = spec.normalise(ViewState.from_query(query))
    districts = sanitize.texts(districts)
    live = data.read_live()
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
        out.append({"label": source, "value": source})
    return out


def page_alerts(page: str, lang: str) -> list[Any]:
    states, _ = data.read_alerts()
    mine = [a for a in states if alerts.alert_page(a) == page and a.get("state") != "pending"]
    order = {"active": 0, "acknowledged": 1, "cleared": 2}
    mine.sort(key=lambda a: (order.get(a.get("state", ""), 9), -(a.get("raised_ms") or 0)))
    now = data.now_ms()
    for a in mine:
        raised = a.get("raised_ms") or a.get("since_ms")
        a["age_s"] = (now - raised) / 1000 if raised else None
    return alerts.page_list(mine, lang, page, can_ack=auth.can(ACK))


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


def register(app: dash.Dash, spec: DrillDown) -> None:
    page = spec.page
    part = lambda name: ids.page_part(page, name)  # noqa: E731
    names = spec.control_names()

    def update(*args: Any) -> tuple[Any, ...]:
        values, base = dict(zip(names, args[:-1], strict=True)), args[-1]
        state = state_from_controls(spec, values, base)
        view = compute_view(spec, state)
        return (
            view["history"],
            view["breakdown"],
            view["rows"],
            view["columns"],
            view["summary"],
            state.with_(alert="").to_query(),
        )

    app.callback(
        Output(part(ids.HISTORY), "figure"),
        Output(part(ids.BREAKDOWN), "figure"),
        Output(part(ids.GRID), "rowData"),
        Output(part(ids.GRID), "columnDefs"),
        Output(part(ids.SUMMARY), "children"),
        Output(part(ids.QUERY), "data"),
        *(Input(ids.control(page, n), "value") for n in names),
        State(part(ids.PAGE_LANG), "data"),
    )(update)

    choice_names = [c.name for c in spec.choices]

    def sources(districts: list[str] | None, *choice_values: Any) -> list[dict[str, str]]:
        return source_options(spec, districts, dict(zip(choice_names, choice_values, strict=True)))

    app.callback(
        Output(ids.control(page, "source"), "options"),
        Input(ids.control(page, "district"), "value"),
        *(Input(ids.control(page, n), "value") for n in choice_names),
    )(sources)

    app.clientside_callback(
        _REPLACE_URL_JS, Output(part(ids.URL_SYNC), "children"), Input(part(ids.QUERY), "data")
    )
    app.callback(
        Output(part(ids.ALERTS), "children"),
        Input(part(ids.ALERTS_TIMER), "n_intervals"),
        State(part(ids.PAGE_LANG), "data"),
    )(lambda n, base: page_alerts(page, sanitize.lang(base)))

    def ack(*args: Any) -> tuple[Any, ...]:
        _, _, _, alert_id, comment, base = args
        value = ctx.triggered[0]["value"] if ctx.triggered else None
        return acknowledge(ctx.triggered_id, value, alert_id, comment, sanitize.lang(base))

    app.callback(
        Output(part(ids.ACK_MODAL), "is_open"),
        Output(part(ids.ACK_ALERT), "data"),
        Output(part(ids.ACK_FEEDBACK), "children"),
        Output(part(ids.ACK_TEXT), "children"),
        Input(ids.ack_open(page, ALL), "n_clicks"),
        Input(part(ids.ACK_SUBMIT), "n_clicks"),
        Input(part(ids.ACK_CANCEL), "n_clicks"),
        State(part(ids.ACK_ALERT), "data"),
        State(part(ids.ACK_COMMENT), "value"),
        State(part(ids.PAGE_LANG), "data"),
    )(ack)
    app.callback(
        Output(part(ids.GRID), "exportDataAsCsv"),
        Input(part(ids.EXPORT), "n_clicks"),
        State(part(ids.QUERY), "data"),
        prevent_initial_call=True,
    )(lambda n, query: export(page, n, query))


def export(page: str, n_clicks: int | None, query: str | None) -> bool:
    """Let the grid export its rows as CSV: supervisors and admins only (else 403), audited."""
    if not n_clicks:
        return False
    auth.require(EXPORT)
    auth.record("export", page, {"view": sanitize.text(query)})
    return True
