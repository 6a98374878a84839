"""Callbacks called directly (no browser): on the embedded backends (SQLite, in-process live state:
no service), and the drill-down once on real InfluxDB, whose InfluxQL buckets the history."""

from __future__ import annotations

import orjson
import pytest
from dash import no_update
from werkzeug.exceptions import Forbidden

from dashboards import data
from dashboards.app import create_app, update_shell
from dashboards.drilldown import compute_view
from dashboards.pages import common, devices, environment, wall
from dashboards.tiles import catalogue, indicator_key, kpi_key
from dashboards.urlstate import ViewState
from ioc.kpis.registry import KPIS
from ioc.kpis.spec import make_value
from ioc.live.base import LiveUpdate
from ioc.model import NS_PER_MS, Reading
from ioc.settings import load_settings
from tests.dashboards.conftest import as_user, bearer, now_ms
from tests.helpers import publish_as_engine


@pytest.fixture
def live(memory_live):
    return memory_live


@pytest.fixture
def app(tmp_path, sqlite_storage, live):
    """The app on the embedded backends, as `ioc demo` runs it (not the services' `app`)."""
    settings = load_settings(influx_url="", redis_url="", data_dir=str(tmp_path))
    return create_app(settings, live=live, storage=sqlite_storage)


def reading(measurement, source, district, ts_ms, tags=None, **fields):
    all_tags = {"district": district, "source": source, **(tags or {})}
    return Reading(measurement, ts_ms * NS_PER_MS, all_tags, fields)


def refresh(app, lang="vi", last=None):
    with app.server.test_request_context():
        keys = [spec.key for spec in catalogue()]
        return wall.refresh(data.read_live(), lang, "", keys, last)


def test_wall_refresh_renders_live_values_and_alerts(app, live):
    now = now_ms()
    update = LiveUpdate()
    update.add_readings([reading("sensor", "w-1", "hoa-an", now, {"kind": "weather"}, temp_c=24.5)])
    live.apply(update)
    spec = KPIS["border.queue_m"]
    live.set_kpis([make_value(spec, "site:ta-lung-border-gate", "now", 620.0, now).to_dict()], now)
    live.set_alerts(
        [
            {
                "rule": "border.queue_long",
                "scope": "site:ta-lung-border-gate",
                "state": "active",
                "severity": "warning",
                "since_ms": now - 700_000,
                "value": 620.0,
                "updated_ms": now,
                "alert_id": "border.queue_long:site:ta-lung-border-gate:1",
                "raised_ms": now - 60_000,
                "message_vi": "Hàng chờ tại cửa khẩu Tà Lùng dài 620 m",
                "message_en": "Queue at Tà Lùng border gate is 620 m long",
            }
        ]
    )
    live.set_kpis([make_value(spec, "site:ta-lung-border-gate", "now", 1620.0, now).to_dict()], now)
    view = refresh(app)
    keys = [spec.key for spec in catalogue()]
    temp = keys.index(indicator_key("temperature"))
    queue = keys.index(kpi_key("border.queue_m"))
    assert view.values[temp][0].children == "24,5"
    assert "tile--warning" in view.classes[queue]  # the severity of its (warning) alert
    assert "tile--stale" in view.classes[queue]  # no camera reading behind it in the live state
    # the text shows the current value (not 620 m at raise time), in Vietnamese number format
    assert "Hàng chờ tại cửa khẩu Tà Lùng dài 1.620 m" in str(view.alerts)
    assert "/traffic?" in str(view.alerts) and "alert=border.queue_long" in str(view.alerts)
    assert "site=ta-lung-border-gate" in str(view.alerts)
    assert "CẢNH BÁO" in str(view.counts) and "NGHIÊM TRỌNG" in str(view.counts)
    assert view.last["rows"] and view.last["tiles"]  # kept by the server for a live loss
    assert view.map["data"] and view.map_key
    # the frame every wall of the variant gets: the same view, as JSON, rendered once
    with app.server.test_request_context():
        body, kept = wall.frame(("vi", ""), data.read_live(), None)
    frame = orjson.loads(body)
    assert frame["tiles"][indicator_key("temperature")]["value"][0]["props"]["children"] == "24,5"
    assert frame["map_key"] == view.map_key and frame["map"]["data"]
    assert "Hàng chờ tại cửa khẩu Tà Lùng dài 1.620 m" in body.decode()
    assert kept["tiles"]
    english = refresh(app, lang="en")
    assert "Queue at Tà Lùng border gate is 1,620 m long" in str(english.alerts)


