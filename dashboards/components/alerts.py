"""Alerts: the wall list (severity, age, acknowledged state) and a drill-down's alert panel with
the acknowledgement dialog (a supervisor's name and a comment).

Severity is always written out (NGHIÊM TRỌNG / CẢNH BÁO / THÔNG TIN), never colour alone.
"""

from __future__ import annotations

from typing import Any

import dash_bootstrap_components as dbc
from dash import dcc, html

from dashboards import alertview, ids, theme
from dashboards.i18n import duration, t
from ioc.alerts.rules import RULES
from ioc.kpis.registry import KPIS

WALL_ROWS = 12


def alert_page(alert: dict[str, Any]) -> str:
    """The drill-down page of an alert (`traffic`): the page of the KPI it watches (the alert
    names it; older alert states are looked up by their rule); unknown: the devices page."""
    kpi = str(alert.get("kpi") or "")
    if kpi not in KPIS:
        rule = RULES.get(str(alert.get("rule", "")))
        kpi = rule.kpi if rule is not None else ""
    return KPIS[kpi].drilldown.page.strip("/") if kpi in KPIS else "devices"


def message(alert: dict[str, Any], lang: str) -> str:
    """The text to show: rendered with the current value (`text`) when the caller set it."""
    if alert.get("text"):
        return str(alert["text"])
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
    label = t(f"severity_{severity}", lang)
    value = alert.get("value_text")
    return [
        html.Span(
            [html.Span(label), html.Span(str(value), className="alert__value")] if value else label,
            className="alert__sev",
        ),
        html.Span(message(alert, lang), className="alert__msg"),
        html.Span(duration(age, lang) if age is not None else "", className="alert__age"),
        html.Span(state_text(alert, lang), className="alert__state"),
    ]


def _row_class(alert: dict[str, Any]) -> str:
    severity = str(alert.get("severity", "info"))
    sev = theme.SEVERITY_CLASS.get(severity, theme.SEVERITY_CLASS["info"])
    return f"alert {sev} alert--{alert.get('state', '')}"


def counts_bar(counts: dict[str, int], lang: str) -> list[Any]:
    """Open alerts by severity, always shown (0 included), and how many await acknowledgement."""
    chips: list[Any] = [
        html.Span(
            [
                html.Span(t(f"severity_{sev}", lang), className="alert-count__label"),
                html.Span(str(counts.get(sev, 0)), className="alert-count__n"),
            ],
            className=f"alert-count alert-count--{sev}"
            + (" alert-count--zero" if not counts.get(sev) else ""),
        )
        for sev in ("critical", "warning", "info")
    ]
    if counts.get("unacknowledged"):
        chips.append(
            html.Span(
                t("alerts_unacked", lang, n=counts["unacknowledged"]), className="alert-count__un"
            )
        )
    return chips


def _group_children(row: dict[str, Any], lang: str) -> list[Any]:
    severity = str(row.get("severity", "info"))
    age = row.get("age_s")
    state = (
        t("alerts_unacked", lang, n=row["unacknowledged"])
        if row.get("unacknowledged")
        else state_text(row, lang)
    )
    return [
        html.Span(t(f"severity_{severity}", lang), className="alert__sev"),
        html.Span(alertview.group_text(row, lang), className="alert__msg"),
        html.Span(duration(age, lang) if age is not None else "", className="alert__age"),
        html.Span(f"{state} · {t('group_open', lang)} →", className="alert__state"),
    ]


def wall_list(
    rows: list[dict[str, Any]],
    lang: str,
    query: str,
    *,
    limit: int = WALL_ROWS,
    link: Any = None,
) -> list[Any]:
    """The wall's alert rows (grouped, most urgent first), each linking to its drill-down.

    Each row's class carries how many alerts it stands for (`alert-n-<n>`): the browser hides
    the rows that do not fit the panel and counts them, with those beyond `limit`, in the line
    under it (`wallpush.fit` in assets/40-wall-push.js), so nothing is ever cut off unseen."""
    if not rows:
        return [html.Div(t("no_alerts", lang), className="alerts__empty")]
    out: list[Any] = []
    for row in rows[:limit]:
        href = link(row) if link else f"/{alert_page(row)}{query}"
        children = _group_children(row, lang) if row.get("group") else _row_children(row, lang)
        cls = _row_class(row) + (" alert--group" if row.get("group") else "")
        out.append(dcc.Link(children, href=href, className=f"{cls} alert-n-{row.get('n', 1)}"))
    hidden = sum(int(r.get("n", 1)) for r in rows[limit:])
    if hidden:
        out.append(html.Div("", className=f"alerts__beyond alert-n-{hidden}", hidden=True))
    return out


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
