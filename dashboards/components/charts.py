"""Drill-down charts from storage frames: history lines (one per series) and a per-district bar.

Frames come bucketed from storage (`time`, the group tag, `value`); times are shown in local
time (+07:00). No data gives an empty chart that says so, never a blank box.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from dashboards import theme
from dashboards.i18n import district_name, number, t
from ioc.localtime import LOCAL_TZ
from ioc.places import DISTRICTS
from ioc.storage import TimeRange

HEIGHT = 420


def empty(lang: str, message: str = "") -> dict[str, Any]:
    """A figure with no data and, in words, why (default: no data in this range)."""
    layout = theme.figure_layout(
        lang,
        height=HEIGHT,
        xaxis={"visible": False},
        yaxis={"visible": False},
        annotations=[
            {
                "text": message or t("no_data", lang),
                "showarrow": False,
                "font": {"size": 22, "color": theme.MUTED},
                "xref": "paper",
                "yref": "paper",
                "x": 0.5,
                "y": 0.5,
            }
        ],
    )
    return {"data": [], "layout": layout}


def series_label(tag: str, value: str, lang: str) -> str:
    return district_name(value, lang) if tag == "district" else value


def _local(ns: int) -> str:
    return pd.Timestamp(ns, unit="ns", tz="UTC").tz_convert(LOCAL_TZ).tz_localize(None).isoformat()


def _with_gaps(times: list[pd.Timestamp], values: list[float], bucket_s: int | None) -> tuple:
    """Insert a break (None) where buckets are missing, so an empty bucket is a gap in the line,
    never a straight line drawn across it."""
    if not bucket_s or len(times) < 2:
        return [v.isoformat() for v in times], values
    xs: list[str] = []
    ys: list[float | None] = []
    limit = pd.Timedelta(seconds=1.5 * bucket_s)
    for i, (x, y) in enumerate(zip(times, values, strict=True)):
        if i and x - times[i - 1] > limit:
            gap = times[i - 1] + pd.Timedelta(seconds=bucket_s)
            xs.append(gap.isoformat())
            ys.append(None)
        xs.append(x.isoformat())
        ys.append(y)
    return xs, ys


def history(
    frame: pd.DataFrame,
    tag: str,
    unit: str,
    lang: str,
    error: str = "",
    span: TimeRange | None = None,
    bucket_s: int | None = None,
) -> dict[str, Any]:
    """One line per value of `tag` (all in one line when the frame has no such column), over
    the chosen range (`span`) whatever the data covers, with gaps for empty buckets."""
    if error:
        return empty(lang, t("storage_unreadable", lang))  # the detail is in the summary line
    if frame.empty or "value" not in frame:
        return empty(lang)
    times = pd.to_datetime(frame["time"], utc=True).dt.tz_convert(LOCAL_TZ).dt.tz_localize(None)
    frame = frame.assign(local=times)
    groups = frame.groupby(tag, sort=True) if tag in frame else [("", frame)]
    traces = []
    for key, part in groups:
        part = part.sort_values("local")
        xs, ys = _with_gaps(list(part["local"]), [float(v) for v in part["value"]], bucket_s)
        traces.append(
            {
                "type": "scatter",
                "mode": "lines+markers" if len(part) < 40 else "lines",
                "name": series_label(tag, str(key), lang) or unit,
                "x": xs,
                "y": ys,
                "connectgaps": False,
                "line": {"width": 2.5},
                "marker": {"size": 6},  # explicit, so the page can scale it to the screen
            }
        )
    # Day and month as the country writes them (not "Nov 30, 2026"), upright, few enough to fit
    # a narrow panel.
    xaxis: dict[str, Any] = {
        "gridcolor": theme.GRID,
        "type": "date",
        "automargin": True,
        "tickangle": 0,
        "nticks": 7,
        "tickformatstops": [
            {"dtickrange": [None, 86_400_000], "value": "%H:%M<br>%d/%m"},
            {"dtickrange": [86_400_000, None], "value": "%d/%m/%Y"},
        ],
    }
    if span is not None:
        xaxis["range"] = [_local(span.start_ns), _local(span.end_ns)]
    layout = theme.figure_layout(
        lang,
        height=HEIGHT,
        yaxis={
            "title": {"text": unit, "standoff": 12},
            "gridcolor": theme.GRID,
            "automargin": True,
        },
        xaxis=xaxis,
        legend={"orientation": "h", "y": -0.2},
        hovermode="x unified",
    )
    return {"data": traces, "layout": layout}


def summarise(frame: pd.DataFrame, aggregate: str, tag: str = "district") -> pd.Series:
    """Bucket values per district (or `tag`) -> one number each, by the same aggregate."""
    grouped = frame.groupby(tag)["value"]
    if aggregate in ("sum", "count"):
        return grouped.sum()
    if aggregate == "max":
        return grouped.max()
    if aggregate == "min":
        return grouped.min()
    return grouped.mean()


MAX_BARS = 12


def breakdown(
    frame: pd.DataFrame,
    aggregate: str,
    unit: str,
    lang: str,
    error: str = "",
    *,
    tag: str = "district",
    names: dict[str, str] | None = None,
) -> dict[str, Any]:
    """A bar per district (every district, in the registry's order), or per value of another
    `tag` (agency, source: the `MAX_BARS` largest, by their `names`)."""
    if error:
        return empty(lang, t("storage_unreadable", lang))  # the detail is in the summary line
    if frame.empty or tag not in frame or "value" not in frame:
        return empty(lang)
    values = summarise(frame, aggregate, tag)
    if tag == "district":
        slugs = [d for d in DISTRICTS if d in values.index]
        labels = [district_name(d, lang) for d in slugs]
    else:
        slugs = list(values.sort_values(ascending=False).index[:MAX_BARS])
        labels = [(names or {}).get(str(v), str(v)) for v in slugs]
    return {
        "data": [
            {
                "type": "bar",
                "orientation": "h",
                "y": labels,
                "x": [float(values[d]) for d in slugs],
                "marker": {"color": theme.SERIES[0]},
                "text": [number(float(values[d]), 1, lang) for d in slugs],
                "textposition": "auto",
            }
        ],
        "layout": theme.figure_layout(
            lang,
            height=HEIGHT,
            xaxis={
                "title": {"text": f"{unit} ({t('agg_' + aggregate, lang)})", "standoff": 10},
                "automargin": True,
            },
            yaxis={"autorange": "reversed", "automargin": True},
            margin={"l": 10, "r": 30, "t": 10, "b": 60},
        ),
    }
