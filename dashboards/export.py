"""`GET /export/<page>.csv?<the drill-down's query>`: the whole chosen range as CSV, streamed.

The rows are read from storage in time slices, newest first (`dashboards.data.iter_records`),
and written as they come, so a month of one sensor kind downloads without holding it in memory
and without a row cap. The query is the page's own URL state (`ViewState`), sanitised the same
way; a bad page or range is a 400 with a message, never a 500. Supervisors and admins only
(`auth.require(EXPORT)`); every export is written to the audit trail. Times are local (+07:00)
ISO date-times; tags keep their slugs (for scripts) and the source's catalogue name is added.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator, Mapping

import flask

from dashboards import auth, data
from dashboards.drilldown import DrillDown
from dashboards.urlstate import ViewState
from ioc.auth.roles import EXPORT
from ioc.feeds import SCHEMAS
from ioc.feeds.schema import COMMON_TAGS
from ioc.feeds.sensor import SENSOR_KINDS
from ioc.localtime import LOCAL_TZ

EXPORT_PATH = "/export/<page>.csv"
NAMED_TAGS = ("agency", "service")  # slugs with a name in the catalogue: a `<tag>_name` column


def columns(measurement: str, state: ViewState) -> list[str]:
    """The CSV header: local time, the source's name (and the agency's or service's), then the
    measurement's tags and fields as its schema declares them (`ioc.feeds.SCHEMAS`; a sensor
    kind: only that kind's fields)."""
    schema = SCHEMAS[measurement]
    names = [f.name for f in schema.fields]
    if measurement == "sensor" and state.kind in SENSOR_KINDS:
        names = [n for n in names if n in SENSOR_KINDS[state.kind]]
    named = [f"{tag}_name" for tag in schema.tags if tag in NAMED_TAGS]
    return ["time", "source_name", *named, *COMMON_TAGS, *schema.tags, *names]


def _csv_line(values: list[object]) -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerow(values)
    return out.getvalue()


def stream(
    spec: DrillDown,
    state: ViewState,
    names: Mapping[str, str],
    tag_names: Mapping[str, Mapping[str, str]] | None = None,
) -> Iterator[str]:
    """The CSV text, chunk by chunk (one storage slice each)."""
    import pandas as pd

    span = state.time_range(data.now_ms() * 1_000_000)
    assert span is not None
    measurement = spec.measurement(state)
    header = columns(measurement, state)
    yield "\ufeff" + _csv_line(header)  # BOM: spreadsheet programs then read UTF-8
    for frame in data.iter_records(measurement, span, where=spec.where(state)):
        frame = frame.copy()
        times = pd.to_datetime(frame["time"], utc=True).dt.tz_convert(LOCAL_TZ)
        frame["time"] = [t.isoformat(timespec="milliseconds") for t in times]
        if "source" in frame:
            frame["source_name"] = [names.get(str(s), "") for s in frame["source"]]
        for tag, known in (tag_names or {}).items():
            if tag in frame:
                frame[f"{tag}_name"] = [known.get(str(v), "") for v in frame[tag]]
        frame = frame.reindex(columns=header)
        out = io.StringIO()
        frame.to_csv(out, header=False, index=False, lineterminator="\r\n")
        yield out.getvalue()


def register(server: flask.Flask, specs: Mapping[str, DrillDown]) -> None:
    def export(page: str) -> flask.Response:
        spec = specs.get(page)
        if spec is None:
            return flask.Response(f"unknown page {page!r}\n", status=404, mimetype="text/plain")
        auth.require(EXPORT)  # supervisors and admins only (401/403 otherwise)
        state = spec.normalise(ViewState.from_query(flask.request.args.to_dict()))
        if state.time_range(data.now_ms() * 1_000_000) is None:
            return flask.Response("invalid time range\n", status=400, mimetype="text/plain")
        auth.record("export", page, {"view": state.with_(alert="").to_query()})
        names = data.source_names()
        body = flask.stream_with_context(stream(spec, state, names, data.tag_names()))
        response = flask.Response(body, mimetype="text/csv; charset=utf-8")
        response.headers["Content-Disposition"] = f'attachment; filename="{page}.csv"'
        response.headers["Cache-Control"] = "no-store"
        return response

    server.add_url_rule(EXPORT_PATH, "ioc_export", export, methods=["GET"])
