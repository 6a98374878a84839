"""`ioc bench wall [--walls N]`: publish → pixel on the pushed wall with N walls open, beside the
polling wall measured in the same run.

On its own Mosquitto, InfluxDB (1.6 + v2 shim) and Redis (temporary, free loopback ports), with
`ioc collect`, `ioc engine` and the dashboard under gunicorn (one `gthread` worker, as in
docker-compose.yml) each in its own process, on the production defaults but for the addresses:
1. one headless Chromium signed in as a viewer opens the wall in N windows (windows, not tabs:
   a background tab is throttled; the throttling flags are off as on a wall computer);
2. each trial sets a distinctive temperature in every window's watch — a MutationObserver that
   stamps `Date.now()` when the temperature tile's text first holds it — then publishes it over
   MQTT (QoS 1) and reads every window's stamp: publish → DOM in the page's own clock (the same
   machine clock), with no WebDriver polling in the figure;
3. `push`: the walls as served (server-sent events); `polling` (the reference): the same walls
   switched to the polling fallback (`iocWallPush.pollOnlyNow()`, one request a second each);
4. the dashboard server's CPU seconds (gunicorn master and worker, psutil) over each phase's
   trials, which last the same time whatever N (one trial every `period_s`).
"""

from __future__ import annotations

import math
import os
import secrets
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
import paho.mqtt.client as mqtt
import psutil
import redis as redis_lib
from paho.mqtt.enums import CallbackAPIVersion

from dashboards import ids
from dashboards.tiles import indicator_key
from ioc.devservices import InfluxDB, Mosquitto, Redis, free_port
from ioc.devservices.wait import wait_until
from ioc.settings import ENV_PREFIX, Settings, load_settings

TEMP_TILE = ids.tile_value(indicator_key("temperature"))
SOURCE = ("hoa-an", "bench-wall-weather")
MISSED_MS = 15_000.0
FIRST = 4.5
Progress = Callable[[str], None]

_WATCH_JS = """
const id = arguments[0];
window.__bench = {want: null, at: 0, got: 0};
const apply = window.iocWallPush.apply;
window.iocWallPush.apply = function (data) {  // when the frame arrived
  const b = window.__bench;
  if (b.want && !b.got && String(data).includes('"' + b.want + '"')) {
    b.got = Date.now();
  }
  return apply.apply(this, arguments);
};
new MutationObserver(() => {
  const b = window.__bench;
  if (!b.want || b.at) { return; }
  const e = document.getElementById(id);
  if (e && e.textContent.includes(b.want)) { b.at = Date.now(); }
}).observe(document.body, {subtree: true, childList: true, characterData: true});
"""
_WANT_JS = "window.__bench.want = arguments[0]; window.__bench.at = 0; window.__bench.got = 0;"
_AT_JS = "return [window.__bench.at, window.__bench.got];"
_TEXT_JS = "const e = document.getElementById(arguments[0]); return e ? e.textContent : '';"
_LIVE_JS = "return window.iocWallPush && window.iocWallPush.state;"


