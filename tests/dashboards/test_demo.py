"""`ioc demo` as a new user runs it: one process, nothing but the Python packages (embedded
amqtt broker, SQLite file, in-process live state), a temporary data directory. The dashboard
answers, its snapshot and its page show live values, Ctrl-C stops it cleanly, and a restart
keeps the history. On its first start it creates an admin with a random password, printed with
the address and kept in the data directory; the same sign-in works after the restart."""

from __future__ import annotations

import os
import queue
import re
import signal
import subprocess
import sys
import threading
import urllib.request
from types import SimpleNamespace

import orjson
import pytest

from dashboards import ids
from dashboards.tiles import indicator_key, kpi_key
from ioc.auth import Auth
from ioc.devservices import free_port, wait_until
from ioc.settings import load_settings
from ioc.storage.base import TimeRange
from ioc.storage.sqlite import SqliteStorage
from tests.dashboards.browser import sign_in, text_of

pytestmark = pytest.mark.services

TEMP = indicator_key("temperature")
AQI = kpi_key("air.vn_aqi")


class DemoProcess:
    def __init__(self, data_dir, port, mqtt_port, token):
        self.token = token
        env = {
            **os.environ,
            "IOC_MQTT_URL": f"mqtt://127.0.0.1:{mqtt_port}",
            "IOC_INFLUX_URL": "",
            "IOC_REDIS_URL": "",
            "IOC_LOG_LEVEL": "WARNING",
        }
        self.url = f"http://127.0.0.1:{port}"
        self.lines: queue.SimpleQueue[str] = queue.SimpleQueue()
        self.output: list[str] = []
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "ioc.cli",
                "demo",
                "--data-dir",
                str(data_dir),
                "--port",
                str(port),
                "--backfill-hours",
                "1",
            ],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in self.process.stdout:
            self.output.append(line.rstrip())

    def snapshot(self):
        try:
            request = urllib.request.Request(
                f"{self.url}/api/v1/snapshot", headers={"Authorization": f"Bearer {self.token}"}
            )
            with urllib.request.urlopen(request, timeout=2) as response:
                return orjson.loads(response.read())
        except OSError:
            return None

    def received(self):
        snap = self.snapshot() or {"counters": {}}
        return sum(v for k, v in snap["counters"].items() if k.startswith("received:"))

    def stop(self):
        self.process.send_signal(signal.SIGINT)  # Ctrl-C
        return self.process.wait(60)

    def kill(self):
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)
        self.process.stdout.close()


def points(data_dir):
    storage = SqliteStorage(data_dir / "ioc.sqlite3")
    try:
        return len(storage.records("sensor", TimeRange(0, 2**62), limit=0))
    finally:
        storage.close()


def sign_in_line(output):
    line = next((line for line in output if line.startswith("sign in")), "")
    match = re.search(r"user (\S+), password (\S+)", line)
    assert match, output
    return match.group(1), match.group(2)


def test_demo_from_nothing_live_values_clean_stop_and_history_kept(tmp_path, dash_br):
    data_dir = tmp_path / "ioc-data"
    port, mqtt_port = free_port(), free_port()
    # an API token for the snapshot, made in the demo's own auth store before its first start
    token = Auth.open(load_settings(data_dir=str(data_dir))).tokens.add("test", by="test")
    demo = DemoProcess(data_dir, port, mqtt_port, token)
    try:
        wait_until(
            demo.snapshot,
            timeout=60,
            interval=0.5,
            message=f"the dashboard never answered; output: {demo.output}",
        )
        assert any("embedded amqtt" in line for line in demo.output)
        assert any(f"http://127.0.0.1:{port}/" in line for line in demo.output)
        first = demo.received()
        wait_until(lambda: demo.received() > first, timeout=30, message="no live values")
        snap = demo.snapshot()
        assert snap["live"]["connected"] and not snap["kpis"]["stale"]

        user, password = sign_in_line(demo.output)
        assert user == "admin" and len(password) >= 12
        kept = (data_dir / "admin-password.txt").read_text()
        assert f"password {password}" in kept
        assert (data_dir / "admin-password.txt").stat().st_mode & 0o077 == 0
        dash_br.server = SimpleNamespace(url=demo.url)  # for sign_in: the demo is the server
        sign_in(dash_br, user, password)
        wait_until(
            lambda: any(c.isdigit() for c in text_of(dash_br, ids.tile_value(AQI))),
            timeout=30,
            interval=0.3,
            message="no VN_AQI on the wall screen",
        )
        wait_until(
            lambda: "giây trước" in text_of(dash_br, ids.tile_age(TEMP)),
            timeout=30,
            interval=0.3,
            message="the temperature tile is not fresh",
        )
        assert demo.stop() == 0
        assert demo.output[-1] == "stopped"
    finally:
        demo.kill()
    history = points(data_dir)
    assert history > 500  # an hour of back-fill at least

    again = DemoProcess(data_dir, port, mqtt_port, token)
    try:
        wait_until(again.snapshot, timeout=60, interval=0.5, message="no dashboard after restart")
        assert sign_in_line(again.output) == (user, password)  # the same admin, not a new one
        assert not any("h of history" in line for line in again.output)  # no second back-fill

        def rebuilt_aqi():
            values = (again.snapshot() or {"kpis": {"values": []}})["kpis"]["values"]
            return [v for v in values if v["id"] == "air.vn_aqi" and v["value"] is not None]

        # VN_AQI needs hours of readings: right after a restart it can only come from history
        wait_until(rebuilt_aqi, timeout=30, message="the KPI engine did not rebuild from history")
        assert again.stop() == 0
    finally:
        again.kill()
    assert points(data_dir) >= history
