"""Alerts: the wall list (severity, age, acknowledged state) and a drill-down's alert panel with
the acknowledgement dialog (a supervisor's name and a comment).

Severity is always written out (NGHIÊM TRỌNG / CẢNH BÁO / THÔNG TIN), never colour alone.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl

import dash_bootstrap_components as dbc
from dash import dcc, html

from dashboards import ids, theme
from dashboards.i18n import duration, t
from ioc.alerts.rules import RULES
from ioc.kpis.drilldown import href
from ioc.kpis.registry import KPIS
from ioc.kpis.spec import Drilldown

WALL_ROWS = 7


def alert_page(alert: dict[str, Any]) -> str:
    """The drill-down page of an alert (`traffic`): the page of the KPI it watches (the alert
    names it; older alert states are looked up by their rule); unknown: the devices page."""
    kpi = str(alert.get("kpi") or "")
    if kpi not in KPIS:
        rule = RULES.get(str(alert.get("rule", "")))
        kpi = rule.kpi if rule is not None else ""
    return KPIS[kpi].drilldown.page.strip("/") if kpi in KPIS else "devices"


def message(alert: dict[str, Any], lang: str) -> str:
    text = alert.get("message_en") if lang == "en" else alert.get("message_vi")
    return str(text or alert.get("rule", ""))


def state_text(alert: dict[str, Any], lang: str) -> str:
    state = alert.get("state", "")
    if state == "acknowledged":
        return t("state_acknowledged", lang, by=alert.get("acked_by", ""))
    return t(f"state_{state}", lang) if state in ("pending", "active", "cleared") else state


def _row_children(alert: dict[str, Any], lang: str) -> list[Any]:
    severity = str(alert.get("severity", "info"))
    age = alert.get("age_s")
    return [
        html.Span(t(f"severity_{severity}", lang), className="alert__sev"),
        html.Span(message(alert, lang), className="alert__msg"),
        html.Span(duration(age, lang) if age is not None else "", className="alert__age"),
        html.Span(state_text(alert, lang), className="alert__state"),
    ]


def _row_class(alert: dict[str, Any]) -> str:
    severity = str(alert.get("severity", "info"))
    sev = theme.SEVERITY_CLASS.get(severity, theme.SEVERITY_CLASS["info"])
    return f"alert {sev} alert--{alert.get('state', '')}"


def wall_list(alerts: list[dict[str, Any]], lang: str, query: str) -> list[Any]:
    """The wall's alert rows (most urgent first), each linking to its drill-down."""
    if not alerts:
        return [html.Div(t("no_alerts", lang), className="alerts__empty")]
    rows: list[Any] = []
    for alert in alerts[:WALL_ROWS]:
        keep = {**dict(parse_qsl(query.removeprefix("?"))), "alert": str(alert.get("alert_id", ""))}
        rows.append(
            dcc.Link(
                _row_children(alert, lang),
                href=href(Drilldown(f"/{alert_page(alert)}"), keep=keep),
                className=_row_class(alert),
            )
        )
    if len(alerts) > WALL_ROWS:
        more = t("more_alerts", lang, n=len(alerts) - WALL_ROWS)
        rows.append(html.Div(more, className="alerts__more"))
    return rows


def page_list(
    alerts: list[dict[str, Any]], lang: str, page: str, can_ack: bool = True
) -> list[Any]:
    """A drill-down's alert rows; active ones have an acknowledge button (if the role may)."""
    if not alerts:
        return [html.Div(t("no_alerts", lang), className="alerts__empty")]
    rows = []
    for alert in alerts:
        children = _row_children(alert, lang)
        if alert.get("state") == "active" and can_ack:
            children.append(
                html.Button(
                    t("acknowledge", lang),
                    id=ids.ack_open(page, str(alert.get("alert_id"))),
                    className="btn btn-warning btn-sm alert__ack",
                    n_clicks=0,
                )
            )
        elif alert.get("state") == "acknowledged" and alert.get("ack_comment"):
            children.append(html.Span(f"“{alert['ack_comment']}”", className="alert__comment"))
        rows.append(html.Div(children, className=_row_class(alert)))
    return rows


def ack_dialog(page: str, lang: str, alert_id: str, by: str = "") -> list[Any]:
    """The acknowledgement dialog and the store naming the alert it is for; `by` is the
    signed-in user, shown (not typed: the server takes the name from the session)."""
    part = lambda name: ids.page_part(page, name)  # noqa: E731
    return [
        dcc.Store(id=part(ids.ACK_ALERT), data=alert_id),
        dbc.Modal(
            [
                dbc.ModalHeader(dbc.ModalTitle(t("ack_title", lang))),
                dbc.ModalBody(
                    [
                        html.P("", id=part(ids.ACK_TEXT), className="ack__text"),
                        dbc.Label(t("ack_by", lang), html_for=part(ids.ACK_BY)),
                        html.Div(by, id=part(ids.ACK_BY), className="ack__by"),
                        dbc.Label(t("ack_comment", lang), html_for=part(ids.ACK_COMMENT)),
                        dbc.Textarea(id=part(ids.ACK_COMMENT), maxLength=500, value=""),
                        html.Div("", id=part(ids.ACK_FEEDBACK), className="ack__feedback"),
                    ]
                ),
                dbc.ModalFooter(
                    [
                        dbc.Button(t("cancel", lang), id=part(ids.ACK_CANCEL), color="secondary"),
                        dbc.Button(t("ack_submit", lang), id=part(ids.ACK_SUBMIT), color="warning"),
                    ]
                ),
            ],
            id=part(ids.ACK_MODAL),
            is_open=bool(alert_id),
            size="lg",
        ),
    ]
