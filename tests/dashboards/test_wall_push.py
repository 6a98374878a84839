"""The wall by push (dashboards/push.py, assets/40-wall-push.js), in headless Chromium on the real
pipeline: an update reaches the page with no poll in between, the stream is refused without a
session, every wall gets the same frame from one render, and a dead server shows "lost" in
words on the wall and recovers when it is back."""

from __future__ import annotations

import http.client
from concurrent.futures import ThreadPoolExecutor

import orjson
import pytest

from dashboards import ids, push
from dashboards.tiles import indicator_key
from dashboards.wallbench import Server
from ioc.devservices import wait_until
from tests.dashboards.browser import class_of, cookie_header, text_of, wait_class, wait_text
from tests.dashboards.conftest import TEST_PASSWORD, now_ms

pytestmark = pytest.mark.services
TEMP = indicator_key("temperature")

# Callback requests the page has made (Dash's only way to ask the server for anything).
_CALLBACKS_JS = (
    "return performance.getEntriesByType('resource')"
    ".filter(e => e.name.includes('/_dash-update-component')).length"
)


def _events(host: str, port: int, cookie: str, count: int) -> tuple[int, list[bytes]]:
    """The status and the first `count` data events of one stream."""
    conn = http.client.HTTPConnection(host, port, timeout=15)
    conn.request("GET", push.STREAM_PATH + "?lang=vi", headers={"Cookie": cookie})
    response = conn.getresponse()
    events: list[bytes] = []
    if response.status == 200:
        buffer = b""
        while len(events) < count:
            buffer += response.read1(65536)
            while b"\n\n" in buffer:
                event, buffer = buffer.split(b"\n\n", 1)
                data = [line[6:] for line in event.split(b"\n") if line.startswith(b"data: ")]
                if data:
                    events.append(data[0])
    conn.close()
    return response.status, events


def _live_wall(app, publish, dash_duo, source: str, temp_c: float) -> None:
    """A wall open on `app`, live by push, showing `temp_c` published by `source`."""
    publish.sensor("hoa-an", source, "weather", {"temp_c": temp_c}, now_ms())
    dash_duo.start_server(app)
    wait_text(dash_duo, ids.tile_value(TEMP), f"{temp_c:.1f}".replace(".", ","))
    wait_class(dash_duo, ids.WALL_PUSH_STATE, "wall__push--live")


def test_push001_an_update_reaches_the_wall_with_no_poll_in_between(
    app, engine, collector, publish, dash_duo
):
    _live_wall(app, publish, dash_duo, "t-push-1", 21.5)
    # no fallback from here on: only the stream can bring the next value
    dash_duo.driver.execute_script(
        "window.iocWallPush.fallback = false;"
        "window.dash_clientside.set_props('wall-timer', {disabled: true});"
        "performance.setResourceTimingBufferSize(100000); performance.clearResourceTimings();"
    )
    publish.sensor("hoa-an", "t-push-1", "weather", {"temp_c": 23.0}, now_ms())
    wait_text(dash_duo, ids.tile_value(TEMP), "23,0")
    assert dash_duo.driver.execute_script(_CALLBACKS_JS) == 0  # not one request to the server
    assert "tile--stale" not in class_of(dash_duo, ids.tile(TEMP)).split()


def test_push004_a_browser_without_the_stream_polls_the_same_frame_and_says_so(
    app, engine, collector, publish, dash_duo
):
    _live_wall(app, publish, dash_duo, "t-push-4", 17.5)
    dash_duo.driver.execute_script(
        "window.iocWallPush.pollOnlyNow();"  # as a browser whose stream never holds
        "performance.setResourceTimingBufferSize(100000); performance.clearResourceTimings();"
    )
    state = wait_text(dash_duo, ids.WALL_PUSH_STATE, "tạm cập nhật mỗi giây")
    assert "MẤT KẾT NỐI đẩy trực tiếp" in state  # in words: not pushed, but refreshed
    publish.sensor("hoa-an", "t-push-4", "weather", {"temp_c": 18.5}, now_ms())
    wait_text(dash_duo, ids.tile_value(TEMP), "18,5")
    assert dash_duo.driver.execute_script(_CALLBACKS_JS) >= 1  # it came by a poll
    # and the server let go of the stream (it notices at its next write, within a second)
    wait_until(lambda: hub_streams(app) == 0, timeout=10, message="stream closed")


