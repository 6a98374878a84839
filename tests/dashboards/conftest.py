"""Fixtures for the dashboard tests: the real pipeline (Mosquitto → collector → InfluxDB + Redis →
the KPI engine), a small MQTT publisher, the app, and headless Chromium for `dash_duo`.

Browser options: `--headless` is switched on here (dash[testing]'s own option), and Chromium gets
the flags it needs as root on a machine without internet.
"""

from __future__ import annotations

import contextlib
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import flask
import orjson
import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion
from selenium.webdriver.chrome.options import Options

from collectors.collector import Collector
from dashboards.app import create_app
from dashboards.auth import EXTENSION as AUTH_EXTENSION
from ioc.auth import Session
from ioc.devservices import wait_until
from ioc.engine import Engine
from ioc.live.redis import RedisLiveState
from ioc.settings import Settings, load_settings
from ioc.storage.influx import InfluxStorage
from tests.dashboards.browser import sign_in

CHROME_FLAGS = (
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--hide-scrollbars",
    "--window-size=1920,1080",
    # the HTTPS tests use certificates of a CA made in the test (loopback only)
    "--ignore-certificate-errors",
)


@pytest.hookimpl(trylast=True)  # after pytest's own thread-exception hook is installed
def pytest_configure(config: pytest.Config) -> None:
    config.option.headless = True
    # dash[testing] stops its threaded Flask server by injecting SystemExit into its threads; a
    # request thread that gets it is reported as an unhandled thread exception. Only that one is
    # dropped here; every other thread exception still reaches pytest.
    report = threading.excepthook

    def hook(args: threading.ExceptHookArgs) -> None:
        if args.exc_type is SystemExit:
            return
        report(args)

    threading.excepthook = hook


# selenium 4.2 (pinned by dash[testing]) calls urllib3 APIs deprecated in urllib3 2.x: not ours.
SELENIUM_WARNINGS = (
    "ignore:HTTPResponse.getheader\\(\\) is deprecated:DeprecationWarning",
    "ignore:HTTPResponse.getheaders\\(\\) is deprecated:DeprecationWarning",
)
HERE = Path(__file__).parent


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if HERE in Path(str(item.path)).parents:
            for warning in SELENIUM_WARNINGS:
                item.add_marker(pytest.mark.filterwarnings(warning))


def pytest_setup_options() -> Options:
    """dash[testing] collects the hook's results in a list and uses the first."""
    options = Options()
    for flag in CHROME_FLAGS:
        options.add_argument(flag)
    return options


@pytest.fixture(autouse=True)
def _page_loaded_before_the_server_stops(request: pytest.FixtureRequest) -> Iterator[None]:
    """dash[testing] stops its server by killing the request threads: a font still being sent
    (a page just loaded or reloaded) leaves its file open, reported as a ResourceWarning in
    whichever test runs next. Set up after `dash_duo`, so this waits before it is torn down."""
    duo = request.getfixturevalue("dash_duo") if "dash_duo" in request.fixturenames else None
    yield
    if duo is None or getattr(duo, "_driver", None) is None:
        return
    script = "return document.readyState === 'complete' && document.fonts.status === 'loaded'"
    # a closed window or a dead browser: nothing to wait for
    with contextlib.suppress(Exception):
        wait_until(lambda: duo.driver.execute_script(script), timeout=10, interval=0.2)


def now_ms() -> int:
    return time.time_ns() // 1_000_000


def iso(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, UTC).isoformat()


@pytest.fixture
def settings(mosquitto, influxdb, influx_db, redis_url, tmp_path) -> Settings:
    return load_settings(
        data_dir=str(tmp_path / "data"),  # the users, sessions and audit of this test
        mqtt_url=mosquitto.url,
        mqtt_client_id="dash-test-collector",
        influx_url=influxdb.url,
        influx_token="test",
        influx_bucket=influx_db,
        redis_url=redis_url,
        batch_wait_ms=20,
    )


@pytest.fixture
def live(settings) -> Iterator[RedisLiveState]:
    state = RedisLiveState(settings.redis_url)
    yield state
    state.close()


