"""The one theme module: colours and the Plotly figure template. CSS lives in `assets/`.

Dark and high contrast for a wall screen read from several metres: text #f2f5f9 on #0b1220
(contrast ≈ 17:1), status colours chosen to stay distinct on the dark background and always
paired with a text label (never colour alone). The CSS classes the components use are named
here so Python and `assets/10-theme.css` agree.
"""

from __future__ import annotations

from typing import Any

FONT_FAMILY = "'Be Vietnam Pro', 'Noto Sans', 'DejaVu Sans', sans-serif"

BG = "#0b1220"
PANEL = "#131c2e"
GRID = "#2a3650"
TEXT = "#f2f5f9"
MUTED = "#a9b4c6"

STATUS_COLOURS: dict[str, str] = {
    "ok": "#2ecc71",
    "warning": "#ffb020",
    "critical": "#ff4d4f",
    "stale": "#7a8494",
    "unrated": "#5aa9ff",
    "no_data": "#7a8494",
}

# A qualitative palette for series (districts, sources) that avoids the status colours' hues.
SERIES = (
    "#5aa9ff",
    "#c792ea",
    "#4dd0e1",
    "#f78c6c",
    "#c3e88d",
    "#ffcb6b",
    "#82aaff",
    "#ff80ab",
    "#a1887f",
    "#e0e0e0",
)

# CSS classes (assets/10-theme.css).
TILE = "tile"
TILE_STATUS = {s: f"tile--{s}" for s in STATUS_COLOURS}
TILE_STALE = "tile--stale"
TILE_LAST_KNOWN = "tile--last-known"  # shown again while the live state is lost
SEVERITY_CLASS = {"info": "sev--info", "warning": "sev--warning", "critical": "sev--critical"}
KIOSK = "kiosk"


def text_on(rgb_hex: str) -> str:
    """Black or white text, whichever reads better on the background colour `rgb_hex`."""
    r, g, b = (int(rgb_hex[i : i + 2], 16) for i in (1, 3, 5))
    luminance = 0.2126 * r + 0.7152 * g + 0.0722 * b
    return "#000000" if luminance > 140 else "#ffffff"


# Plotly's decimal and thousands separators: the axes write numbers as the page does (i18n.number)
SEPARATORS = {"vi": ",.", "en": ".,"}


def figure_layout(lang: str, **overrides: Any) -> dict[str, Any]:
    """The base Plotly layout of every chart: dark, large type, no Plotly logo or web fonts,
    numbers in the language's way (0,5 in Vietnamese)."""
    layout: dict[str, Any] = {
        "separators": SEPARATORS.get(lang, SEPARATORS["vi"]),
        "paper_bgcolor": PANEL,
        "plot_bgcolor": PANEL,
        "font": {"family": FONT_FAMILY, "color": TEXT, "size": 16},
        "margin": {"l": 60, "r": 20, "t": 10, "b": 50},
        "colorway": list(SERIES),
        "xaxis": {"gridcolor": GRID, "zerolinecolor": GRID, "linecolor": GRID},
        "yaxis": {"gridcolor": GRID, "zerolinecolor": GRID, "linecolor": GRID},
        "legend": {"bgcolor": "rgba(0,0,0,0)", "font": {"size": 14}},
        "hoverlabel": {"font": {"family": FONT_FAMILY, "size": 15}},
    }
    layout.update(overrides)
    return layout


# History charts keep only the download button; breakdowns and the wall have no toolbar (it
# covered the bars).
GRAPH_CONFIG: dict[str, Any] = {"displaylogo": False, "modeBarButtons": [["toImage"]]}
BREAKDOWN_CONFIG: dict[str, Any] = {"displayModeBar": False}
WALL_GRAPH_CONFIG: dict[str, Any] = {"displayModeBar": False, "staticPlot": False}
