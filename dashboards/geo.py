"""Offline map data of Cao Bằng: the national border (real data) and a province outline sketch.

`assets/map/cao-bang.json` ships with the app (no tile server, no CDN: the wall screens and many
provincial networks have no internet). It holds

- `border`: the Vietnam–China border along the province, from Natural Earth 1:10m admin-0
  countries (public domain) as packaged in the npm package `world-atlas` 2.0.2 (ISC licence,
  `countries-10m.json`, the arc shared by Vietnam and China, clipped to the province). At this
  scale a point can be off by a few hundred metres (Pác Bó, 1 km from the border, sits on it).
- `outline_sketch`: the province's other edges (with Hà Giang, Tuyên Quang, Bắc Kạn and Lạng
  Sơn), hand-drawn from the district centres of `ioc.places`: **approximate**, labelled so on the
  map. No openly licensed district or province shapes were found in a reachable registry.

Regenerate the border with `python -m dashboards.geo path/to/world-atlas/countries-10m.json`.
"""

from __future__ import annotations

import functools
import json
import sys
from pathlib import Path
from typing import Any

MAP_FILE = Path(__file__).parent / "assets" / "map" / "cao-bang.json"

# Where the province's stretch of the border ends (the Hà Giang and Lạng Sơn tripoints, roughly).
WEST_END_LON = 105.53
SOUTH_END_LAT = 22.40

# The non-border edges, west end of the border -> south end, hand-drawn (approximate).
OUTLINE_SKETCH: tuple[tuple[float, float], ...] = (
    (105.50, 23.08),
    (105.45, 23.02),
    (105.31, 22.94),
    (105.27, 22.80),
    (105.38, 22.67),
    (105.60, 22.61),
    (105.80, 22.55),
    (105.95, 22.50),
    (106.06, 22.42),
    (106.20, 22.35),
    (106.35, 22.27),
    (106.50, 22.30),
    (106.55, 22.40),
)


@functools.cache
def map_data() -> dict[str, Any]:
    """The shipped map data (read once per process; it never changes)."""
    data: dict[str, Any] = json.loads(MAP_FILE.read_text(encoding="utf-8"))
    return data


def _decode_arc(topology: dict[str, Any], index: int) -> list[tuple[float, float]]:
    (sx, sy), (tx, ty) = topology["transform"]["scale"], topology["transform"]["translate"]
    x = y = 0
    points = []
    for dx, dy in topology["arcs"][index]:
        x += dx
        y += dy
        points.append((round(x * sx + tx, 4), round(y * sy + ty, 4)))
    return points


def _arc_ids(geometry: dict[str, Any]) -> set[int]:
    found: set[int] = set()

    def walk(node: Any) -> None:
        if isinstance(node, int):
            found.add(node if node >= 0 else ~node)
        else:
            for child in node:
                walk(child)

    walk(geometry["arcs"])
    return found


def build(countries_10m: Path) -> dict[str, Any]:
    """The map data from world-atlas `countries-10m.json`."""
    topology = json.loads(countries_10m.read_text(encoding="utf-8"))
    by_name = {g["properties"]["name"]: g for g in topology["objects"]["countries"]["geometries"]}
    (shared,) = _arc_ids(by_name["Vietnam"]) & _arc_ids(by_name["China"])
    points = _decode_arc(topology, shared)  # runs from the Gulf of Tonkin westwards
    first = next(i for i, (_, lat) in enumerate(points) if lat >= SOUTH_END_LAT)
    last = max(i for i, (lon, _) in enumerate(points) if lon >= WEST_END_LON)
    return {
        "border_source": "Natural Earth 1:10m admin-0 (public domain), npm world-atlas 2.0.2 "
        "(ISC), arc Vietnam-China clipped to Cao Bằng",
        "outline_note": "province edges other than the border: hand-drawn sketch, approximate",
        "border": [list(p) for p in points[first : last + 1]],
        "outline_sketch": [list(p) for p in OUTLINE_SKETCH],
    }


if __name__ == "__main__":
    MAP_FILE.parent.mkdir(parents=True, exist_ok=True)
    MAP_FILE.write_text(json.dumps(build(Path(sys.argv[1])), ensure_ascii=False) + "\n")
    print(f"wrote {MAP_FILE}")
