"""Sign-in, roles, display sign-ins and the audit trail in headless Chromium, on the real path
(MQTT → collector → the KPI engine → Redis → app), plus requests replayed as a script or
another site would send them."""

from __future__ import annotations

import re
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import orjson
import pytest

from dashboards import ids
from dashboards.app import create_app
from dashboards.auth import EXTENSION as AUTH
from dashboards.tiles import indicator_key
from ioc.devservices import wait_until
from tests.dashboards.authhelpers import ack_callback_body, http, ioc, user_area_body
from tests.dashboards.browser import (
    body_text,
    cookie_header,
    sign_in,
    wait_body,
    wait_class,
    wait_text,
    wait_url,
)
from tests.dashboards.conftest import TEST_PASSWORD, now_ms

pytestmark = pytest.mark.services
TEMP = indicator_key("temperature")

PAGES = ("/", "/environment?range=1h", "/traffic", "/services", "/devices", "/admin", "/audit")


def offline_camera_alert(publish, engine, source: str = "t-cam-1") -> str:
    """A camera speaks, then its Last Will says offline: the engine raises device.offline."""
    publish.camera("quang-hoa", source, "t-site", now_ms(), queue_m=20.0)
    wait_until(lambda: source in engine.runner.state.seen, timeout=10)
    publish.send(f"ioc/status/{source}", "offline")
    alert = wait_until(
        lambda: next(
            (a for a in engine.runner.alerts.values() if a.scope == f"source:{source}"), None
        ),
        timeout=15,
        message="the offline alert",
    )
    return alert.alert_id


def alert_of(engine, alert_id: str):
    return next(a for a in engine.runner.alerts.values() if a.alert_id == alert_id)


def test_auth001_anonymous_gets_the_sign_in_page_or_401_and_no_data(
    app, engine, collector, publish, dash_duo
):
    publish.sensor("hoa-an", "t-weather-1", "weather", {"temp_c": 21.5}, now_ms())
    alert_id = offline_camera_alert(publish, engine)
    dash_duo.start_server(app, signed_in=False)
    base = dash_duo.server.url.rstrip("/")
    for path in PAGES:
        dash_duo.driver.get(base + path)
        wait_url(dash_duo, "/login?next=")
        wait_body(dash_duo, "Tên đăng nhập")
        assert "21,5" not in body_text(dash_duo) and "t-cam-1" not in body_text(dash_duo)
        status, headers, _ = http(base + path)
        assert status == 302 and headers["Location"].startswith("/login?next=")
    for path in ("/api/v1/snapshot", "/_dash-layout", "/_dash-dependencies", "/audit.csv"):
        status, _, body = http(base + path)
        assert status == 401 and b"21.5" not in body and b"t-cam-1" not in body, path
    origin = {"Origin": base}
    status, _, body = http(base + "/_dash-update-component", "POST", user_area_body(), origin)
    assert status == 401 and b"lan" not in body
    body = ack_callback_body("devices", alert_id, "anonymous HTTP client")
    status, _, _ = http(base + "/_dash-update-component", "POST", body, origin)
    assert status == 401
    assert alert_of(engine, alert_id).state == "active"
    # the English switch of the sign-in page
    dash_duo.driver.get(base + "/login?lang=en")
    wait_body(dash_duo, "User name")


