"""The controls of a drill-down: time range (1 h … 1 y, custom), district, source and the
page's own filters. Their initial values come from the URL (`ViewState`)."""

from __future__ import annotations

from typing import Any

from dash import dcc, html

from dashboards import ids
from dashboards.i18n import district_name, t
from dashboards.urlstate import CUSTOM, RANGES, ViewState
from ioc.places import DISTRICTS


def _labelled(label: str, control: Any, cls: str = "", **box: Any) -> html.Div:
    return html.Div(
        [html.Label(label, className="filter__label"), control], className=f"filter {cls}", **box
    )


def time_range(page: str, state: ViewState, lang: str) -> list[html.Div]:
    options = [{"label": t(f"range_{r}", lang), "value": r} for r in RANGES]
    options.append({"label": t("range_custom", lang), "value": CUSTOM})
    return [
        _labelled(
            t("time_range", lang),
            dcc.RadioItems(
                id=ids.control(page, "range"),
                options=options,
                value=state.range,
                inline=True,
                className="filter__range",
            ),
            "filter--range",
        ),
        _labelled(
            t("from", lang),
            dcc.Input(id=ids.control(page, "start"), type="datetime-local", value=state.start),
            "filter--time",
        ),
        _labelled(
            t("to", lang),
            dcc.Input(id=ids.control(page, "end"), type="datetime-local", value=state.end),
            "filter--time",
        ),
    ]


def district(page: str, state: ViewState, lang: str) -> html.Div:
    options = [{"label": district_name(d, lang), "value": d} for d in DISTRICTS]
    return _labelled(
        t("district", lang),
        dcc.Dropdown(
            id=ids.control(page, "district"),
            options=options,
            value=list(state.district),
            multi=True,
            placeholder=t("all_districts", lang),
        ),
        "filter--district",
    )


def choice(
    page: str,
    name: str,
    label: str,
    options: list[dict[str, str]],
    value: str,
    placeholder: str = "",
    hidden: bool = False,
) -> html.Div:
    """A single-choice dropdown; clearable when it has a placeholder ("all …")."""
    return _labelled(
        label,
        dcc.Dropdown(
            id=ids.control(page, name),
            options=options,
            value=value or None,
            clearable=bool(placeholder),
            placeholder=placeholder,
        ),
        f"filter--{name}",
        id=ids.filter_box(page, name),
        hidden=hidden,
    )
