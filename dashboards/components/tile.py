"""A wall tile: title, value (with unit, AQI band or status), detail line and data age.

`tile(spec, lang, href)` is the static frame (ids from `dashboards.ids`); `render(view, lang)`
turns one tile view of the snapshot into the four things the wall callback updates. A stale tile
is grey with a "DỮ LIỆU CŨ" / "mất kết nối" label; an AQI value always carries its band name.
"""

from __future__ import annotations

from typing import Any

from dash import dcc, html

from dashboards import ids, theme
from dashboards.i18n import (
    TEXT,
    district_name,
    duration,
    feed_name,
    kpi_name,
    number,
    place_name,
    t,
)
from dashboards.i18n import unit as unit_label
from dashboards.tiles import TileSpec
from ioc.kpis.spec import parse_scope


def title(spec: TileSpec, lang: str) -> str:
    if spec.kpi is not None:
        short = f"wall_{spec.kpi.id}"
        return t(short, lang) if short in TEXT else kpi_name(spec.kpi, lang)
    assert spec.indicator is not None
    return t(f"ind_{spec.indicator.id}", lang)


def tile(spec: TileSpec, lang: str, href: str) -> dcc.Link:
    return dcc.Link(
        [
            html.Div(title(spec, lang), className="tile__title"),
            html.Div("—", id=ids.tile_value(spec.key), className="tile__value"),
            html.Div("", id=ids.tile_detail(spec.key), className="tile__detail"),
            html.Div("", id=ids.tile_age(spec.key), className="tile__age"),
        ],
        id=ids.tile(spec.key),
        href=href,
        className=f"{theme.TILE} {theme.TILE_STATUS['no_data']}",
    )


def scope_label(
    scope: str, lang: str, districts: dict[str, str] | None = None, name: str | None = None
) -> str:
    """province / a district / a place / a source (by its catalogue `name` when it has one, with
    its district) / a feed, readable."""
    if scope == "province":
        return t("province", lang)
    parts = parse_scope(scope)
    if "source" in parts:
        source = parts["source"]
        label = name or source
        slug = (districts or {}).get(source)
        district = district_name(slug, lang) if slug else ""
        return f"{label} ({district})" if district and district not in label else label
    if "site" in parts:
        return name or place_name(parts["site"])
    if "feed" in parts and "district" in parts:
        return f"{feed_name(parts['feed'], lang)}, {district_name(parts['district'], lang)}"
    if "feed" in parts:
        return feed_name(parts["feed"], lang)
    return district_name(parts.get("district", ""), lang)


def _value(view: dict[str, Any], lang: str) -> list[Any]:
    if view.get("ok") is not None:
        return [html.Span(f"{view['ok']}/{view['total']}", className="tile__number")]
    value = view.get("value")
    if value is None and view.get("empty"):
        return _empty(view, lang)
    if view.get("text"):
        return [html.Span(str(view["text"]), className="tile__number")]
    parts: list[Any] = [
        html.Span(number(value, int(view.get("decimals", 1)), lang), className="tile__number")
    ]
    unit = unit_label(str(view.get("unit", "")), lang)
    if unit and value is not None:
        parts.append(html.Span(unit, className="tile__unit"))
    band = view.get("band")
    if band and value is not None:
        name = view.get("band_en") if lang == "en" else view.get("band_vi")
        parts.append(html.Span(name, className=f"aqi-chip aqi-band-{int(band)}"))
    return parts


def empty_reason(view: dict[str, Any], lang: str) -> str:
    """Why a tile has no value, in words (per KPI when the table has a sentence for it)."""
    kpi = str(view.get("kpi", ""))
    if view.get("empty") == "no_value" and f"empty_{kpi}" in TEXT:
        return t(f"empty_{kpi}", lang)
    if view.get("empty") == "no_value" and view.get("window"):
        return t("empty_window", lang, window=t(f"in_window_{view['window']}", lang))
    return t("empty_no_kpi", lang)


