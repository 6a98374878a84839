"""What a drill-down page is: a `DrillDown` spec (measurement, filters, measures) and the view it
computes. `pages/<page>.py` declares its spec; `dashboards.pages.common` builds the layout and
registers the callbacks.

Every view is computed from storage by `dashboards.data`: the history chart with InfluxQL
buckets (`GROUP BY time(...)`, at most `HISTORY_BUCKETS` per series), the per-district
breakdown from coarser buckets, and the newest raw records for the grid.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from dashboards import data, sanitize
from dashboards.components import charts, grid
from dashboards.i18n import duration, number, t
from dashboards.i18n import unit as unit_label
from dashboards.urlstate import ViewState
from ioc.storage import TimeRange

HISTORY_BUCKETS = 300
COUNT_BUCKET_S = 300  # counts of readings: buckets of 5 min at least, or 60 s feeds alias
BREAKDOWN_BUCKETS = 48


@dataclass(frozen=True, slots=True)
class Measure:
    """A chartable quantity: one or more fields (summed, for counts), an aggregate, a unit."""

    key: str  # the `field` URL value and the i18n key suffix (field_<key>)
    fields: tuple[str, ...]
    aggregate: str
    unit: str
    scale: float = 1.0  # charted values × this (the mean of a 0/1 field × 100: a share in %)


@dataclass(frozen=True, slots=True)
class Choice:
    """A page-specific single-choice filter; `tag` is the storage tag it filters on."""

    name: str  # a ViewState attribute: kind, site, event, channel, feed
    tag: str | None
    options: Callable[[str], list[dict[str, str]]]
    default: str = ""  # "" = all (clearable)
    # whether it applies, given the page's choices (name -> value): hidden where it does not
    applies: Callable[[dict[str, str]], bool] | None = None


@dataclass(frozen=True, slots=True)
class DrillDown:
    page: str
    measurement: Callable[[ViewState], str]
    measures: Callable[[ViewState], list[Measure]]
    choices: tuple[Choice, ...] = ()
    columns: Callable[[ViewState], list[str] | None] = lambda state: None
    extra: tuple[str, ...] = field(default=())  # extra panels: "sources"

    def control_names(self) -> list[str]:
        return [
            "range",
            "start",
            "end",
            "district",
            "source",
            *(c.name for c in self.choices),
            "field",
        ]

    def measure(self, state: ViewState) -> Measure:
        measures = self.measures(state)
        return next((m for m in measures if m.key == state.field), measures[0])

    def normalise(self, state: ViewState) -> ViewState:
        """Defaults for empty choices and a field that belongs to the current choices."""
        changes: dict[str, Any] = {}
        for choice in self.choices:
            allowed = {o["value"] for o in choice.options("vi")}
            value = getattr(state, choice.name)
            if value not in allowed:
                changes[choice.name] = choice.default
        state = state.with_(**changes) if changes else state
        return state.with_(field=self.measure(state).key)

    def where(self, state: ViewState) -> dict[str, Any]:
        where: dict[str, Any] = {}
        if state.district:
            where["district"] = list(state.district)
        if state.source:
            where["source"] = state.source
        for choice in self.choices:
            value = getattr(state, choice.name)
            if choice.tag and value:
                where[choice.tag] = value
        return where

    def series_tag(self, state: ViewState) -> str:
        if state.source or state.site:
            return "source"
        return "district"


def state_from_controls(
    spec: DrillDown, values: dict[str, Any], base: dict[str, Any] | None
) -> ViewState:
    """The page state from its control values plus what travels in the URL (lang, kiosk…)."""
    query = sanitize.mapping(base)
    for name, raw in values.items():
        value = sanitize.control(raw)
        if isinstance(value, list):
            query[name] = ",".join(value)
        elif value is not None:
            query[name] = value
    return spec.normalise(ViewState.from_query(query))


def history(
    measurement: str,
    measure: Measure,
    span: TimeRange,
    where: dict[str, Any],
    tag: str,
    max_buckets: int,
) -> data.StorageResult:
    """One field, or the sum of several (counts over fields of different sensor kinds)."""
    frames, errors = [], []
    for name in measure.fields:
        result = data.history(
            measurement,
            name,
            span,
            where=where,
            group_by=[tag],
            aggregate=measure.aggregate,
            max_buckets=max_buckets,
        )
        errors.append(result.error)
        if not result.frame.empty and "value" in result.frame:
            frames.append(result.frame)
    error = next((e for e in errors if e), "")
    if not frames:
        return data.StorageResult(pd.DataFrame(), error)
    frame = pd.concat(frames, ignore_index=True)
    if len(frames) > 1:
        frame = frame.groupby(["time", tag], as_index=False)["value"].sum()
    if measure.scale != 1.0:
        frame["value"] = frame["value"] * measure.scale
    return data.StorageResult(frame, error)


def compute_view(
    spec: DrillDown, state: ViewState, now_ns: int | None = None, *, records: bool = True
) -> dict[str, Any]:
    """Figures, grid rows (the newest `RECORDS_LIMIT`, unless `records` is False: the page's
    grid pages through storage itself) and summary for one state (the main callback, minus
    Dash)."""
    lang = state.lang
    now_ns = time.time_ns() if now_ns is None else now_ns
    span = state.time_range(now_ns)
    if span is None:
        message = t("bad_range", lang)
        empty = charts.empty(lang, message)
        return {
            "history": empty,
            "breakdown": empty,
            "rows": [],
            "columns": [],
            "summary": message,
            "error": "",
        }
    measurement = spec.measurement(state)
    measure = spec.measure(state)
    where = spec.where(state)
    tag = spec.series_tag(state)
    unit = unit_label(measure.unit, lang)
    buckets = HISTORY_BUCKETS
    if measure.aggregate == "count":
        span_s = (span.end_ns - span.start_ns) // 10**9
        buckets = max(1, min(HISTORY_BUCKETS, span_s // COUNT_BUCKET_S))
    hist = history(measurement, measure, span, where, tag, buckets)
    per_district = history(measurement, measure, span, where, "district", BREAKDOWN_BUCKETS)
    bucket_s = span.bucket_seconds(buckets)
    bits = [
        t(
            "bucket",
            lang,
            bucket=duration(bucket_s, lang),
            agg=t(f"agg_{measure.aggregate}", lang),
        )
    ]
    rows: list[Any] = []
    columns: list[Any] = []
    error = hist.error
    if records:
        raw = data.records(measurement, span, where=where)
        rows, columns = grid.rows(
            raw.frame, lang, spec.columns(state), data.source_names(), data.tag_names()
        )
        bits.append(
            t(
                "rows_shown",
                lang,
                n=number(len(rows), 0, lang),
                limit=number(data.RECORDS_LIMIT, 0, lang),
            )
        )
        error = error or raw.error
    summary = " · ".join(bits)
    if error:
        summary = t("storage_error", lang, error=error[:200])
    return {
        "history": charts.history(hist.frame, tag, unit, lang, hist.error, span, bucket_s),
        "breakdown": charts.breakdown(
            per_district.frame, measure.aggregate, unit, lang, per_district.error
        ),
        "rows": rows,
        "columns": columns,
        "summary": summary,
        "error": error,
    }
