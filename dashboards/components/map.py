"""The offline map of Cao Bằng: a plain Plotly scatter on longitude/latitude axes (no tiles,
no web fonts, no CDN), drawn from `assets/map/cao-bang.json` (see `dashboards.geo`).

One marker per device at its catalogue position (`ioc.sources`; a device the catalogue does not
place sits at its district's centre). A device's status is told by shape as well as colour —
● normal, ▲ warning, ■ critical, ✕ offline, ○ no data (`MARKS`; the legend under the map is
static HTML, so it never changes with the data). Each district keeps its summary as a label
"name online/total" (with ▲/■/✕ when something in it is wrong), and the named places of
`ioc.places` are diamonds. Labels are annotations with fixed offsets chosen so that none
overlaps another at the wall's size (a browser test measures them).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from dashboards import theme
from dashboards.geo import map_data
from dashboards.i18n import district_name, t
from ioc.kpis.spec import parse_scope
from ioc.places import DISTRICTS, PLACES
from ioc.sources import Source

LON_RANGE = (105.22, 106.95)
LAT_RANGE = (22.30, 23.12)
RANK = {"critical": 0, "offline": 1, "warning": 2, "stale": 3, "ok": 4, "no_data": 5}
ACTIVE = frozenset({"active", "acknowledged"})
# status -> (plotly symbol, colour key, text mark)
MARKS: dict[str, tuple[str, str, str]] = {
    "ok": ("circle", "ok", "●"),
    "warning": ("triangle-up", "warning", "▲"),
    "critical": ("square", "critical", "■"),
    "offline": ("x", "critical", "✕"),
    "no_data": ("circle-open", "no_data", "○"),
    "stale": ("circle-open", "stale", "○"),
}
# Label offsets (x, y in px, anchor) where centres are close: the city and Hòa An, Hạ Lang and
# Quảng Hòa and Tà Lùng, Trùng Khánh and Bản Giốc, Hà Quảng and Pác Bó.
DISTRICT_LABEL: dict[str, tuple[int, int, str]] = {
    "thanh-pho-cao-bang": (10, -20, "left"),
    "hoa-an": (-12, 20, "right"),
    "ha-quang": (12, -16, "left"),
    "ha-lang": (0, -20, "center"),
    "quang-hoa": (-12, 14, "right"),
    "thach-an": (-10, -20, "right"),
    "trung-khanh": (-12, 18, "right"),
    "nguyen-binh": (0, -22, "center"),
    "bao-lac": (0, -20, "center"),
    "bao-lam": (0, -22, "center"),
}
PLACE_LABEL: dict[str, tuple[int, int, str]] = {
    "ban-gioc-waterfall": (0, 20, "center"),
    "ta-lung-border-gate": (14, -14, "left"),
    "pac-bo-relic-site": (12, 12, "left"),
}


def _own_place(slug: str) -> bool:
    """A place away from its district's centre gets its own marker (the city centre does not)."""
    place, centre = PLACES[slug], DISTRICTS[PLACES[slug].district]
    return abs(place.lat - centre.lat) + abs(place.lon - centre.lon) > 0.02


def _alert_keys(alert: dict[str, Any], source_district: dict[str, str]) -> tuple[str, ...]:
    """(district, site or source) an alert concerns."""
    try:
        parts = parse_scope(str(alert.get("scope", "province")))
    except ValueError:
        return ()
    if "source" in parts:
        return source_district.get(parts["source"], ""), parts["source"]
    if "site" in parts:
        place = PLACES.get(parts["site"])
        return (place.district if place else ""), parts["site"]
    return (parts.get("district", ""),)


