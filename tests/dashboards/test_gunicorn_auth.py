"""Sign-in under the production server: gunicorn with three workers serving HTTPS itself (the
certificate made by `ioc.tls`, as the proxy would present it), real Redis/InfluxDB/Mosquitto
and headless Chromium. A session made by one worker is valid in every worker, a sign-out ends
it in every worker, failed sign-ins are counted across workers, the cookie is `Secure`."""

from __future__ import annotations

import os
import ssl
import subprocess
import sys
import urllib.error
import urllib.request
from collections import Counter
from pathlib import Path
from types import SimpleNamespace

import pytest

from dashboards import ids
from dashboards.tiles import indicator_key
from ioc.devservices import free_port, wait_until
from ioc.settings import ENV_PREFIX
from ioc.tls import ensure_certificates
from tests.dashboards.authhelpers import ioc
from tests.dashboards.browser import cookie_header, sign_in, wait_text, wait_url
from tests.dashboards.conftest import TEST_PASSWORD, now_ms

pytestmark = pytest.mark.services
WORKERS = 3
TEMP = indicator_key("temperature")


class Gunicorn:
    def __init__(self, settings, tmp_path: Path) -> None:
        tls = tmp_path / "tls"
        ensure_certificates(tls, ["localhost", "127.0.0.1"])
        self.context = ssl.create_default_context(cafile=str(tls / "ca.crt"))
        self.port = free_port()
        self.url = f"https://localhost:{self.port}"
        self.access_log = tmp_path / "access.log"
        env = {k: v for k, v in os.environ.items() if not k.startswith(ENV_PREFIX)}
        for name in ("data_dir", "redis_url", "influx_url", "influx_bucket", "mqtt_url"):
            env[ENV_PREFIX + name.upper()] = str(getattr(settings, name))
        env["IOC_INFLUX_TOKEN"] = "test"
        env["IOC_DASHBOARD_SECRET_KEY"] = "one-key-for-every-worker"
        self.process = subprocess.Popen(
            [
                str(Path(sys.executable).with_name("gunicorn")),
                f"--workers={WORKERS}",
                f"--bind=127.0.0.1:{self.port}",
                f"--certfile={tls / 'dashboard.crt'}",
                f"--keyfile={tls / 'dashboard.key'}",
                f"--access-logfile={self.access_log}",
                "--access-logformat=%(p)s %(m)s %(U)s %(s)s",
                "dashboards.wsgi:server",
            ],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )

    def request(self, path: str, cookie: str = "", data: bytes | None = None,
                headers: dict[str, str] | None = None) -> int:  # fmt: skip
        return self.answer(path, cookie, data, headers)[0]

    def answer(self, path: str, cookie: str = "", data: bytes | None = None,
               headers: dict[str, str] | None = None) -> tuple[int, dict[str, str]]:  # fmt: skip
        request = urllib.request.Request(
            self.url + path, data=data, headers={"Cookie": cookie, **(headers or {})}
        )
        opener = urllib.request.build_opener(
            urllib.request.HTTPSHandler(context=self.context), _NoRedirect
        )
        try:
            with opener.open(request, timeout=15) as response:
                return response.status, dict(response.headers)
        except urllib.error.HTTPError as exc:
            exc.close()
            return exc.code, dict(exc.headers)

    def served_by(self, line_end: str) -> Counter[str]:
        """Worker pids that answered requests whose log line ends with `line_end`."""
        lines = self.access_log.read_text().splitlines() if self.access_log.exists() else []
        return Counter(line.split()[0] for line in lines if line.endswith(line_end))

    def stop(self) -> str:
        self.process.terminate()
        _, log = self.process.communicate(timeout=30)
        return log


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


@pytest.fixture
def gunicorn(settings, tmp_path):
    server = Gunicorn(settings, tmp_path)
    try:
        wait_until(lambda: server.request("/healthz") == 200, timeout=60, interval=0.3,
                   ignore=(OSError,), message="gunicorn did not answer")  # fmt: skip
        yield server
    finally:
        log = server.stop()
    assert log.count("Booting worker") == WORKERS, log


def test_sessions_and_lockouts_hold_in_every_worker_over_https(
    settings, collector, publish, gunicorn, dash_br
):
    ioc(settings, "users", "add", "lan", "--role", "operator", "--password-stdin",
        stdin=TEST_PASSWORD + "\n")  # fmt: skip
    publish.sensor("hoa-an", "t-weather-g", "weather", {"temp_c": 26.5}, now_ms())
    dash_br.server = SimpleNamespace(url=gunicorn.url)
    dash_br.driver.get(gunicorn.url + "/")
    wait_url(dash_br, "/login?next=")
    sign_in(dash_br, "lan", TEST_PASSWORD)
    wait_text(dash_br, ids.tile_value(TEMP), "26,5")
    wait_text(dash_br, ids.SHELL_USER, "lan")
    role = "return document.getElementById('nav-role').textContent"
    assert dash_br.driver.execute_script(role) == "lan (trực ban)"
    cookie = next(c for c in dash_br.driver.get_cookies() if c["name"] == "ioc_session")
    assert cookie["secure"] and cookie["httpOnly"] and cookie["sameSite"] == "Lax"

    # the browser's session, replayed: every worker knows it
    header = cookie_header(dash_br)
    assert [gunicorn.request("/_dash-layout", header) for _ in range(30)] == [200] * 30
    pids = gunicorn.served_by("GET /_dash-layout 200")
    assert len(pids) >= 2, pids

    # failed sign-ins are counted in the shared store, whichever worker takes them
    form = b"username=minh&password=wrong"
    post = {"Origin": gunicorn.url, "Content-Type": "application/x-www-form-urlencoded"}
    failures = 0

    def try_wrong() -> int:
        nonlocal failures
        status, headers = gunicorn.answer("/login", data=form, headers=post)
        failures += status == 401
        return int(headers.get("Retry-After", 0)) if status == 429 else 0

    for _ in range(3):  # three free failures
        assert try_wrong() == 0
    # then each try waits 1 s, 2 s… after the last failure (a refused try is not counted), and
    # the fifth failure locks the name for IOC_AUTH_LOCKOUT_S (900 s)
    wait_until(lambda: try_wrong() > 60, timeout=30, interval=0.5, message="the lock")
    assert failures == 5

    # signing out (in the page) ends the session in every worker
    dash_br.find_element("#nav-user").click()  # the account menu
    dash_br.find_element("#nav-logout").click()
    wait_url(dash_br, "/login")
    assert [gunicorn.request("/_dash-layout", header) for _ in range(20)] == [401] * 20
    assert len(gunicorn.served_by("GET /_dash-layout 401")) >= 2