def test_wall_refresh_without_live_state_marks_every_tile_connection_lost(tmp_path):
    # nothing listens on the discard port of the loopback: the live state is unreachable
    settings = load_settings(redis_url="redis://127.0.0.1:9/0", data_dir=str(tmp_path))
    app = create_app(settings)
    view = refresh(app)
    assert all("tile--stale" in c for c in view.classes)
    assert all("MẤT KẾT NỐI" in str(age) for age in view.ages)
    assert view.status_class.endswith("--lost")
    assert "Không có cảnh báo" not in str(view.alerts)  # never "no alerts" when unknown
    with app.server.test_client() as client:
        response = client.get("/api/v1/snapshot", headers=bearer(app))
    assert response.status_code == 503
    assert orjson.loads(response.data)["live"]["connected"] is False


def test_snapshot_api_serves_what_the_wall_shows(app, live):
    now = now_ms()
    noisy = reading("sensor", "n-1", "bao-lam", now, {"kind": "noise"}, laeq_db=58.0)
    publish_as_engine(live, [noisy], now)
    with app.server.test_client() as client:
        response = client.get("/api/v1/snapshot", headers=bearer(app))
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    body = orjson.loads(response.data)
    noise = next(t for t in body["tiles"] if t["key"] == indicator_key("noise"))
    assert noise["value"] == 58.0 and noise["stale"] is False and noise["data_ms"] == now
    assert noise["data_time"].endswith("+07:00")
    (source,) = body["sources"]
    assert (source["source"], source["kind"], source["online"]) == ("n-1", "noise", True)
    assert source["district"] == "bao-lam" and source["last_ms"] == now
    assert {"kpis", "alerts", "counters", "generated_time"} <= set(body)


def test_acknowledge_validates_and_queues_for_the_engine(app, live):
    alert_id = "device.offline:source:cam-9:1"
    live.set_alerts(
        [
            {
                "alert_id": alert_id,
                "rule": "device.offline",
                "scope": "source:cam-9",
                "state": "active",
                "severity": "warning",
                "message_vi": "Thiết bị cam-9 (camera) mất kết nối",
            }
        ]
    )
    opener = {"type": "ack-open", "page": "devices", "alert": alert_id}
    with as_user(app, "operator"):
        is_open, chosen, _feedback, text = common.acknowledge(opener, 1, "", "", "vi")
        assert (is_open, chosen) == (True, alert_id)
        assert "cam-9" in text
        assert common.acknowledge(opener, 0, "", "", "vi")[0] is no_update  # re-render
        done = common.acknowledge("devices-ack-submit", 2, alert_id, " đã xử lý ", "vi")
        assert done[0] is False
    (request,) = live.take_ack_requests()
    # the name is the signed-in user's, whatever the page showed
    assert (request["alert_id"], request["by"], request["comment"]) == (alert_id, "lan", "đã xử lý")
    live.set_alerts([{"alert_id": alert_id, "state": "acknowledged", "rule": "device.offline"}])
    with as_user(app, "operator"):
        again = common.acknowledge("devices-ack-submit", 3, alert_id, "", "vi")
    assert again[2] == "Cảnh báo này không còn chờ xác nhận"
    (ack,) = app.server.extensions["ioc_auth"].audit.query(action="ack")
    assert (ack.actor, ack.target, ack.detail) == ("lan", alert_id, {"comment": "đã xử lý"})


def test_acknowledge_and_export_are_refused_to_lower_roles(app, live):
    alert_id = "device.offline:source:cam-8:1"
    live.set_alerts([{"alert_id": alert_id, "rule": "device.offline", "state": "active"}])
    with as_user(app, "viewer"), pytest.raises(Forbidden):
        common.acknowledge("devices-ack-submit", 1, alert_id, "", "vi")
    export = app.server.view_functions["ioc_export"]  # GET /export/<page>.csv
    with as_user(app, "operator"), pytest.raises(Forbidden):
        export("devices")
    with as_user(app, "supervisor"):
        response = export("devices")
        assert response.status_code == 200 and response.mimetype == "text/csv"
    assert live.take_ack_requests() == []
    audit = app.server.extensions["ioc_auth"].audit
    assert [(e.action, e.actor) for e in audit.query()] == [
        ("export", "lan"),
        ("ack_refused", "lan"),
    ]


@pytest.fixture(params=["sqlite", pytest.param("influxdb", marks=pytest.mark.services)])
def history_app(request, tmp_path):
    """The app reading history from SQLite, or from real InfluxDB (InfluxQL buckets there)."""
    if request.param == "influxdb":
        influxdb, bucket = request.getfixturevalue("influxdb"), request.getfixturevalue("influx_db")
        settings = load_settings(influx_url=influxdb.url, influx_bucket=bucket, redis_url="")
    else:
        settings = load_settings(influx_url="", redis_url="", data_dir=str(tmp_path))
    app = create_app(settings)
    yield app
    app.server.extensions["ioc_dashboard"].close()


