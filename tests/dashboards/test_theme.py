"""The theme: VN_AQI colours in the CSS are those of Decision 1459/QĐ-TCMT (ioc.aqi), assets are
local, and values are large enough to read across the room."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from dashboards.components import charts
from dashboards.theme import text_on
from ioc.aqi import BANDS

ASSETS = Path(__file__).parents[2] / "dashboards" / "assets"
CSS = (ASSETS / "10-theme.css").read_text(encoding="utf-8")


def test_aqi_band_colours_match_the_decision():
    for band in BANDS:
        rule = re.search(rf"\.aqi-band-{band.level} {{ background: rgb\(([^)]*)\)", CSS)
        assert rule, band
        assert tuple(int(x) for x in rule.group(1).split(",")) == band.rgb


def test_sizes_scale_with_the_viewport():
    # rem everywhere, the root font-size on the viewport (the browser test measures the pixels)
    assert re.search(r"html \{ font-size: min\(calc\(100vw / 120\), calc\(100vh / 67\.5\)\)", CSS)
    sizes = re.findall(r"\.tile__number \{[^}]*font-size: ([\d.]+)rem", CSS)
    assert sizes and min(float(s) for s in sizes) >= 3.5  # 56 px at 1920×1080


def test_no_stylesheet_or_font_points_at_another_host():
    for css in ASSETS.glob("*.css"):
        assert not re.search(r"url\(\s*['\"]?(https?:)?//", css.read_text(encoding="utf-8")), css
    assert sorted(p.name for p in (ASSETS / "fonts").glob("*vietnamese-700*.woff2"))


def test_text_on_colour_is_readable():
    assert text_on("#ffff00") == "#000000"
    assert text_on("#7e0023") == "#ffffff"


def test_every_chart_writes_numbers_in_the_pages_language():
    """Plotly's axes and hover labels use the layout's separators: 0,5 and 1.234 in Vietnamese,
    as i18n.number writes the tiles and the bars' labels."""
    frame = pd.DataFrame(
        {"time": pd.to_datetime([0, 60], unit="s", utc=True), "district": "hoa-an", "value": 0.5}
    )
    for lang, separators in (("vi", ",."), ("en", ".,")):
        figures = [
            charts.empty(lang),
            charts.history(frame, "district", "mm", lang),
            charts.breakdown(frame, "mean", "mm", lang),
        ]
        assert [f["layout"]["separators"] for f in figures] == [separators] * 3
