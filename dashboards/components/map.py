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

import functools
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
# Labels are placed for the map's size on the 1920×1080 wall (20rem high in a ~612 px column;
# at 4K everything, labels included, is twice the size, so the same placement holds): each label
# takes the first of `CANDIDATES` (offsets in px, anchor) where it overlaps no label placed
# before it and no marker of a district or place, inside the map.
MAP_W, MAP_H = 612.0, 320.0
CHAR_W = 0.62  # of the font size: Be Vietnam Pro's mean advance, with diacritics' margin
CANDIDATES: tuple[tuple[int, int, str], ...] = (
    (12, 0, "left"),
    (-12, 0, "right"),
    (0, 17, "center"),
    (0, -17, "center"),
    (12, 15, "left"),
    (12, -15, "left"),
    (-12, 15, "right"),
    (-12, -15, "right"),
    (0, 32, "center"),
    (0, -32, "center"),
)
SHORT_NAMES = {"thanh-pho-cao-bang": ("TP Cao Bằng", "Cao Bang City")}


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


Box = tuple[float, float, float, float]


def _to_px(lon: float, lat: float) -> tuple[float, float]:
    ratio = 1 / math.cos(math.radians(sum(LAT_RANGE) / 2))
    span_x, span_y = LON_RANGE[1] - LON_RANGE[0], (LAT_RANGE[1] - LAT_RANGE[0]) * ratio
    scale = min(MAP_W / span_x, MAP_H / span_y)
    x = MAP_W / 2 + (lon - sum(LON_RANGE) / 2) * scale
    y = MAP_H / 2 - (lat - sum(LAT_RANGE) / 2) * scale * ratio
    return x, y


def _box(x: float, y: float, text: str, size: int, where: tuple[int, int, str]) -> Box:
    dx, dy, anchor = where
    width, height = len(text) * size * CHAR_W, size * 1.45
    left = {"left": x + dx, "right": x + dx - width, "center": x + dx - width / 2}[anchor]
    return (left, y - dy - height / 2, left + width, y - dy + height / 2)


def _overlap(a: Box, b: Box) -> float:
    w = min(a[2], b[2]) - max(a[0], b[0])
    h = min(a[3], b[3]) - max(a[1], b[1])
    return w * h if w > 0 and h > 0 else 0.0


@functools.lru_cache(maxsize=64)  # the wall renders every second; its labels rarely change
def place_labels(
    items: tuple[tuple[float, float, str, int], ...],
) -> tuple[tuple[tuple[int, int, str], Box], ...]:
    """For each (lon, lat, text, font px): the chosen offset and its box (px, y down); cached,
    so a tuple."""
    points = [_to_px(lon, lat) for lon, lat, _, _ in items]
    markers = [(x - 8, y - 8, x + 8, y + 8) for x, y in points]
    placed: list[Box] = []
    out = []
    for (x, y), (_, _, text, size) in zip(points, items, strict=True):
        costs = []
        for where in CANDIDATES:
            box = _box(x, y, text, size, where)
            outside = max(0.0, -box[0]) + max(0.0, box[2] - MAP_W)
            outside += max(0.0, -box[1]) + max(0.0, box[3] - MAP_H)
            hits = sum(_overlap(box, other) for other in (*placed, *markers))
            costs.append(hits + 100 * outside)
        best = CANDIDATES[min(range(len(CANDIDATES)), key=lambda i: (costs[i] > 0, costs[i], i))]
        box = _box(x, y, text, size, best)
        placed.append(box)
        out.append((best, box))
    return tuple(out)


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
        "yanchor": "middle",
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
    items: list[tuple[float, float, str, int]] = []
    for d, district in DISTRICTS.items():
        entry = state[d]
        bad = entry["status"] in ("warning", "critical", "offline")
        mark = MARKS[entry["status"]][2] if bad else ""
        short = SHORT_NAMES.get(d)
        name = (short[1] if lang == "en" else short[0]) if short else district_name(d, lang)
        text = f"{name} {entry['online']}/{entry['total']} {mark}".strip()
        items.append((district.lon, district.lat, text, 15))
    for p in places:
        items.append((PLACES[p].lon, PLACES[p].lat, PLACES[p].name_vi, 13))
    labels = [
        _label(lon, lat, text, where, size)
        for (lon, lat, text, size), (where, _) in zip(
            items, place_labels(tuple(items)), strict=True
        )
    ]
    mid_lat = sum(LAT_RANGE) / 2
    axis = {"visible": False, "fixedrange": True}
    layout = theme.figure_layout(
        lang,
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
