"""A table of records (dash-ag-grid, dark quartz theme, bundled locally) with CSV export."""

from __future__ import annotations

import math
from typing import Any

import dash_ag_grid as dag
import pandas as pd

from dashboards.i18n import TEXT, district_name, t
from ioc.localtime import LOCAL_TZ


def grid(grid_id: str, file_name: str) -> dag.AgGrid:
    return dag.AgGrid(
        id=grid_id,
        rowData=[],
        columnDefs=[],
        defaultColDef={"sortable": True, "filter": True, "resizable": True, "minWidth": 110},
        columnSize="autoSize",
        dashGridOptions={"pagination": True, "paginationPageSize": 50},
        csvExportParams={"fileName": file_name},
        className="grid",
    )


def header(column: str, lang: str) -> str:
    """A column's label: a known field or tag from the translation table, else its name."""
    for key in (f"field_{column}", column):
        if key in TEXT:
            return t(key, lang)
    return column


def _cell(value: Any) -> Any:
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def rows(frame: pd.DataFrame, lang: str, columns: list[str] | None = None) -> tuple[list, list]:
    """(rowData, columnDefs) from a storage frame: local time first, then tags, then fields."""
    if frame.empty:
        return [], []
    frame = frame.copy()
    times = pd.to_datetime(frame["time"], utc=True).dt.tz_convert(LOCAL_TZ)
    frame["time"] = times.dt.strftime("%Y-%m-%d %H:%M:%S")
    if "district" in frame:
        frame["district"] = [district_name(str(d), lang) for d in frame["district"]]
    order = columns or list(frame.columns)
    order = [c for c in order if c in frame.columns]
    frame = frame.dropna(axis=1, how="all")
    order = [c for c in order if c in frame.columns]
    data = [{k: _cell(v) for k, v in row.items()} for row in frame[order].to_dict("records")]
    defs = [{"field": c, "headerName": header(c, lang)} for c in order]
    return data, defs
