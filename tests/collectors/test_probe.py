"""`ioc probe` against local HTTP and HTTPS servers the test starts (a certificate made here):
up, slow, 500, connection refused, certificate expiring; then through real MQTT, storage and the
KPI engine, the availability KPI is the share of checks up."""

from __future__ import annotations

import http.server
import ssl
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import trustme

from collectors.collector import Collector
from collectors.probe import Prober, Target, check, load_targets
from ioc.devservices import free_port, wait_until
from ioc.errors import ConfigError
from ioc.live.redis import RedisLiveState
from ioc.storage.influx import InfluxStorage
from tests.helpers import EngineThread, settings_from_env


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        if self.path == "/slow":
            time.sleep(0.3)
        if self.path == "/error":
            self.send_response(500)
        elif self.path == "/moved":
            self.send_response(302)
            self.send_header("Location", "/ok")
        elif self.path == "/away":
            self.send_response(302)
            self.send_header("Location", "http://portal.invalid/")
        else:
            self.send_response(200)
        body = b"<html>Cao Bang</html>"
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


def serve(context: ssl.SSLContext | None = None) -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    if context is not None:
        server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    scheme = "https" if context else "http"
    host = "localhost" if context else "127.0.0.1"
    try:
        yield f"{scheme}://{host}:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def http_url() -> Iterator[str]:
    yield from serve()


@pytest.fixture
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture
def https_url(ca: trustme.CA) -> Iterator[str]:
    cert = ca.issue_cert("localhost", not_after=datetime.now(UTC) + timedelta(days=5, hours=1))
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    cert.configure_cert(context)
    yield from serve(context)


@pytest.fixture
def ca_file(ca: trustme.CA, tmp_path: Path) -> str:
    path = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(path))
    return str(path)


def target(url: str, site: str = "cong-thu", **kw: object) -> Target:
    return Target(site, "hoa-an", url, **kw)  # type: ignore[arg-type]


def test_up_slow_error_and_refused(http_url: str) -> None:
    ok = check(target(f"{http_url}/ok"))
    assert (ok["up"], ok["status"]) == (True, 200) and "tls_days_left" not in ok
    assert ok["url"] == f"{http_url}/ok" and ok["response_ms"] > 0
    slow = check(target(f"{http_url}/slow"))
    assert slow["up"] and slow["response_ms"] >= 300
    error = check(target(f"{http_url}/error"))
    assert (error["up"], error["status"]) == (False, 500) and "500" in error["error"]
    refused = check(target(f"http://127.0.0.1:{free_port()}/"), timeout_s=2)
    assert refused["up"] is False and "status" not in refused and "response_ms" not in refused
    assert "Connect" in refused["error"] and len(refused["error"]) <= 200


def test_redirects_are_followed_on_site_only(http_url: str) -> None:
    moved = check(target(f"{http_url}/moved"))
    assert (moved["up"], moved["status"]) == (True, 200)
    away = check(target(f"{http_url}/away"))
    assert (away["up"], away["status"]) == (True, 302)  # its answer, never the other site's


def test_certificate_days_left(https_url: str, ca_file: str) -> None:
    result = check(target(f"{https_url}/ok", ca_file=ca_file))
    assert (result["up"], result["status"]) == (True, 200)
    assert result["tls_days_left"] == 5
    untrusted = check(target(f"{https_url}/ok"))  # certifi does not know the test's CA
    assert untrusted["up"] is False and "CERTIFICATE_VERIFY_FAILED" in untrusted["error"]


def test_a_bad_targets_file_names_the_entry(tmp_path: Path) -> None:
    path = tmp_path / "targets.toml"
    path.write_text('[[target]]\nsite = "a"\ndistrict = "tra-linh"\nurl = "https://x/"\n')
    with pytest.raises(ConfigError, match="target 1: district 'tra-linh'"):
        load_targets(path)
    path.write_text('[[target]]\nsite = "a"\ndistrict = "hoa-an"\nurl = "ftp://x/"\n')
    with pytest.raises(ConfigError, match="not an http"):
        load_targets(path)
    path.write_text(
        '[[target]]\nsite = "cong-hoa-an"\ndistrict = "hoa-an"\nurl = "https://hoaan.gov.vn/"\n'
        'name = "Cổng Hòa An"\n'
    )
    assert load_targets(path) == [
        Target("cong-hoa-an", "hoa-an", "https://hoaan.gov.vn/", "Cổng Hòa An")
    ]