@pytest.fixture
def engine(settings) -> Iterator[Engine]:
    """The KPI engine, with its own clients (as `ioc engine`)."""
    storage = InfluxStorage(settings.influx_url, "test", "ioc", settings.influx_bucket)
    live = RedisLiveState(settings.redis_url)
    engine = Engine(settings, storage, live).start()
    assert engine.wait_rebuilt(30)
    yield engine
    engine.stop()
    storage.close()
    live.close()


@pytest.fixture
def collector(settings, engine) -> Iterator[Collector]:
    """A real collector (and the KPI engine beside it), consuming from the test broker."""
    storage = InfluxStorage(settings.influx_url, "test", "ioc", settings.influx_bucket)
    live = RedisLiveState(settings.redis_url)
    collector = Collector(settings, storage, live)
    thread = threading.Thread(target=collector.run, daemon=True)
    thread.start()
    assert collector.transport.wait_connected(10)
    yield collector
    collector.stop()
    thread.join(10)
    storage.close()
    live.close()


class Publisher:
    """Publishes wire-contract payloads at QoS 1 and waits for the broker's acknowledgement."""

    def __init__(self, host: str, port: int) -> None:
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv5)
        self.client.connect(host, port)
        self.client.loop_start()

    def send(self, topic: str, payload: object) -> None:
        data = payload.encode() if isinstance(payload, str) else orjson.dumps(payload)
        self.client.publish(topic, data, qos=1).wait_for_publish(10)

    def sensor(self, district: str, source: str, kind: str, values: dict, ts_ms: int) -> None:
        self.send(f"ioc/sensor/{district}/{source}", {"ts": ts_ms, "kind": kind, "values": values})

    def camera(self, district: str, source: str, site: str, ts_ms: int, **fields: object) -> None:
        self.send(f"ioc/camera/{district}/{source}", {"ts": ts_ms, "site": site, **fields})

    def close(self) -> None:
        self.client.loop_stop()
        self.client.disconnect()


@pytest.fixture
def publish(mosquitto) -> Iterator[Publisher]:
    publisher = Publisher("127.0.0.1", mosquitto.port)
    yield publisher
    publisher.close()


@pytest.fixture
def app(settings):
    app = create_app(settings)
    yield app
    app.server.extensions["ioc_dashboard"].close()


TEST_PASSWORD = "mật khẩu thử nghiệm"


@contextmanager
def as_user(app, role: str, name: str = "lan") -> Iterator[None]:
    """A request context of `app` signed in as `name` with `role` (callbacks called directly)."""
    with app.server.test_request_context():
        flask.g.ioc_session = Session(name, role, None, 0, 0)
        yield


def bearer(app) -> dict[str, str]:
    """An Authorization header with a new API token of the app's store."""
    name = f"test-{uuid.uuid4().hex[:8]}"
    token = app.server.extensions[AUTH_EXTENSION].tokens.add(name, by="test")
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def user_role() -> str:
    """The role of the user `dash_duo` signs in as (override it in a test module or with
    `@pytest.mark.parametrize("user_role", [...])`)."""
    return "operator"


@pytest.fixture
def dash_duo(dash_duo, user_role):
    """dash[testing]'s `dash_duo`, whose `start_server(app)` also creates the user `lan` with
    `user_role` in the app's own auth store and signs the browser in through /login — the
    dashboard has no anonymous access, and tests do not switch it off."""
    start = dash_duo.start_server

    def start_server(app, navigate=True, signed_in=True, **kwargs):
        start(app, navigate=False, **kwargs)
        if not signed_in:  # anonymous: the test opens what it wants
            return
        app.server.extensions[AUTH_EXTENSION].users.add("lan", user_role, TEST_PASSWORD)
        sign_in(dash_duo, "lan", TEST_PASSWORD)
        if navigate:
            dash_duo.server_url = dash_duo.server.url  # opens / and waits for Dash

    dash_duo.start_server = start_server
    return dash_duo