def hub_streams(app) -> int:
    return app.server.extensions[push.EXTENSION].streams


def test_push002_the_stream_needs_a_session_and_every_wall_gets_one_render(
    app, engine, collector, publish, dash_duo
):
    publish.sensor("hoa-an", "t-push-2", "weather", {"temp_c": 19.5}, now_ms())
    dash_duo.start_server(app)
    wait_text(dash_duo, ids.tile_value(TEMP), "19,5")
    host, port = "127.0.0.1", int(dash_duo.server.url.rstrip("/").rsplit(":", 1)[1])
    status, events = _events(host, port, "", 1)
    assert status == 401 and events == []  # anonymous: refused, nothing sent
    status, events = _events(host, port, "ioc_session=forged", 1)
    assert status == 401
    cookie = cookie_header(dash_duo)
    hub = app.server.extensions[push.EXTENSION]
    before = hub.renders
    with ThreadPoolExecutor(2) as pool:  # two walls watching at the same time
        one, two = (pool.submit(_events, host, port, cookie, 3) for _ in range(2))
        (status, first), (status2, second) = one.result(), two.result()
    assert status == status2 == 200
    # a stream opens with the whole frame, then only what changed since the one before
    whole = orjson.loads(first[0])
    assert b"19,5" in first[0] and "base" not in whole  # the wall's own rendering (Vietnamese)
    for later in first[1:]:
        changed = orjson.loads(later)
        assert "base" in changed and len(later) < len(first[0]) / 2, later[:300]
        assert set(changed) - {"base"} <= set(whole)
        assert set(changed.get("tiles", {})) <= set(whole["tiles"])
    # the frames are the very bytes of one render: both streams (and the browser) got them
    assert set(first) & set(second)
    # two more walls did not add renders: about one a second however many watch
    seconds = 1 + len(set(first) | set(second))
    assert hub.renders - before <= seconds + 2, (hub.renders - before, seconds)


def test_push003_a_dead_server_shows_lost_on_the_wall_and_it_recovers(
    settings, engine, collector, publish, dash_duo
):
    from ioc.auth import Auth

    Auth.open(settings).users.add("lan", "operator", TEST_PASSWORD)
    server = Server(settings, threads=8)  # the wall bench's, as in docker-compose.yml
    try:
        publish.sensor("hoa-an", "t-push-3", "weather", {"temp_c": 20.5}, now_ms())
        driver = dash_duo.driver
        driver.get(f"{server.url}/login?next=/")
        dash_duo.wait_for_element("#username", timeout=20)
        dash_duo.find_element("#username").send_keys("lan")
        dash_duo.find_element("#password").send_keys(TEST_PASSWORD)
        dash_duo.find_element("#login-submit").click()
        wait_text(dash_duo, ids.tile_value(TEMP), "20,5", timeout=30)
        wait_class(dash_duo, ids.WALL_PUSH_STATE, "wall__push--live")
        server.kill()
        lost = wait_text(dash_duo, ids.WALL_PUSH_STATE, "MẤT KẾT NỐI", timeout=15)
        assert "đang kết nối lại" in lost  # in words, and what it is doing about it
        wait_class(dash_duo, ids.WALL_PUSH_STATE, "wall__push--lost")  # polls fail too
        hidden = "return getComputedStyle(document.getElementById('wall-status')).display"
        assert dash_duo.driver.execute_script(hidden) == "none"  # no green "live" claim
        assert text_of(dash_duo, ids.tile_value(TEMP)).startswith("20,5")  # kept, marked
        publish.sensor("hoa-an", "t-push-3", "weather", {"temp_c": 22.5}, now_ms())
        server.start()
        # EventSource reconnects by itself: the new value arrives and the badge goes away
        wait_text(dash_duo, ids.tile_value(TEMP), "22,5", timeout=30)
        wait_class(dash_duo, ids.WALL_PUSH_STATE, "wall__push--live", timeout=15)
        assert text_of(dash_duo, ids.WALL_PUSH_STATE) == ""
        assert "Dữ liệu trực tiếp" in text_of(dash_duo, ids.WALL_STATUS)  # shown again
    finally:
        server.kill()
