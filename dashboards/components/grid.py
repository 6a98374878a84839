"""A table of records (dash-ag-grid, dark quartz theme, bundled locally) with CSV export."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import dash_ag_grid as dag
import pandas as pd

from dashboards.i18n import TEXT, district_name, place_name, t
from ioc.localtime import LOCAL_TZ

PAGE_SIZE = 50
# AG Grid's own words (pager, loading, empty) in Vietnamese; in English AG Grid's own, but for
# the words that must read as the rest of the page does.
LOCALE_VI: dict[str, str] = {
    "page": "Trang",
    "of": "/",
    "to": "–",
    "more": "nhiều hơn",
    "firstPage": "Trang đầu",
    "lastPage": "Trang cuối",
    "nextPage": "Trang sau",
    "previousPage": "Trang trước",
    "pageSizeSelectorLabel": "Số dòng mỗi trang:",
    "pageLastRowUnknown": "?",
    "loadingOoo": "Đang tải…",
    "noRowsToShow": "Không có bản ghi",
    "filterOoo": "Lọc…",
    "searchOoo": "Tìm…",
    "equals": "Bằng",
    "notEqual": "Khác",
    "contains": "Có chứa",
    "notContains": "Không chứa",
    "startsWith": "Bắt đầu bằng",
    "endsWith": "Kết thúc bằng",
    "blank": "Trống",
    "notBlank": "Không trống",
    "andCondition": "VÀ",
    "orCondition": "HOẶC",
    "ariaPageSizeSelectorLabel": "Số dòng mỗi trang",
}


LOCALE_EN: dict[str, str] = {"noRowsToShow": "No records", "loadingOoo": "Loading…"}
NUMBER_LOCALE = {"vi": "vi-VN", "en": "en-GB"}  # numbers as i18n.number writes them


def number_format(lang: str) -> dict[str, str]:
    """A column's `valueFormatter`: numbers in the language's way (assets/50-grid.js)."""
    return {"function": f"iocNumber(params.value, '{NUMBER_LOCALE.get(lang, 'vi-VN')}')"}


def grid(
    grid_id: str,
    file_name: str,
    lang: str = "vi",
    *,
    paged: bool = False,
    columns: list[dict[str, Any]] | None = None,
) -> dag.AgGrid:
    """A grid; `paged`: rows are fetched page by page from storage (infinite row model, the
    `getRowsRequest` callback answers), else they are given whole as `rowData`."""
    options: dict[str, Any] = {"pagination": True, "paginationPageSize": PAGE_SIZE}
    options["localeText"] = LOCALE_VI if lang == "vi" else LOCALE_EN
    extra: dict[str, Any] = {"rowData": []}
    if paged:
        options |= {"cacheBlockSize": PAGE_SIZE, "maxBlocksInCache": 20}
        options["paginationPageSizeSelector"] = False
        extra = {"rowModelType": "infinite"}
    return dag.AgGrid(
        id=grid_id,
        columnDefs=columns or [],
        defaultColDef={
            "sortable": not paged,
            "filter": not paged,
            "resizable": True,
            "minWidth": 110,
            "flex": 1,  # the columns share the grid's width (in rem: scales with the screen)
            "valueFormatter": number_format(lang),
        },
        dashGridOptions=options,
        csvExportParams={"fileName": file_name},
        className="grid",
        **extra,
    )


def header(column: str, lang: str) -> str:
    """A column's label: a known field or tag from the translation table, else its name."""
    for key in (f"field_{column}", f"col_{column}", column):
        if key in TEXT:
            return t(key, lang)
    return column


def _cell(value: Any) -> Any:
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


TIME_FORMAT = {"vi": "%d/%m/%Y %H:%M:%S", "en": "%Y-%m-%d %H:%M:%S"}
# Coded values shown by their label: column -> the i18n key prefixes tried in turn.
_LABELLED = {
    "kind": ("kind",),
    "event": ("event", "sec_event"),
    "channel": ("channel",),
    "severity": ("severity",),
    "action": ("sec_action",),
    "system": ("sec_system",),
}
_YES_NO = {"online": ("online", "offline"), "up": ("portal_up", "portal_down")}


def local_times(values: pd.Series, lang: str, unit: str | None = None) -> list[str | None]:
    """Local date-times (+07:00) in the language's format; missing -> None."""
    times = pd.to_datetime(values, utc=True, unit=unit, errors="coerce").dt.tz_convert(LOCAL_TZ)
    fmt = TIME_FORMAT.get(lang, TIME_FORMAT["vi"])
    return [None if pd.isna(t) else t.strftime(fmt) for t in times]


def _label(prefixes: tuple[str, ...], value: Any, lang: str) -> Any:
    for prefix in prefixes:
        if f"{prefix}_{value}" in TEXT:
            return t(f"{prefix}_{value}", lang)
    return value


def _defs(order: list[str], lang: str) -> list[dict[str, Any]]:
    defs: list[dict[str, Any]] = [{"field": c, "headerName": header(c, lang)} for c in order]
    for d in defs:
        if d["field"] in ("time", "due_ms"):
            d["minWidth"] = 180  # a whole local date-time, never "01/12/20…"
    return defs


def rows(
    frame: pd.DataFrame,
    lang: str,
    columns: list[str] | None = None,
    names: dict[str, str] | None = None,
    tag_names: Mapping[str, Mapping[str, str]] | None = None,
) -> tuple[list, list]:
    """(rowData, columnDefs) from a storage frame: local date-times (also for `due_ms`), names
        instead of slugs (district and source from the catalogue, `tag_names` per column — agency,
    service —, place) and words instead
        of codes (kind, event, channel, severity, action, online, up)."""
    order = columns or ([] if frame.empty else list(frame.columns))
    defs = _defs(order, lang)
    if frame.empty:
        return [], defs
    frame = frame.copy()
    frame["time"] = local_times(frame["time"], lang)
    if "due_ms" in frame:
        frame["due_ms"] = local_times(frame["due_ms"], lang, unit="ms")
    if "district" in frame:
        frame["district"] = [district_name(str(d), lang) if d else "" for d in frame["district"]]
    if "source" in frame and names:
        frame["source"] = [names.get(str(v), v) for v in frame["source"]]
    for column, known in (tag_names or {}).items():
        if column in frame and known:
            frame[column] = [known.get(str(v), v) for v in frame[column]]
    if "site" in frame:
        frame["site"] = [place_name(str(v)) if isinstance(v, str) else v for v in frame["site"]]
    for column, prefixes in _LABELLED.items():
        if column in frame:
            frame[column] = [_label(prefixes, v, lang) for v in frame[column]]
    for column, (yes, no) in _YES_NO.items():
        if column in frame:
            frame[column] = [
                None if pd.isna(v) else t(yes if v else no, lang) for v in frame[column]
            ]
    if not columns:
        frame = frame.dropna(axis=1, how="all")
        order = list(frame.columns)
        defs = _defs(order, lang)
    frame = frame.reindex(columns=order)
    data = [{k: _cell(v) for k, v in row.items()} for row in frame.to_dict("records")]
    return data, defs
