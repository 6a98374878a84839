"""The offline map of Cao Bằng: a plain Plotly scatter on longitude/latitude axes (no tiles,
no web fonts, no CDN), drawn from `assets/map/cao-bang.json` (see `dashboards.geo`).

Devices carry no coordinates in the live state (only their district), so each district is one
bubble at its centre (`ioc.places`), sized by its number of sources and coloured by the worst
state among them and their alerts, labelled "name online/total"; the named places of
`ioc.places` are diamonds coloured by their own alerts and sources.
"""

from __future__ import annotations

import math
from typing import Any

from dashboards import theme
from dashboards.geo import map_data
from dashboards.i18n import district_name, t
from ioc.kpis.spec import parse_scope
from ioc.places import DISTRICTS, PLACES

LON_RANGE = (105.22, 106.95)
LAT_RANGE = (22.22, 23.20)
RANK = {"critical": 0, "warning": 1, "stale": 2, "ok": 3, "no_data": 4}
ACTIVE = frozenset({"active", "acknowledged"})
# Label placement where centres are close (the city, Hòa An and the city-centre place overlap).
DISTRICT_LABEL = {
    "hoa-an": "bottom left",
    "nguyen-binh": "bottom left",
    "quang-hoa": "middle right",
}
PLACE_LABEL = {
    "ban-gioc-waterfall": "top left",
    "ta-lung-border-gate": "bottom right",
    "pac-bo-relic-site": "top left",
}


def _own_place(slug: str) -> bool:
    """A place away from its district's centre gets its own marker (the city centre does not)."""
    place, centre = PLACES[slug], DISTRICTS[PLACES[slug].district]
    return abs(place.lat - centre.lat) + abs(place.lon - centre.lon) > 0.02


def _alert_places(alert: dict[str, Any], source_district: dict[str, str]) -> tuple[str, str]:
    """(district, site) an alert concerns ("" when none)."""
    parts = parse_scope(str(alert.get("scope", "province")))
    if "source" in parts:
        return source_district.get(parts["source"], ""), parts["source"]
    if "site" in parts:
        place = PLACES.get(parts["site"])
        return (place.district if place else ""), parts["site"]
    return parts.get("district", ""), ""


def statuses(snapshot: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Per district and per place: status, online and total sources."""
    out: dict[str, dict[str, Any]] = {}
    for key in [*DISTRICTS, *PLACES]:
        out[key] = {"status": "no_data", "online": 0, "total": 0}
    source_district = {s["source"]: s["district"] for s in snapshot.get("sources", [])}

    def worsen(key: str, status: str) -> None:
        entry = out.get(key)
        if entry is not None and RANK[status] < RANK[entry["status"]]:
            entry["status"] = status

    for s in snapshot.get("sources", []):
        state = "ok" if s["online"] else "critical"
        for key in (s["district"], s.get("site") or ""):
            if key in out:
                out[key]["total"] += 1
                out[key]["online"] += bool(s["online"])
                worsen(key, state)
    for alert in snapshot.get("alerts", []):
        if alert.get("state") in ACTIVE:
            severity = "critical" if alert.get("severity") == "critical" else "warning"
            for key in _alert_places(alert, source_district):
                worsen(key, severity)
    if not snapshot.get("live", {}).get("connected", True):
        for entry in out.values():
            entry["status"] = "stale"
    return out


def figure(snapshot: dict[str, Any], lang: str) -> dict[str, Any]:
    geo = map_data()
    state = statuses(snapshot)
    border = geo["border"]
    sketch = [border[-1], *geo["outline_sketch"], border[0]]
    traces: list[dict[str, Any]] = [
        {
            "type": "scatter",
            "x": [p[0] for p in sketch],
            "y": [p[1] for p in sketch],
            "mode": "lines",
            "line": {"color": theme.MUTED, "width": 1.5, "dash": "dot"},
            "name": t("map_outline", lang),
            "hoverinfo": "skip",
        },
        {
            "type": "scatter",
            "x": [p[0] for p in border],
            "y": [p[1] for p in border],
            "mode": "lines",
            "line": {"color": theme.TEXT, "width": 3},
            "name": t("map_border", lang),
            "hoverinfo": "skip",
        },
    ]
    slugs = list(DISTRICTS)
    traces.append(
        {
            "type": "scatter",
            "x": [DISTRICTS[d].lon for d in slugs],
            "y": [DISTRICTS[d].lat for d in slugs],
            "mode": "markers+text",
            "text": [
                f"{district_name(d, lang)}<br>{state[d]['online']}/{state[d]['total']}"
                for d in slugs
            ],
            "textposition": [DISTRICT_LABEL.get(d, "bottom center") for d in slugs],
            "textfont": {"size": 16, "color": theme.TEXT},
            "marker": {
                "size": [14 + 4 * math.sqrt(state[d]["total"]) for d in slugs],
                "color": [theme.STATUS_COLOURS[state[d]["status"]] for d in slugs],
                "line": {"color": theme.BG, "width": 2},
            },
            "name": t("map_sites", lang),
            "hoverinfo": "text",
        }
    )
    places = [p for p in PLACES if _own_place(p)]
    traces.append(
        {
            "type": "scatter",
            "x": [PLACES[p].lon for p in places],
            "y": [PLACES[p].lat for p in places],
            "mode": "markers+text",
            "text": [PLACES[p].name_vi for p in places],
            "textposition": [PLACE_LABEL.get(p, "top center") for p in places],
            "textfont": {"size": 14, "color": theme.MUTED},
            "marker": {
                "symbol": "diamond",
                "size": 16,
                "color": [theme.STATUS_COLOURS[state[p]["status"]] for p in places],
                "line": {"color": theme.TEXT, "width": 1.5},
            },
            "name": t("map_places", lang),
            "hoverinfo": "text",
        }
    )
    mid_lat = sum(LAT_RANGE) / 2
    axis = {"visible": False, "fixedrange": True}
    layout = theme.figure_layout(
        margin={"l": 0, "r": 0, "t": 0, "b": 0},
        showlegend=True,
        legend={
            "orientation": "h",
            "x": 0,
            "y": 0,
            "yanchor": "bottom",
            "font": {"size": 13, "color": theme.MUTED},
            "bgcolor": "rgba(11,18,32,0.6)",
        },
        xaxis=axis | {"range": list(LON_RANGE)},
        yaxis=axis
        | {
            "range": list(LAT_RANGE),
            "scaleanchor": "x",
            "scaleratio": 1 / math.cos(math.radians(mid_lat)),
        },
        dragmode=False,
    )
    return {"data": traces, "layout": layout}