def statuses(snapshot: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Per district, per place and per source: status, online and total sources."""
    out: dict[str, dict[str, Any]] = {}
    for key in [*DISTRICTS, *PLACES]:
        out[key] = {"status": "no_data", "online": 0, "total": 0}
    sources = snapshot.get("sources", [])
    source_district = {s["source"]: s["district"] for s in sources}

    def worsen(key: str, status: str) -> None:
        entry = out.get(key)
        if entry is not None and RANK[status] < RANK[entry["status"]]:
            entry["status"] = status

    for s in sources:
        out[s["source"]] = {"status": "ok" if s["online"] else "offline", "online": 0, "total": 0}
        state = "ok" if s["online"] else "offline"
        for key in (s["district"], s.get("site") or ""):
            if key in DISTRICTS or key in PLACES:
                out[key]["total"] += 1
                out[key]["online"] += bool(s["online"])
                worsen(key, state)
    for alert in snapshot.get("alerts", []):
        if alert.get("state") in ACTIVE:
            severity = "critical" if alert.get("severity") == "critical" else "warning"
            for key in _alert_keys(alert, source_district):
                worsen(key, severity)
    if not snapshot.get("live", {}).get("connected", True):
        for entry in out.values():
            entry["status"] = "stale"
    return out


def _position(
    source: dict[str, Any], catalogue: Mapping[str, Source], i: int
) -> tuple[float, float]:
    known = catalogue.get(source["source"])
    if known is not None and known.lat is not None and known.lon is not None:
        return known.lon, known.lat
    centre = DISTRICTS.get(source["district"]) or DISTRICTS["thanh-pho-cao-bang"]
    angle = i * 2.399963  # golden angle: unplaced devices spread around their district's centre
    radius = 0.012 * math.sqrt(i + 1)
    return centre.lon + radius * math.cos(angle), centre.lat + radius * math.sin(angle)


def _label(x: float, y: float, text: str, where: tuple[int, int, str], size: int) -> dict[str, Any]:
    dx, dy, anchor = where
    return {
        "x": x,
        "y": y,
        "text": text,
        "showarrow": False,
        "xshift": dx,
        "yshift": dy,
        "xanchor": anchor,
        "font": {"size": size, "color": theme.TEXT},
        "bgcolor": "rgba(11,18,32,0.72)",
        "borderpad": 1,
    }


def figure(
    snapshot: dict[str, Any], lang: str, catalogue: Mapping[str, Source] | None = None
) -> dict[str, Any]:
    geo = map_data()
    state = statuses(snapshot)
    catalogue = catalogue or {}
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
    by_status: dict[str, list[tuple[float, float, str]]] = {}
    for i, s in enumerate(snapshot.get("sources", [])):
        status = state.get(s["source"], {}).get("status", "no_data")
        x, y = _position(s, catalogue, i)
        known = catalogue.get(s["source"])
        by_status.setdefault(status, []).append((x, y, known.name_vi if known else s["source"]))
    for status, points in sorted(by_status.items(), key=lambda kv: -RANK[kv[0]]):
        symbol, colour, _ = MARKS[status]
        traces.append(
            {
                "type": "scatter",
                "x": [p[0] for p in points],
                "y": [p[1] for p in points],
                "mode": "markers",
                "text": [p[2] for p in points],
                "marker": {
                    "symbol": symbol,
                    "size": 11 if status == "ok" else 14,
                    "color": theme.STATUS_COLOURS[colour],
                    "line": {
                        "color": theme.STATUS_COLOURS[colour] if status == "offline" else theme.BG,
                        "width": 1.5,
                    },
                },
                "name": t(f"legend_{status}", lang),
                "hoverinfo": "text",
            }
        )
    places = [p for p in PLACES if _own_place(p)]
    traces.append(
        {
            "type": "scatter",
            "x": [PLACES[p].lon for p in places],
            "y": [PLACES[p].lat for p in places],
            "mode": "markers",
            "text": [PLACES[p].name_vi for p in places],
            "marker": {
                "symbol": "diamond",
                "size": 16,
                "color": [theme.STATUS_COLOURS[MARKS[state[p]["status"]][1]] for p in places],
                "line": {"color": theme.TEXT, "width": 1.5},
            },
            "name": t("map_places", lang),
            "hoverinfo": "text",
        }
    )
    labels = []
    for d, district in DISTRICTS.items():
        entry = state[d]
        mark = (
            MARKS[entry["status"]][2]
            if entry["status"] in ("warning", "critical", "offline")
            else ""
        )
        text = f"{district_name(d, lang)} {entry['online']}/{entry['total']}"
        labels.append(
            _label(district.lon, district.lat, f"{text} {mark}".strip(), DISTRICT_LABEL[d], 15)
        )
    for p in places:
        labels.append(
            _label(
                PLACES[p].lon,
                PLACES[p].lat,
                PLACES[p].name_vi,
                PLACE_LABEL.get(p, (0, 18, "center")),
                13,
            )
        )
    mid_lat = sum(LAT_RANGE) / 2
    axis = {"visible": False, "fixedrange": True}
    layout = theme.figure_layout(
        margin={"l": 0, "r": 0, "t": 0, "b": 0},
        showlegend=False,
        annotations=labels,
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