def test_auth002_viewer_is_refused_the_operator_acknowledges_and_both_are_audited(
    app, settings, engine, collector, publish, dash_duo
):
    users = app.server.extensions[AUTH].users
    users.add("minh", "viewer", TEST_PASSWORD)
    users.add("lan", "operator", TEST_PASSWORD)
    users.add("mai", "supervisor", TEST_PASSWORD)
    alert_id = offline_camera_alert(publish, engine)
    dash_duo.start_server(app, signed_in=False)
    base = dash_duo.server.url.rstrip("/")

    # The viewer sees the wall and the alert, has no acknowledge button, and a replayed
    # acknowledgement from their own signed-in browser is refused with 403.
    sign_in(dash_duo, "minh", TEST_PASSWORD, "/devices")
    wait_text(dash_duo, ids.page_part("devices", ids.ALERTS), "t-cam-1")
    assert dash_duo.driver.find_elements("css selector", ".alert__ack") == []
    status = dash_duo.driver.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "fetch('/_dash-update-component', {method: 'POST',"
        " headers: {'Content-Type': 'application/json'}, body: JSON.stringify(arguments[0])})"
        ".then(r => done(r.status));",
        ack_callback_body("devices", alert_id, "viewer tries"),
    )
    assert status == 403
    dash_duo.driver.get(base + "/")
    wait_text(dash_duo, ids.WALL_ALERTS, "chưa xác nhận")
    wait_text(dash_duo, ids.SHELL_USER, "minh")  # the account menu, closed: name only
    role = "return document.getElementById('nav-role').textContent"
    assert dash_duo.driver.execute_script(role) == "minh (xem)"
    dash_duo.find_element("#nav-user").click()  # the account menu
    dash_duo.find_element("#nav-logout").click()
    wait_url(dash_duo, "/login")

    # The operator acknowledges from the drill-down: the name is the signed-in user's.
    sign_in(dash_duo, "lan", TEST_PASSWORD, "/devices")
    modal = ids.page_part("devices", ids.ACK_MODAL)

    def open_dialog() -> bool:
        # the list is re-rendered every 2 s (a click can land on a button being replaced):
        # click in the page, not through a handle, until the dialog is open
        return dash_duo.driver.execute_script(
            "const b = document.querySelector('.alert__ack'); if (b) { b.click(); }"
            f"return document.getElementById('{modal}') !== null;"
        )

    wait_until(open_dialog, timeout=20, interval=0.5, message="the acknowledgement dialog")
    wait_text(dash_duo, ids.page_part("devices", ids.ACK_BY), "lan")
    dash_duo.find_element(f"#{ids.page_part('devices', ids.ACK_COMMENT)}").send_keys(
        "Đã cử kỹ thuật"
    )
    dash_duo.find_element(f"#{ids.page_part('devices', ids.ACK_SUBMIT)}").click()
    wait_text(dash_duo, ids.page_part("devices", ids.ALERTS), "đã xác nhận: lan")
    alert = alert_of(engine, alert_id)
    assert (alert.state, alert.acked_by) == ("acknowledged", "lan")  # never "minh"
    dash_duo.driver.get(base + "/")
    wait_text(dash_duo, ids.WALL_ALERTS, "đã xác nhận: lan")
    assert "acknowledged by lan" in ioc(settings, "alerts")
    status, _, _ = http(base + "/audit", headers={"Cookie": cookie_header(dash_duo)})
    assert status == 403  # an operator does not read the audit trail

    # The supervisor's audit page, and `ioc audit`, show the sign-ins and the acknowledgement.
    dash_duo.find_element("#nav-user").click()  # the account menu
    dash_duo.find_element("#nav-logout").click()
    wait_url(dash_duo, "/login")
    sign_in(dash_duo, "mai", TEST_PASSWORD, "/audit?action=ack")
    wait_body(dash_duo, "Nhật ký")
    rows = dash_duo.driver.execute_script(
        "return [...document.querySelectorAll('.audit-row')].map(r => r.innerText)"
    )
    assert any("lan" in r and alert_id in r and "Đã cử kỹ thuật" in r for r in rows), rows
    assert any(r.split("\t")[1:3] == ["minh", "ack_refused"] for r in rows), rows
    audit = orjson.loads(ioc(settings, "audit", "--json", "--since", "1h"))["audit"]
    done = {(e["actor"], e["action"]) for e in audit}
    assert {("minh", "login"), ("lan", "login"), ("lan", "ack"), ("minh", "ack_refused"),
            ("minh", "logout"), ("mai", "login")} <= done  # fmt: skip
    assert all(e["client"] == "127.0.0.1" for e in audit if e["action"] == "login")
    # the export link gives the same selection as CSV
    status, headers, csv = http(
        base + "/audit.csv?action=ack", headers={"Cookie": cookie_header(dash_duo)}
    )
    assert status == 200 and headers["Content-Type"].startswith("text/csv")
    assert "Đã cử kỹ thuật" in csv.decode("utf-8-sig")


LOCKOUT_S = 15  # the test waits it out once: longer than one sign-in try takes, even slowly


@pytest.fixture
def locking_app(settings):
    app = create_app(
        settings.model_copy(update={"auth_lockout_s": LOCKOUT_S, "auth_max_failures": 5})
    )
    yield app
    app.server.extensions["ioc_dashboard"].close()


