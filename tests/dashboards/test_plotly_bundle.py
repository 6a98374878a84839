"""The pages draw with Plotly's basic partial bundle (`assets/05-plotly-basic.min.js`: a quarter
of the full one, which Dash would otherwise load on every page): every trace type our figures
use must be one it registers."""

import re
from pathlib import Path

import pandas as pd

from dashboards.components import charts
from dashboards.components import map as city_map

BUNDLE = Path(__file__).parents[2] / "dashboards" / "assets" / "05-plotly-basic.min.js"


def bundle_traces() -> set[str]:
    return set(re.findall(r'moduleType:"trace",name:"(\w+)"', BUNDLE.read_text()))


def bundle_version() -> str:
    match = re.search(r"plotly\.js \(basic - minified\) v([\d.]+)", BUNDLE.read_text()[:300])
    assert match, "not the basic bundle's header"
    return match.group(1)


def test_every_trace_type_of_our_figures_is_in_the_partial_bundle():
    times = pd.to_datetime([0, 300_000_000_000], utc=True)
    frame = pd.DataFrame({"time": times, "value": [1.0, 2.0], "district": ["hoa-an"] * 2})
    figures = [
        charts.history(frame, "district", "µg/m³", "vi"),
        charts.breakdown(frame, "mean", "µg/m³", "vi"),
        charts.empty("vi", "chưa có dữ liệu"),
        city_map.figure({}, "vi"),
    ]
    used = {trace.get("type", "scatter") for f in figures for trace in f["data"]}
    assert used and used <= bundle_traces(), used - bundle_traces()
    assert bundle_traces() == {"scatter", "bar", "pie"}  # the basic bundle, not another file