@pytest.mark.services
def test_probe_to_availability_kpi(
    http_url: str, mosquitto, influxdb, influx_db, redis_url
) -> None:
    env = {
        "IOC_MQTT_URL": mosquitto.url,
        "IOC_INFLUX_URL": influxdb.url,
        "IOC_INFLUX_TOKEN": "test",
        "IOC_INFLUX_BUCKET": influx_db,
        "IOC_REDIS_URL": redis_url,
    }
    settings = settings_from_env(env)

    def influx() -> InfluxStorage:
        return InfluxStorage(settings.influx_url, "test", "ioc", settings.influx_bucket)

    storage, live = influx(), RedisLiveState(settings.redis_url)
    targets = [
        target(f"{http_url}/ok", "probe-ok"),
        target(f"{http_url}/error", "probe-error"),
        target(f"http://127.0.0.1:{free_port()}/", "probe-refused"),
    ]
    collector = Collector(settings, storage, live)
    collector.start()
    assert collector.transport.wait_connected(10)
    try:
        with EngineThread(settings, influx(), RedisLiveState(settings.redis_url)):
            prober = Prober(settings.mqtt, "ioc-prober-test", targets, interval_s=0.2, timeout_s=2)
            prober.run(rounds=2)
            assert prober.published == 6

            def availability() -> dict[str, float | None]:
                kpis = [v for v in live.kpis()[1] if v["id"] == "portal.availability"]
                return {v["scope"]: v["value"] for v in kpis if v["window"] == "24h"}

            shares = wait_until(
                lambda: (
                    (a := availability()).get("province") is not None
                    and a["province"] == pytest.approx(100 / 3)
                    and a
                ),
                timeout=30,
                message="availability never reached 2 of 6 checks up",
            )
            assert shares["source:probe-ok"] == 100.0
            assert shares["source:probe-error"] == 0.0
            assert shares["source:probe-refused"] == 0.0
            down = {
                v["scope"]: v["value"]
                for v in live.kpis()[1]
                if v["id"] == "portal.down" and v["scope"].startswith("source:")
            }
            assert down == {
                "source:probe-ok": 0,
                "source:probe-error": 2,
                "source:probe-refused": 2,
            }
    finally:
        collector.stop()
        storage.close()
        live.close()


@pytest.mark.services
def test_ioc_probe_serves_metrics_and_stops_on_sigterm(http_url: str, mosquitto, tmp_path) -> None:
    import os
    import signal
    import subprocess
    import sys
    import urllib.request

    targets = tmp_path / "targets.toml"
    targets.write_text(
        f'[[target]]\nsite = "probe-ok"\ndistrict = "hoa-an"\nurl = "{http_url}/ok"\n\n'
        f'[[target]]\nsite = "probe-error"\ndistrict = "hoa-an"\nurl = "{http_url}/error"\n'
    )
    port = free_port()
    env = {**os.environ, "IOC_MQTT_URL": mosquitto.url, "IOC_METRICS_PORT": str(port)}
    process = subprocess.Popen(
        [sys.executable, "-m", "ioc.cli", "probe", "--targets", str(targets), "--interval", "0.3"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )

    def scrape(path: str) -> str:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=2) as r:
                return str(r.read().decode())
        except OSError:
            return ""

    try:
        wait_until(
            lambda: (
                'ioc_probe_checks_total{outcome="down",site="probe-error"} 2.0'
                in scrape("/metrics")
                or 'ioc_probe_checks_total{outcome="down",site="probe-error"} 3.0'
                in scrape("/metrics")
            ),
            timeout=30,
            message="the prober's metrics never counted the failed checks",
        )
        text = scrape("/metrics")
        assert 'ioc_probe_checks_total{outcome="up",site="probe-ok"}' in text
        assert "ioc_probe_response_seconds_bucket" in text and "process_cpu_seconds_total" in text
        assert "broker" in scrape("/readyz")
    finally:
        process.send_signal(signal.SIGTERM)
        output, _ = process.communicate(timeout=30)
    assert process.returncode == 0, output
    assert "stopped after" in output