def test_auth003_ten_wrong_passwords_lock_the_name_then_the_right_one_works(locking_app, dash_duo):
    locking_app.server.extensions[AUTH].users.add("lan", "operator", TEST_PASSWORD)
    dash_duo.start_server(locking_app, signed_in=False)
    base = dash_duo.server.url.rstrip("/")
    messages = []
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:  # wrong passwords until the name is locked: the tries
        # refused while a delay runs do not count, so how many it takes depends on the pace
        dash_duo.driver.get(base + "/login")
        dash_duo.find_element("#username").send_keys("lan")
        dash_duo.find_element("#password").send_keys("wrong password")
        dash_duo.find_element("#login-submit").click()
        messages.append(wait_text(dash_duo, "login-message", ""))  # the page after the post
        wait = re.search(r"sau (\d+) giây", messages[-1])
        if wait and int(wait.group(1)) > 4:  # locked (the delays before it are 1 s, 2 s)
            break
    # three free failures, then every try waits (1 s, 2 s…) until the fifth counted failure
    # locks the name (LOCKOUT_S here); the messages never say whether "lan" exists
    assert messages[:3] == ["Tên đăng nhập hoặc mật khẩu không đúng"] * 3
    assert len(messages) >= 5  # the fifth counted failure locks (auth_max_failures)
    assert wait and int(wait.group(1)) > 4, messages
    # the right password is refused while the name is locked (the lock was set one try ago);
    # then it works
    locked_at = time.monotonic()
    dash_duo.driver.get(base + "/login")
    dash_duo.find_element("#username").send_keys("lan")
    dash_duo.find_element("#password").send_keys(TEST_PASSWORD)
    dash_duo.find_element("#login-submit").click()
    wait_text(dash_duo, "login-message", "Đăng nhập sai quá nhiều lần")

    def try_again() -> bool:
        sign_in_attempt = dash_duo.driver
        sign_in_attempt.get(base + "/login")
        dash_duo.find_element("#username").send_keys("lan")
        dash_duo.find_element("#password").send_keys(TEST_PASSWORD)
        dash_duo.find_element("#login-submit").click()
        wait_until(lambda: dash_duo.driver.execute_script("return document.readyState") ==
                   "complete")  # fmt: skip
        return "/login" not in dash_duo.driver.current_url

    wait_until(try_again, timeout=LOCKOUT_S + 10, interval=1.0, message="signed in after the lock")
    assert time.monotonic() - locked_at >= 1.0
    wait_text(dash_duo, ids.SHELL_USER, "lan")
    audit = locking_app.server.extensions[AUTH].audit.query()
    actions = [e.action for e in reversed(audit)]
    assert actions.count("login_failed") >= 4 and "login_refused" in actions
    assert actions[-1] == "login"
    assert all(e.client == "127.0.0.1" for e in audit)


@pytest.mark.parametrize("user_role", ["admin"])
def test_auth004_a_display_sign_in_survives_a_restart_and_revoking_it_signs_out(
    app, settings, collector, publish, dash_duo
):
    publish.sensor("hoa-an", "t-weather-4", "weather", {"temp_c": 24.5}, now_ms())
    dash_duo.start_server(app)
    base = dash_duo.server.url.rstrip("/")
    dash_duo.driver.get(base + "/admin")
    form = dash_duo.wait_for_element("#display-add")
    form.find_element("css selector", "input[name=name]").send_keys("wall-1")
    form.find_element("css selector", "button").click()
    secret = wait_text(dash_duo, "admin-secret", "/display/")
    link = re.search(r"http\S+/display/\S+", secret).group(0)
    dash_duo.driver.delete_all_cookies()  # from here on: the wall PC's browser
    dash_duo.driver.get(link)
    dash_duo.find_element("#display-submit").click()
    wait_url(dash_duo, "/?kiosk=1")
    wait_class(dash_duo, ids.SHELL, "kiosk")
    wait_text(dash_duo, ids.tile_value(TEMP), "24,5")
    cookie = next(c for c in dash_duo.driver.get_cookies() if c["name"] == "ioc_session")
    assert (
        cookie["httpOnly"]
        and cookie["sameSite"] == "Lax"
        and cookie["expiry"] > time.time() + 86400 * 300
    )

    # the dashboard restarts (a new app and server on the same port): the wall stays signed in
    port = dash_duo.server.port
    dash_duo.server.stop()
    restarted = create_app(settings)
    try:
        dash_duo.server(restarted, port=port)
        dash_duo.driver.get(base + "/?kiosk=1&rotate=30")
        wait_class(dash_duo, ids.SHELL, "kiosk")
        wait_text(dash_duo, ids.tile_value(TEMP), "24,5")
        assert "/login" not in dash_duo.driver.current_url
        # revoking it (here from the command line) signs the wall out at its next refresh
        assert "revoked wall-1 (1 session(s) ended)" in ioc(
            settings, "displays", "revoke", "wall-1"
        )
        wait_url(dash_duo, "/login?next=")
    finally:
        restarted.server.extensions["ioc_dashboard"].close()


