"""Take 1920×1080 screenshots of every page with the simulator running (not a test).

    python -m tests.dashboards.screenshots docs/screenshots [--wait-alerts 240] \
        [--size 1920x1080 --size 3840x2160 --size 1366x768] [--only wall] [--only security]

Starts throw-away Mosquitto, InfluxDB and Redis (ioc.devservices), a collector with its KPI
engine, the simulator (scenario `flood`, started 2.6 simulated hours back so the run is near its
peak now and the history has a rise to show, then paced by the clock), and the app; waits until
the KPI engine has raised flood alerts and acknowledges one the way a supervisor would; then
signs in (user `lan`, admin, in a throw-away auth store) through the sign-in page and saves
it, the wall screen (Vietnamese, English, kiosk), each drill-down and the admin and audit pages
with headless Chromium. `--size` (repeatable, one simulation for all) emulates another screen
(names get a `-WxH` suffix); `--only` (repeatable) takes the pages whose file name contains one
of them. Last, the failure states: InfluxDB stopped, `/security` says so in words
(`security-storage-down.png`); then on the open wall the collector stopped
(`wall-collector-stopped.png`: the status line names it) and Redis stopped (`wall-lost.png`: the
last known view under the connection-lost banner), then the dashboard server itself
(`wall-server-lost.png`: the push badge says the server is lost, the rest dimmed), at the first
size.
It lives with the tests because it wires every package together, as the tests do.
"""

from __future__ import annotations

import argparse
import logging
import tempfile
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from selenium import webdriver
from werkzeug.serving import make_server

from collectors.collector import Collector
from dashboards import push
from dashboards.app import create_app
from ioc.devservices import DevServices, wait_until
from ioc.engine import Engine
from ioc.live.redis import RedisLiveState
from ioc.settings import load_settings
from ioc.storage.influx import InfluxStorage
from simulators.publisher import SimConfig, run_simulation
from tests.dashboards.conftest import CHROME_FLAGS

PORT = 8057
PAGES = (
    ("/", "wall.png"),
    ("/?lang=en", "wall-en.png"),
    ("/?kiosk=1", "wall-kiosk.png"),
    ("/environment?kind=water&field=level_cm", "environment.png"),
    ("/traffic?field=queue_m", "traffic.png"),
    ("/services?range=7d", "services.png"),
    ("/security?range=24h", "security.png"),
    ("/security?feed=portal&range=24h", "security-portal.png"),
    ("/devices?range=1h", "devices.png"),
    ("/admin", "admin.png"),
    ("/audit", "audit.png"),
)
# taken last, with InfluxDB stopped: the page must say so in words
FAILURE_PAGES = (("/security?range=24h", "security-storage-down.png"),)
WALL_FAILURES = ("wall-collector-stopped.png", "wall-lost.png", "wall-server-lost.png")
PASSWORD = "screenshots-only-password"


def browser() -> webdriver.Chrome:
    options = webdriver.ChromeOptions()
    for flag in ("--headless", *CHROME_FLAGS):
        options.add_argument(flag)
    driver = webdriver.Chrome(options=options)
    driver.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": 1920, "height": 1080, "deviceScaleFactor": 1, "mobile": False},
    )
    return driver