@dataclass
class Phase:
    name: str
    samples: list[float] = field(default_factory=list)
    live_samples: list[float] = field(default_factory=list)  # publish → the live state (Redis)
    frame_samples: list[float] = field(default_factory=list)  # publish → frame in the browser
    stream_samples: list[float] = field(default_factory=list)  # publish → frame, stream walls
    missed: int = 0
    cpu_s: float = 0.0
    wall_s: float = 0.0

    def p(self, q: float) -> float:
        ordered = sorted(self.samples)
        return ordered[min(len(ordered) - 1, max(0, math.ceil(q * len(ordered)) - 1))]

    @staticmethod
    def p50(samples: list[float]) -> float:
        ordered = sorted(samples)
        return ordered[len(ordered) // 2] if ordered else math.nan

    def figures(self) -> dict[str, float]:
        return {
            "p50": round(self.p(0.5), 1),
            "p95": round(self.p(0.95), 1),
            "max": round(max(self.samples), 1),
        }


def _settings(work: Path, mosquitto: Mosquitto, influxdb: InfluxDB, redis: Redis) -> Settings:
    return load_settings(
        data_dir=str(work / "data"),
        mqtt_url=mosquitto.url,
        influx_url=influxdb.url,
        influx_token="bench",
        influx_bucket="ioc",
        redis_url=redis.url,
    )


def _env(settings: Settings) -> dict[str, str]:
    """This process's environment without its IOC_* settings, plus the bench's."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(ENV_PREFIX)}
    for name in ("data_dir", "redis_url", "influx_url", "influx_bucket", "mqtt_url"):
        env[ENV_PREFIX + name.upper()] = str(getattr(settings, name))
    env["IOC_INFLUX_TOKEN"] = "bench"
    return env


@contextmanager
def _pipeline(settings: Settings) -> Iterator[None]:
    """`ioc collect` and `ioc engine`, each its own process, as deployed."""
    ioc = str(Path(sys.executable).with_name("ioc"))
    env = _env(settings) | {"IOC_MQTT_CLIENT_ID": "bench-wall-collector"}
    logs = Path(settings.data_dir)
    logs.mkdir(parents=True, exist_ok=True)
    procs = [
        subprocess.Popen(
            [ioc, command],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=(logs / f"{command}.log").open("wb"),
            start_new_session=True,
        )
        for command in ("engine", "collect")
    ]
    try:
        yield
    finally:
        for proc in procs:
            proc.send_signal(signal.SIGTERM)
        for proc in procs:
            try:
                proc.wait(20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(10)


class Server:
    """The dashboard under gunicorn: one gthread worker with a thread for every wall, started at
    once; `kill()` and `start()` again keep its port and signing key (sessions survive)."""

    def __init__(self, settings: Settings, threads: int) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.threads = threads
        self.env = _env(settings) | {"IOC_DASHBOARD_SECRET_KEY": secrets.token_hex(16)}
        self.process: subprocess.Popen[bytes] | None = None
        self.start()

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                str(Path(sys.executable).with_name("gunicorn")),
                "--workers=1",
                "--worker-class=gthread",
                f"--threads={self.threads}",
                f"--bind=127.0.0.1:{self.port}",
                "dashboards.wsgi:server",
            ],
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        wait_until(self._answers, timeout=60, interval=0.2, message="gunicorn answers")

    def kill(self) -> None:
        """SIGKILL the master and its worker (a crash)."""
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(10)

    def _answers(self) -> bool:
        import http.client

        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)
        try:
            conn.request("GET", "/healthz")
            return conn.getresponse().status < 500
        except OSError:
            return False
        finally:
            conn.close()

    def cpu_s(self) -> float:
        """CPU seconds (user + system) of the master and its workers so far."""
        assert self.process is not None
        main = psutil.Process(self.process.pid)
        total = 0.0
        for proc in [main, *main.children(recursive=True)]:
            try:
                times = proc.cpu_times()
                total += times.user + times.system
            except psutil.NoSuchProcess:
                continue
        return total

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.kill()


def _browser() -> Any:
    from selenium import webdriver

    options = webdriver.ChromeOptions()
    for arg in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--window-size=1920,1080",
        "--disable-background-timer-throttling",
        "--disable-renderer-backgrounding",
        "--disable-backgrounding-occluded-windows",
    ):
        options.add_argument(arg)  # type: ignore[no-untyped-call]
    return webdriver.Chrome(options=options)


def _sign_in(driver: Any, base: str, password: str) -> None:
    from selenium.webdriver.common.by import By

    driver.get(f"{base}/login?next=/")
    driver.find_element(By.ID, "username").send_keys("bench")
    driver.find_element(By.ID, "password").send_keys(password)
    driver.find_element(By.ID, "login-submit").click()
    wait_until(lambda: "/login" not in driver.current_url, timeout=30, message="signed in")


def _publish(client: mqtt.Client, value: float) -> None:
    district, source = SOURCE
    payload = {"ts": time.time_ns() // 1_000_000, "kind": "weather", "values": {"temp_c": value}}
    client.publish(f"ioc/sensor/{district}/{source}", orjson.dumps(payload), qos=1)


def _shown(value: float) -> str:
    return f"{value:.1f}".replace(".", ",")  # the wall's Vietnamese number format


class StreamWalls:
    """Walls without a browser: each holds the same `/_push/wall` stream a wall's EventSource
    does (with the viewer's session cookie) and stamps when a frame carrying the wanted value
    arrives. They load the server exactly as the browsers' streams do."""

    def __init__(self, port: int, cookie: str, count: int) -> None:
        self.want = ""
        self.stamps: list[dict[str, float]] = [{} for _ in range(count)]
        self._stop = threading.Event()
        self._threads = [
            threading.Thread(target=self._run, args=(port, cookie, i), daemon=True)
            for i in range(count)
        ]
        for thread in self._threads:
            thread.start()

    def _run(self, port: int, cookie: str, i: int) -> None:
        import http.client

        from dashboards.push import STREAM_PATH

        while not self._stop.is_set():
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            try:
                conn.request("GET", STREAM_PATH + "?lang=vi", headers={"Cookie": cookie})
                response = conn.getresponse()
                buffer = b""
                while not self._stop.is_set():
                    chunk = response.read1(65536)
                    if not chunk:
                        break
                    buffer += chunk
                    while b"\n\n" in buffer:
                        event, buffer = buffer.split(b"\n\n", 1)
                        want = self.want
                        if want and want not in self.stamps[i] and f'"{want}"'.encode() in event:
                            self.stamps[i][want] = time.time_ns() / 1_000_000
            except OSError:
                self._stop.wait(0.5)
            finally:
                conn.close()

    def connected(self) -> int:
        return sum(1 for stamps in self.stamps if stamps)

    def stop(self) -> None:
        self._stop.set()


def _wait_live(redis_client: Any, value: float, sent_ms: float, phase: Phase) -> None:
    """When the published value is the latest in the live state (polled every 2 ms)."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        raw = redis_client.hget("ioc:latest:sensor", SOURCE[1])
        if raw and orjson.loads(raw).get("fields", {}).get("temp_c") == value:
            phase.live_samples.append(time.time_ns() / 1_000_000 - sent_ms)
            return
        time.sleep(0.002)


def _wait_streams(streams: StreamWalls, want: str) -> None:
    deadline = time.monotonic() + MISSED_MS / 1000
    while time.monotonic() < deadline and not all(want in st for st in streams.stamps):
        time.sleep(0.02)


def _phase(
    name: str,
    driver: Any,
    redis_client: Any,
    streams: StreamWalls | None,
    windows: list[str],
    client: mqtt.Client,
    server: Server,
    trials: int,
    period_s: float,
    offset: float,
    progress: Progress,
) -> Phase:
    phase = Phase(name)
    cpu0, began = server.cpu_s(), time.monotonic()
    for k in range(trials):
        due = began + k * period_s
        value = round(5.0 + k + offset, 1)
        want = _shown(value)
        for handle in windows:
            driver.switch_to.window(handle)
            driver.execute_script(_WANT_JS, want)
        if streams is not None:
            streams.want = want
        time.sleep(max(0.0, due - time.monotonic()))
        sent_ms = time.time_ns() / 1_000_000
        _publish(client, value)
        _wait_live(redis_client, value, sent_ms, phase)
        pending = list(windows)
        deadline = time.monotonic() + MISSED_MS / 1000
        while pending and time.monotonic() < deadline:
            for handle in list(pending):
                driver.switch_to.window(handle)
                at, got = driver.execute_script(_AT_JS)
                if at:
                    phase.samples.append(max(0.0, at - sent_ms))
                    if got:
                        phase.frame_samples.append(max(0.0, got - sent_ms))
                    pending.remove(handle)
            if pending:
                time.sleep(0.05)
        phase.missed += len(pending)
        phase.samples += [MISSED_MS] * len(pending)
        if streams is not None:
            _wait_streams(streams, want)
            for stamps in streams.stamps:
                phase.stream_samples.append(stamps[want] - sent_ms if want in stamps else MISSED_MS)
        if (k + 1) % 5 == 0:
            progress(f"{name}: {k + 1}/{trials} trials, p50 {phase.p(0.5):.0f} ms")
    time.sleep(max(0.0, began + trials * period_s - time.monotonic()))
    phase.wall_s = time.monotonic() - began
    phase.cpu_s = server.cpu_s() - cpu0
    return phase


def run_wall(
    walls: int, browsers: int, trials: int, period_s: float, progress: Progress
) -> dict[str, Phase]:
    """N walls: `browsers` Chromium windows, the rest stream walls (`StreamWalls`)."""
    from ioc.auth import Auth

    with tempfile.TemporaryDirectory(prefix="ioc-bench-wall-") as tmp:
        work = Path(tmp)
        with (
            Mosquitto(work / "mosquitto") as mosquitto,
            InfluxDB(work / "influxdb") as influxdb,
            Redis(work / "redis") as redis,
        ):
            influxdb.create_database("ioc")
            settings = _settings(work, mosquitto, influxdb, redis)
            password = secrets.token_urlsafe(18)
            store = Auth.open(settings)
            store.users.add("bench", "viewer", password)
            with _pipeline(settings):
                client = mqtt.Client(CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv5)
                client.connect("127.0.0.1", mosquitto.port)
                client.loop_start()
                server = Server(settings, threads=walls + 16)
                redis_client = redis_lib.Redis.from_url(redis.url)
                driver = _browser()
                try:
                    _sign_in(driver, server.url, password)
                    windows = _open_walls(driver, server.url, browsers, client, progress)
                    streams = None
                    if walls > browsers:
                        cookie = "; ".join(
                            f"{c['name']}={c['value']}" for c in driver.get_cookies()
                        )
                        streams = StreamWalls(server.port, cookie, walls - browsers)
                    run = (windows, client, server, trials, period_s)
                    push = _phase("push", driver, redis_client, streams, *run, 0.1, progress)
                    if streams is not None:
                        streams.stop()  # the polling reference: the browsers' walls only
                    for handle in windows:
                        driver.switch_to.window(handle)
                        driver.execute_script("window.iocWallPush.pollOnlyNow();")
                    polling = _phase("polling", driver, redis_client, None, *run, 0.2, progress)
                finally:
                    driver.quit()
                    server.stop()
                    redis_client.close()
                    client.loop_stop()
                    client.disconnect()
    return {"push": push, "polling": polling}


def _open_walls(
    driver: Any, base: str, walls: int, client: mqtt.Client, progress: Progress
) -> list[str]:
    windows = []
    for i in range(walls):
        if i:
            driver.switch_to.new_window("window")
        driver.get(f"{base}/")
        windows.append(driver.current_window_handle)
    for n, handle in enumerate(windows):
        driver.switch_to.window(handle)
        wait_until(
            lambda: driver.execute_script(_LIVE_JS) == "live",
            timeout=120,
            interval=0.1,
            message=f"wall {n + 1} live",
        )
        driver.execute_script(_WATCH_JS, _dom_id(TEMP_TILE))

    def first_shown() -> bool:  # published until the collector, just started, has it
        if _shown(FIRST) in driver.execute_script(_TEXT_JS, _dom_id(TEMP_TILE)):
            return True
        _publish(client, FIRST)
        return False

    wait_until(first_shown, timeout=120, interval=1.0, message="the first value on the wall")
    progress(f"{walls} walls open and live")
    return windows


def _dom_id(component_id: dict[str, str]) -> str:
    import json

    return json.dumps(component_id, sort_keys=True, separators=(",", ":"))


def report(walls: int, browsers: int, phases: dict[str, Phase]) -> list[str]:
    streams = walls - browsers
    lines = [
        f"{walls} wall(s): one headless Chromium with {browsers} window(s)"
        + (
            f" + {streams} stream walls (the same /_push/wall stream, no browser)"
            if streams
            else ""
        )
        + "; dashboard: gunicorn, 1 gthread worker; publish (MQTT QoS 1) → value in the DOM"
    ]
    for name, phase in phases.items():
        f = phase.figures()
        lines.append(
            f"{name:8} p50 {f['p50']:7.1f} ms  p95 {f['p95']:7.1f} ms  max {f['max']:7.1f} ms"
            f"  ({len(phase.samples)} samples, {phase.missed} missed)"
            f"  server CPU {phase.cpu_s:6.2f} s over {phase.wall_s:.0f} s"
        )
    push = phases["push"]
    lines.append(
        f"push, p50 of the stages from the publish: the live state (collector, InfluxDB write,"
        f" engine; Redis polled) {push.p50(push.live_samples):.0f} ms, the frame in the browser"
        f" {push.p50(push.frame_samples):.0f} ms, the value in the DOM {push.p50(push.samples):.0f}"
        " ms"
    )
    if push.stream_samples:
        ordered = sorted(push.stream_samples)
        p95 = ordered[min(len(ordered) - 1, math.ceil(0.95 * len(ordered)) - 1)]
        lines.append(
            f"push, the {streams} stream walls: publish → frame p50 {push.p50(ordered):.0f} ms,"
            f" p95 {p95:.0f} ms, max {ordered[-1]:.0f} ms ({len(ordered)} samples);"
            " polling reference: the browser windows only"
        )
    return lines


def summary(walls: int, phases: dict[str, Phase]) -> dict[str, Any]:
    push = phases["push"]
    return {
        "walls": walls,
        "publish_to_pixel_ms": push.figures(),
        "server_cpu_s": round(push.cpu_s, 2),
    }