class _CrossSitePage(BaseHTTPRequestHandler):
    target = ""

    def do_GET(self) -> None:
        page = (
            f'<form id="f" method="post" action="{self.target}/logout"></form>'
            "<script>document.getElementById('f').submit()</script>"
        )
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.end_headers()
        self.wfile.write(page.encode())

    def log_message(self, *args: object) -> None:
        pass


def test_auth005_cross_site_requests_with_a_valid_session_are_refused(app, dash_duo):
    dash_duo.start_server(app)
    base = dash_duo.server.url.rstrip("/")
    cookie = {"Cookie": cookie_header(dash_duo)}
    url = base + "/_dash-update-component"
    status, _, body = http(url, "POST", user_area_body(), {**cookie, "Origin": base})
    assert status == 200 and b"lan" in body  # the same request from the app itself
    for other in ({"Origin": "http://evil.example"}, {"Referer": "http://evil.example/x"}, {}):
        status, _, body = http(url, "POST", user_area_body(), {**cookie, **other})
        assert status == 403 and b"lan" not in body, other
    # a real page on another origin makes the signed-in browser post to /logout: refused
    _CrossSitePage.target = base
    evil = ThreadingHTTPServer(("127.0.0.1", 0), _CrossSitePage)
    thread = threading.Thread(target=evil.serve_forever, daemon=True)
    thread.start()
    try:
        dash_duo.driver.get(f"http://localhost:{evil.server_address[1]}/")
        wait_body(dash_duo, "cross-site request refused")
    finally:
        evil.shutdown()
        evil.server_close()
    dash_duo.driver.get(base + "/")
    wait_text(dash_duo, ids.SHELL_USER, "lan")  # still signed in


CSP_LISTENER = """
window.__csp = [];
document.addEventListener('securitypolicyviolation',
  e => window.__csp.push(e.violatedDirective + ' ' + e.blockedURI));
"""


def test_auth006_security_headers_and_a_policy_the_pages_keep(app, collector, publish, dash_duo):
    publish.sensor("hoa-an", "t-air-6", "air", {"pm25": 30.0}, now_ms())
    dash_duo.driver.execute_cdp_cmd(
        "Page.addScriptToEvaluateOnNewDocument", {"source": CSP_LISTENER}
    )
    dash_duo.start_server(app)
    base = dash_duo.server.url.rstrip("/")
    status, headers, _ = http(base + "/", headers={"Cookie": cookie_header(dash_duo)})
    assert status == 200
    policy = headers["Content-Security-Policy"]
    assert "default-src 'self'" in policy and "frame-ancestors 'none'" in policy
    assert (
        "script-src 'self' 'sha256-" in policy
        and "'unsafe-inline'" not in (policy.split("script-src")[1].split(";")[0])
    )
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Cache-Control"] == "no-store"
    # No violation while the wall (map, tiles) and the drill-downs (charts, grid) render:
    # without 'unsafe-eval' and without 'unsafe-inline' scripts.
    for path in ("/", "/environment?range=1h", "/devices"):
        dash_duo.driver.get(base + path)
        dash_duo.wait_for_element(".main-svg", timeout=20)
        wait_until(lambda: dash_duo.driver.execute_script("return document.readyState") ==
                   "complete")  # fmt: skip
        assert dash_duo.driver.execute_script("return window.__csp") == [], path
    # the listener does see a violation: an injected inline script is blocked and reported
    dash_duo.driver.execute_script(
        "const s = document.createElement('script'); s.textContent = 'window.__ran = 1';"
        "document.head.appendChild(s);"
    )
    violations = wait_until(lambda: dash_duo.driver.execute_script("return window.__csp"))
    assert violations[0].startswith("script-src")
    assert dash_duo.driver.execute_script("return window.__ran") is None
