"""Crafted links and callback values never raise (defect 6: `OverflowError` in
`urlstate.format_local` on every page, ranges past the int64-nanosecond years failing on SQLite
and showing raw InfluxQL errors on InfluxDB, non-string callback values raising `TypeError`).
Each gets the page's own message instead."""

from __future__ import annotations

import pytest

from dashboards import data
from dashboards.app import create_app
from dashboards.drilldown import compute_view, state_from_controls
from dashboards.i18n import t
from dashboards.pages import common, devices, environment, services, traffic, wall
from dashboards.urlstate import ViewState
from ioc.errors import StorageRejected
from ioc.settings import load_settings
from tests.dashboards.conftest import as_user

ISSUE_URL = {"range": "custom", "start": "0001-01-01T00:00+08:00", "end": "2026-11-28T12:00"}
CRAFTED = [
    ISSUE_URL,
    {"range": "custom", "start": "9999-12-31T23:59-12:00", "end": "9999-12-31T23:59+14:00"},
    {"range": "custom", "start": "2300-01-01T00:00", "end": "2400-01-01T00:00"},
    {"range": "custom", "start": "1969-12-31T23:59", "end": "2026-01-01T00:00"},
    {"range": "custom", "start": "2026-01-01T00:00" + "0" * 5000, "end": "x"},
    {"range": ["7d"], "district": [1, {"a": 1}], "rotate": "9" * 50, "lang": {"x": 1}},
    {"source": "a" * 10_000, "kind": "air'; DROP", "field": 'pm25" OR 1=1', "alert": "\x00"},
]
PAGES = [environment, traffic, services, devices]


@pytest.fixture(params=["sqlite", pytest.param("influxdb", marks=pytest.mark.services)])
def history_app(request, tmp_path):
    """The app reading history from SQLite, or from real InfluxDB."""
    if request.param == "influxdb":
        influxdb, bucket = request.getfixturevalue("influxdb"), request.getfixturevalue("influx_db")
        settings = load_settings(influx_url=influxdb.url, influx_bucket=bucket, redis_url="")
    else:
        settings = load_settings(influx_url="", redis_url="", data_dir=str(tmp_path))
    app = create_app(settings)
    yield app
    app.server.extensions["ioc_dashboard"].close()


@pytest.mark.parametrize("query", CRAFTED)
def test_from_query_never_raises_and_keeps_only_sane_values(query):
    state = ViewState.from_query(query)
    if query.get("range") == "custom":
        assert state.range == "custom"
        assert state.time_range(0) is None or state.start.startswith(("19", "20", "21"))
    assert ViewState.from_query({"range": "custom", **query}).to_query() is not None


def test_the_issues_link_gives_the_invalid_range_message(history_app):
    state = ViewState.from_query(ISSUE_URL)
    assert state.start == "" and state.time_range(0) is None
    with history_app.server.test_request_context():
        view = compute_view(environment.SPEC, state)
    assert view["summary"] == t("bad_range", "vi")


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.__name__.rsplit(".", 1)[-1])
def test_every_page_layout_takes_crafted_queries(history_app, page):
    with as_user(history_app, "viewer"):
        for query in CRAFTED:
            page.layout(**query)
        wall.layout(**ISSUE_URL)


def test_storage_range_limits_on_both_backends(history_app):
    """The last years both backends hold: a valid custom range there is a normal (empty) view."""
    state = ViewState.from_query(
        {"range": "custom", "start": "2199-01-01T00:00", "end": "2199-12-31T23:00"}
    )
    assert state.time_range(0) is not None
    with history_app.server.test_request_context():
        for page in PAGES:
            view = compute_view(page.SPEC, page.SPEC.normalise(state))
            assert view["rows"] == []
            assert "error" not in str(view["summary"]).lower(), view["summary"]


def test_a_refused_query_shows_a_sentence_not_the_parser_message(monkeypatch):
    class Refusing:
        def history(self, *args, **kwargs):
            raise StorageRejected("InfluxQL error: error parsing query: found 9223372036854775807")

        records = history

    monkeypatch.setattr(
        data, "backend", lambda: type("B", (), {"storage": Refusing(), "storage_problem": ""})()
    )
    result = data.history("sensor", "pm25", ViewState().time_range(10**18))  # type: ignore[arg-type]
    assert result.error == data.QUERY_REFUSED and "parsing" not in result.error
    assert data.records("sensor", ViewState().time_range(10**18)).error == data.QUERY_REFUSED  # type: ignore[arg-type]


WEIRD = [None, 5, 2.5, True, [1, None], {"a": [1]}, "x" * 5000, [{"key": 1}]]


@pytest.mark.parametrize("value", WEIRD, ids=repr)
def test_callbacks_take_values_of_any_json_type(history_app, value):
    spec = environment.SPEC
    with as_user(history_app, "operator"):
        values = dict.fromkeys(spec.control_names(), value)
        state_from_controls(spec, values, value)
        common.source_options(spec, value, {c.name: value for c in spec.choices})
        common.page_alerts("environment", "vi")
        for trigger in (
            {"type": "ack-open", "alert": value},
            "environment-ack-cancel",
            value if not isinstance(value, dict | list) else None,
        ):
            common.acknowledge(trigger, 1, value, value, "vi")
        wall.poll(value, value)
        wall.variant({"lang": value, "kiosk": value, "rotate": value})
        devices.live_sources(value, value)