def wall_failures(
    driver: webdriver.Chrome,
    port: int,
    size: str,
    out: Path,
    collector: Collector,
    services: DevServices,
    stop_server: Callable[[], None],
) -> None:
    """The wall, open, while its sources fail: the collector, then the live state (Redis),
    then the dashboard server (no more push, no polls answered)."""
    width, height = (int(v) for v in size.split("x"))
    driver.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False},
    )
    driver.get(f"http://127.0.0.1:{port}/")

    def status(fragment: str) -> bool:
        text = driver.execute_script(  # none until the wall is mounted
            "const e = document.getElementById('wall-status'); return e ? e.innerText : '';"
        )
        return fragment in (text or "")

    wait_until(lambda: status("Dữ liệu trực tiếp"), timeout=60, interval=0.5, message="live wall")
    collector.stop()

    wait_until(lambda: status("chậm"), timeout=60, interval=1, message="collector named late")
    time.sleep(2)
    for png, stop in zip(WALL_FAILURES[:2], (None, services.redis.stop), strict=True):
        if stop is not None:
            stop()
            wait_until(lambda: status("MẤT KẾT NỐI"), timeout=60, interval=1, message="lost")
            time.sleep(3)
        driver.save_screenshot(str(out / png))
        print(png, flush=True)
    stop_server()
    badge = "return document.getElementById('wall-push-state').className"
    wait_until(  # lost; or polling, while an open keep-alive connection still answers a poll
        lambda: any(f"--{s}" in driver.execute_script(badge) for s in ("lost", "polling")),
        timeout=60,
        interval=1,
        message="push lost",
    )
    time.sleep(2)
    driver.save_screenshot(str(out / WALL_FAILURES[2]))
    print(WALL_FAILURES[2], flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--wait-alerts", type=float, default=240.0)
    parser.add_argument(
        "--size", action="append", help="WIDTHxHEIGHT (repeatable; default 1920x1080)"
    )
    parser.add_argument(
        "--only", action="append", default=[], help="only the pages whose file name has this"
    )
    parser.add_argument("--port", type=int, default=PORT, help="the app's loopback port")
    args = parser.parse_args()
    sizes_wanted = args.size or ["1920x1080"]
    port = args.port
    args.out.mkdir(parents=True, exist_ok=True)
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    stop = threading.Event()
    with DevServices() as services:
        services.influxdb.create_database("ioc")
        env = services.env(database="ioc")
        settings = load_settings(
            **{k.removeprefix("IOC_").lower(): v for k, v in env.items()},
            data_dir=tempfile.mkdtemp(prefix="ioc-screenshots-"),
        )
        storage = InfluxStorage(settings.influx_url, "x", "ioc", settings.influx_bucket)
        live = RedisLiveState(settings.redis_url)
        engine_storage = InfluxStorage(settings.influx_url, "x", "ioc", settings.influx_bucket)
        Engine(settings, engine_storage, RedisLiveState(settings.redis_url)).start()
        collector = Collector(settings, storage, live)
        threading.Thread(target=collector.run, daemon=True).start()
        assert collector.transport.wait_connected(15)
        config = SimConfig(
            mqtt_url=settings.mqtt_url,
            scenario="flood",
            seed=7,
            start=datetime.now(UTC) - timedelta(hours=2.6),
            rate=3000,
            max_ahead_s=0,
        )
        threading.Thread(target=run_simulation, args=(config,), kwargs={"stop": stop}).start()
        app = create_app(settings)
        app.server.extensions["ioc_auth"].users.add("lan", "admin", PASSWORD)
        server = make_server("127.0.0.1", port, app.server, threaded=True)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        try:
            print("waiting for the KPI engine to raise flood alerts …", flush=True)
            alerts = wait_until(  # the flood's (the security feeds raise theirs earlier)
                lambda: [
                    a
                    for a in live.alerts()
                    if a["state"] == "active" and a["rule"].startswith("water.")
                ],
                timeout=args.wait_alerts,
                interval=2,
                message="active alerts",
            )
            first = sorted(alerts, key=lambda a: a["alert_id"])[0]
            live.request_ack(first["alert_id"], "lan", "Đã báo Ban chỉ huy PCTT", 0)
            time.sleep(5)
            driver = browser()

            def shoot(pages: tuple[tuple[str, str], ...], first: bool) -> None:
                for size in sizes_wanted:
                    width, height = (int(v) for v in size.split("x"))
                    suffix = "" if size == "1920x1080" else f"-{size}"
                    driver.execute_cdp_cmd(
                        "Emulation.setDeviceMetricsOverride",
                        {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False},
                    )
                    if first and size == sizes_wanted[0]:  # one sign-in for every size
                        driver.get(f"http://127.0.0.1:{port}/login")
                        time.sleep(2)
                        if not args.only:
                            driver.save_screenshot(str(args.out / f"login{suffix}.png"))
                        driver.find_element("id", "username").send_keys("lan")
                        driver.find_element("id", "password").send_keys(PASSWORD)
                        driver.find_element("id", "login-submit").click()
                        time.sleep(2)
                    for path, png in pages:
                        if args.only and not any(o in png for o in args.only):
                            continue
                        name = png.replace(".png", f"{suffix}.png")
                        driver.get(f"http://127.0.0.1:{port}{path}")
                        time.sleep(6)
                        sizes = driver.execute_script(
                            "const d = document.documentElement;"
                            "return [d.scrollWidth, d.scrollHeight, innerWidth, innerHeight]"
                        )
                        driver.save_screenshot(str(args.out / name))
                        print(
                            f"{name}: page {sizes[0]}×{sizes[1]} in {sizes[2]}×{sizes[3]}",
                            flush=True,
                        )

            try:
                shoot(PAGES, first=True)
                if not args.only or any(o in p for o in args.only for _, p in FAILURE_PAGES):
                    services.influxdb.stop()
                    shoot(FAILURE_PAGES, first=False)
                    services.influxdb.start()  # the wall's failures start from a live wall
                if not args.only or any(o in p for o in args.only for p in WALL_FAILURES):

                    def stop_server() -> None:
                        server.shutdown()  # no new connection; then the open streams end
                        app.server.extensions[push.EXTENSION].stop()

                    wall_failures(
                        driver, port, sizes_wanted[0], args.out, collector, services, stop_server
                    )
            finally:
                driver.quit()
        finally:
            stop.set()
            server.shutdown()
            collector.stop()
            storage.close()
            live.close()


if __name__ == "__main__":
    main()