def test_drilldown_view_is_bucketed_and_filtered(history_app):
    app = history_app
    storage = app.server.extensions["ioc_dashboard"].storage
    now = now_ms()
    storage.write(
        [
            reading("sensor", "a-1", "hoa-an", now - m * 60_000, {"kind": "air"}, pm25=10.0 + m)
            for m in range(1, 30)
        ]
        + [reading("sensor", "a-2", "bao-lac", now - 120_000, {"kind": "air"}, pm25=50.0)]
    )
    state = ViewState.from_query({"range": "1h"})
    with app.server.test_request_context():
        view = compute_view(environment.SPEC, environment.SPEC.normalise(state))
        only = compute_view(
            environment.SPEC, environment.SPEC.normalise(state.with_(district=("bao-lac",)))
        )
    names = {trace["name"] for trace in view["history"]["data"]}
    assert names == {"Hòa An", "Bảo Lạc"}
    assert len(view["rows"]) == 30
    assert view["columns"][0]["headerName"] == "Thời gian"
    assert "30 giây / điểm" in view["summary"]  # 1 h in at most 300 buckets
    assert [r["source"] for r in only["rows"]] == ["a-2"]
    bars = only["breakdown"]["data"][0]
    assert bars["y"] == ["Bảo Lạc"] and bars["x"] == [50.0]


def test_drilldown_bad_custom_range_says_so(app):
    state = ViewState.from_query({"range": "custom", "start": "2026-11-02T10:00", "end": "x"})
    with app.server.test_request_context():
        view = compute_view(environment.SPEC, state)
    assert view["summary"] == "Khoảng thời gian không hợp lệ" and view["rows"] == []


def test_devices_sources_callback_reads_the_live_state(app, live):
    update = LiveUpdate()
    now = now_ms()
    publish_as_engine(
        live, [reading("camera", "c-1", "ha-lang", now, {"site": "x"}, people=3)], now
    )
    update.count({"stored:camera": 1, "received:camera": 2, "rejected:camera:bad_json": 1})
    live.apply(update)
    with app.server.test_request_context():
        rows, _columns, counters = devices.live_sources(1, {"lang": "en"})
    assert rows[0]["Source (device)"] == "c-1" and rows[0]["District"] == "Ha Lang"
    assert "Cameras: 2 received, 1 stored, 1 rejected (bad_json 1)" in counters
    assert rows[0]["Age"].endswith(" s")  # durations in words, not seconds as a number


def test_shell_carries_language_kiosk_and_rotation():
    title, nav, switch, other, classes, interval, disabled = update_shell(
        "/traffic", "?lang=en&kiosk=1&rotate=30&district=hoa-an"
    )
    assert title == "Cao Bằng Intelligent Operations Center"
    assert switch == "Tiếng Việt" and other == "vi"
    assert classes == "shell kiosk"
    assert (interval, disabled) == (30_000, False)
    hrefs = [link.href for link in nav]
    assert hrefs[0] == "/?lang=en&kiosk=1&rotate=30"  # filters stay on their page
    assert "shell__link--active" in nav[2].className
    assert update_shell("/", "")[5:] == (5000, True)


def test_wall_refresh_after_a_live_loss_shows_the_last_known_view_marked(app, live, influxdb):
    from dashboards.app import create_app

    now = now_ms()
    update = LiveUpdate()
    update.add_readings([reading("sensor", "w-2", "hoa-an", now, {"kind": "weather"}, temp_c=19.5)])
    live.apply(update)
    live.set_alerts(
        [
            {
                "rule": "device.offline",
                "scope": "source:cam-7",
                "state": "active",
                "severity": "warning",
                "since_ms": now - 90_000,
                "alert_id": "device.offline|source:cam-7|1",
                "raised_ms": now - 90_000,
                "message_vi": "Thiết bị cam-7 mất kết nối",
                "message_en": "Device cam-7 is offline",
            }
        ]
    )
    good = refresh(app)
    lost_app = create_app(load_settings(redis_url="redis://127.0.0.1:9/0", influx_url=influxdb.url))
    view = refresh(lost_app, last=good.last)
    temp = [spec.key for spec in catalogue()].index(indicator_key("temperature"))
    assert view.values[temp][0].children == "19,5"  # the last known value …
    assert "số liệu cuối cùng" in str(view.ages[temp])  # … marked as such, with its age
    assert "MẤT KẾT NỐI" in str(view.ages[temp]) and "tile--stale" in view.classes[temp]
    assert "cam-7" in str(view.alerts) and "Không có cảnh báo" not in str(view.alerts)
    assert "Cảnh báo cuối cùng đã biết" in view.alerts_title
    assert "MẤT KẾT NỐI" in str(view.status) and view.last is good.last  # kept as it was
