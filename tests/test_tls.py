"""MQTT over TLS on real Mosquitto: its TLS listener (beside the plain one, as in production)
with a CA and server certificate made here with `cryptography` (`ioc.tls`); a device publishes
through it verifying the broker, the collector subscribes through `mqtts://` with
IOC_MQTT_CA_FILE, the simulator publishes through it; a client that does not trust the CA is
refused."""

from __future__ import annotations

import socket
import ssl
import time
from collections.abc import Iterator

import orjson
import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from collectors.collector import Collector
from ioc.check import run_checks
from ioc.devservices import Mosquitto, wait_until
from ioc.settings import load_settings
from ioc.tls import ensure_certificates, make_ca
from simulators.publisher import SimConfig, run_simulation
from tests.broker import DEVICE_A, deploy_broker
from tests.helpers import EVERYTHING, SIM_START

pytestmark = pytest.mark.services


@pytest.fixture
def certs(tmp_path):
    folder = tmp_path / "tls"
    written = ensure_certificates(folder, ["localhost", "127.0.0.1"])
    assert set(written) == {"ca.crt", "ca.key", "broker.crt", "broker.key", "dashboard.crt",
                            "dashboard.key"}  # fmt: skip
    assert ensure_certificates(folder, ["localhost"]) == []  # existing files are kept
    return folder


@pytest.fixture
def tls_broker(tmp_path, certs) -> Iterator[Mosquitto]:
    with Mosquitto(tmp_path / "mosquitto", tls=(certs / "broker.crt", certs / "broker.key")) as m:
        yield m


def tls_settings(broker, certs, **overrides):
    return load_settings(
        mqtt_url=broker.tls_url, mqtt_ca_file=str(certs / "ca.crt"), mqtt_client_id="tls-test",
        data_dir=str(certs.parent / "data"), batch_wait_ms=20, **overrides,
    )  # fmt: skip


def test_a_device_publishes_through_the_tls_listener_and_the_collector_stores_it(
    tls_broker, certs, sqlite_storage, memory_live
):
    settings = tls_settings(tls_broker, certs)
    assert settings.mqtt.tls and settings.mqtt.port == tls_broker.tls_port
    collector = Collector(settings, sqlite_storage, memory_live)
    collector.start()
    try:
        assert collector.transport.wait_connected(15)
        device = mqtt.Client(CallbackAPIVersion.VERSION2, "t-air-tls", protocol=mqtt.MQTTv5)
        device.tls_set(ca_certs=str(certs / "ca.crt"))  # verifies the broker and its name
        device.connect("localhost", tls_broker.tls_port)
        device.loop_start()
        try:
            payload = {"ts": int(time.time() * 1000), "kind": "air", "values": {"pm25": 12.5}}
            info = device.publish("ioc/sensor/hoa-an/t-air-tls", orjson.dumps(payload), qos=1)
            info.wait_for_publish(10)
        finally:
            device.loop_stop()
            device.disconnect()
        wait_until(
            lambda: memory_live.counters().get("stored:sensor") == 1,
            timeout=20,
            message=f"the reading sent over TLS was not stored {memory_live.counters()}",
        )
        row = sqlite_storage.records("sensor", EVERYTHING, limit=10).iloc[0]
        assert row["source"] == "t-air-tls" and row["pm25"] == 12.5
        assert next(r.ok for r in run_checks(settings)) is True  # `ioc check` over TLS too
    finally:
        collector.stop()


def test_the_simulator_publishes_through_mqtts(tls_broker, certs):
    cfg = SimConfig(
        mqtt_url=tls_broker.tls_url, mqtt_ca_file=str(certs / "ca.crt"), start=SIM_START,
        rate=5000, count=300, device_status=False,
    )  # fmt: skip
    assert sum(run_simulation(cfg).sent.values()) == 300


def test_a_client_that_does_not_trust_the_ca_is_refused(tls_broker, certs, tmp_path):
    (tmp_path / "other-ca.crt").write_bytes(make_ca("another CA").cert_pem())

    def handshake(cafile: str | None, host: str = "localhost") -> None:
        context = ssl.create_default_context(cafile=cafile)
        address = ("127.0.0.1", tls_broker.tls_port)
        with (
            socket.create_connection(address, timeout=10) as raw,
            context.wrap_socket(raw, server_hostname=host),
        ):
            pass

    handshake(str(certs / "ca.crt"))  # our CA: the handshake completes
    for cafile in (str(tmp_path / "other-ca.crt"), None):  # another CA; the system's CAs
        with pytest.raises(ssl.SSLCertVerificationError):
            handshake(cafile)
    with pytest.raises(ssl.SSLCertVerificationError):  # a name the certificate does not carry
        handshake(str(certs / "ca.crt"), host="broker.example")


def test_the_production_broker_config_adds_its_tls_listener_for_devices(tmp_path, certs):
    """deploy/mosquitto/start.sh with the broker certificate in the TLS folder (as the `certs`
    service leaves it): the same broker also listens with TLS; a device logs in with its own
    password and publishes its own topic through it, an anonymous client is refused."""
    with deploy_broker(tmp_path / "deploy", tls_dir=certs) as deploy:
        text = deploy.config.read_text(encoding="utf-8")
        assert (
            "listener 8883" in text and "certfile" in text
        )  # as generated, before the test's ports
        port = deploy.broker.tls_port
        name, feed, district = DEVICE_A
        device = mqtt.Client(CallbackAPIVersion.VERSION2, name, protocol=mqtt.MQTTv5)
        device.username_pw_set(name, deploy.passwords[name])
        device.tls_set(ca_certs=str(certs / "ca.crt"))
        acks: list[str] = []
        device.on_publish = lambda c, u, mid, rc, p: acks.append(str(rc))
        device.connect("localhost", port)
        device.loop_start()
        try:
            device.publish(f"ioc/{feed}/{district}/{name}", b"{}", qos=1).wait_for_publish(10)
            device.publish(f"ioc/{feed}/{district}/other", b"{}", qos=1).wait_for_publish(10)
            wait_until(lambda: len(acks) == 2, timeout=10, message="no PUBACKs over TLS")
            # accepted (nobody subscribes here: "No matching subscribers"), then refused
            assert acks[0] in ("Success", "No matching subscribers") and acks[1] == "Not authorized"
        finally:
            device.loop_stop()
            device.disconnect()
        anonymous = mqtt.Client(CallbackAPIVersion.VERSION2, "anon", protocol=mqtt.MQTTv5)
        anonymous.tls_set(ca_certs=str(certs / "ca.crt"))
        refused: list[str] = []
        anonymous.on_connect = lambda c, u, f, rc, p: refused.append(str(rc))
        anonymous.connect("localhost", port)
        anonymous.loop_start()
        try:
            wait_until(lambda: refused, timeout=10, message="no CONNACK over TLS")
            assert refused == ["Not authorized"]
        finally:
            anonymous.loop_stop()
            anonymous.disconnect()