def _empty(view: dict[str, Any], lang: str) -> list[Any]:
    parts: list[Any] = [html.Span(empty_reason(view, lang), className="tile__reason")]
    other = view.get("other") or {}
    if other.get("value") is not None:
        places = int(view.get("decimals", 1))
        unit = unit_label(str(view.get("unit", "")), lang)
        shown = f"{number(other['value'], places, lang)} {unit}".strip()
        label = t(f"in_window_{other['window']}", lang)
        parts.append(html.Span(f"{label}: {shown}", className="tile__other"))
    return parts


def _detail(view: dict[str, Any], lang: str, districts: dict[str, str]) -> str:
    bits: list[str] = []
    empty = view.get("value") is None and view.get("empty")
    windowed = view.get("window") not in (None, "now", "nowcast") and view.get("window_label", True)
    if view.get("kpi") and windowed and not empty:
        bits.append(t(f"in_window_{view['window']}", lang))
    if view.get("worst_of") and view.get("scope"):
        label = scope_label(view["scope"], lang, districts, view.get("name"))
        bits.append(t("worst_of", lang, what=label))
    elif view.get("station"):
        label = scope_label("source:" + view["station"], lang, name=view.get("station_name"))
        bits.append(t("worst_of", lang, what=label))
    if view.get("detail_value") is not None:
        places = int(view.get("detail_decimals", 0))
        unit = unit_label(str(view.get("detail_unit", "")), lang)
        shown = f"{number(view['detail_value'], places, lang)} {unit}".strip()
        label = str(view.get("detail_label") or "")
        bits.append(t(label, lang, value=shown) if label in TEXT else shown)
    for key, n in view.get("detail_counts") or []:
        bits.append(t(f"count_{key}", lang, n=number(n, 0, lang)))
    if view.get("dominant"):
        bits.append(str(view["dominant"]).upper().replace("PM25", "PM2.5"))
    if view.get("ok") is not None:
        bits.append(t("online", lang))
    return " · ".join(b for b in bits if b)


def _age(view: dict[str, Any], lang: str) -> str:
    age = view.get("age_s")
    if view.get("last_known"):
        if age is None:
            return t("last_known_empty", lang)
        return t("last_known_ago", lang, age=duration(age, lang))
    if view.get("stale_reason") == "connection":
        return t("connection_lost", lang)
    if view.get("stale_reason") == "future" and age is not None:
        return t("future_time", lang, age=duration(-age, lang))
    if view.get("stale_reason") == "kpi_engine":
        return t("kpi_engine_stale", lang)
    if age is None:
        return t("no_data", lang)
    return t("updated_ago", lang, age=duration(age, lang))


def class_name(view: dict[str, Any]) -> str:
    status = view.get("status") or "no_data"
    names = [theme.TILE, theme.TILE_STATUS.get(status, theme.TILE_STATUS["no_data"])]
    if view.get("stale"):
        names.append(theme.TILE_STALE)
    if view.get("last_known"):
        names.append(theme.TILE_LAST_KNOWN)
    return " ".join(names)


def render(
    view: dict[str, Any], lang: str, districts: dict[str, str] | None = None
) -> tuple[list[Any], list[Any], list[Any], str]:
    """(value children, detail children, age children, className) of one tile view."""
    detail = _detail(view, lang, districts or {})
    status = view.get("status")
    badge = t(f"status_{status}", lang) if status in ("warning", "critical") else ""
    age_children: list[Any] = []
    if view.get("stale"):
        label = {"connection": "connection_lost", "future": "future_label"}.get(
            str(view.get("stale_reason")), "stale"
        )
        age_children.append(html.Span(t(label, lang).upper(), className="stale-label"))
    age_children.append(html.Span(_age(view, lang)))
    detail_children: list[Any] = []
    if badge and not view.get("stale"):
        detail_children.append(html.Span(badge, className=f"status-badge status-{status}"))
    detail_children.append(html.Span(detail))
    return _value(view, lang), detail_children, age_children, class_name(view)
