"""`ioc demo` as a script starts it: its own embedded broker on a free port unless IOC_MQTT_URL
is set (and then it says so, with its own client id); `cmd &` (SIGINT inherited as ignored) and
SIGTERM both stop it cleanly with "stopped" and the SQLite store checkpointed; library chatter
stays out of its output."""

from __future__ import annotations

import os
import queue
import signal
import subprocess
import sys
import threading

import pytest

from ioc.devservices import free_port, wait_until

pytestmark = pytest.mark.services


class Demo:
    def __init__(self, tmp_path, env, *, sigint_ignored=False):
        self.data_dir = tmp_path / "data"
        self.port = free_port()
        clean = {k: v for k, v in os.environ.items() if not k.startswith("IOC_")}
        self.lines: list[str] = []
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "ioc.cli",
                "demo",
                "--data-dir",
                str(self.data_dir),
                "--port",
                str(self.port),
                "--backfill-hours",
                "0.05",
            ],
            env={**clean, "IOC_INFLUX_URL": "", "IOC_REDIS_URL": "", **env},
            cwd=tmp_path,  # no .env of the developer's
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            # what `cmd &` does in a non-interactive shell
            preexec_fn=(lambda: signal.signal(signal.SIGINT, signal.SIG_IGN))
            if sigint_ignored
            else None,
        )
        self._queue: queue.SimpleQueue[str] = queue.SimpleQueue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in self.process.stdout:
            self.lines.append(line.rstrip())

    def wait_serving(self):
        wait_until(
            lambda: any(line.startswith("open ") for line in self.lines),
            timeout=90,
            message=f"the demo never served; output: {self.lines}",
        )

    def stop_with(self, signum):
        self.process.send_signal(signum)
        return self.process.wait(60)

    def close(self):
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)
        self.process.stdout.close()


def wal_is_empty(data_dir):
    wal = data_dir / "ioc.sqlite3-wal"
    return not wal.exists() or wal.stat().st_size == 0


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_a_backgrounded_demo_stops_cleanly_on_sigint_and_sigterm(tmp_path, signum):
    demo = Demo(tmp_path, {}, sigint_ignored=True)
    try:
        demo.wait_serving()
        (broker,) = [line for line in demo.lines if line.startswith("broker")]
        assert "embedded amqtt" in broker and "a free port" in broker
        assert ":1883 " not in broker
        assert demo.stop_with(signum) == 0, demo.lines
        wait_until(lambda: demo.lines and demo.lines[-1] == "stopped", timeout=10)
    finally:
        demo.close()
    assert (demo.data_dir / "ioc.sqlite3").stat().st_size > 0
    assert wal_is_empty(demo.data_dir), "the SQLite store was not checkpointed"
    # its own lines only: no amqtt/transitions/werkzeug chatter between them
    assert not [line for line in demo.lines if "amqtt." in line or "transitions" in line]
    assert not [line for line in demo.lines if "GET /" in line or "Running on" in line]


def test_the_demo_joins_the_broker_iocmqtturl_names_with_its_own_client_id(tmp_path, mosquitto):
    demo = Demo(tmp_path, {"IOC_MQTT_URL": mosquitto.url})
    try:
        demo.wait_serving()
        (broker,) = [line for line in demo.lines if line.startswith("broker")]
        assert mosquitto.url in broker and "IOC_MQTT_URL, already running" in broker
        assert "client id ioc-demo-collector" in broker
        assert demo.stop_with(signal.SIGTERM) == 0
    finally:
        demo.close()
