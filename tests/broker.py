"""The production broker in tests: deploy/mosquitto/start.sh's config on the real Mosquitto, and a
small recording MQTT client (shared by tests/test_compose.py and tests/faults/)."""

from __future__ import annotations

import os
import shutil
import subprocess
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.subscribeoptions import SubscribeOptions

from ioc.devservices import Mosquitto, wait_until
from ioc.mqttauth import (
    DYNSEC_NAME,
    add_device,
    hash_password,
    read_passwd,
    render_dynsec,
    write_passwd,
)
from ioc.sources import load_sources

ROOT = Path(__file__).resolve().parents[1]
DEPLOY = ROOT / "deploy" / "mosquitto"
COLLECTOR_PASSWORD = "c0llect0r"
SIMULATOR_PASSWORD = "s1mulat0r"
AUDITOR = ("auditor", "au")  # test only: may read every topic
# Two catalogued devices (ioc/data/sources.toml): user name = source id.
DEVICE_A = ("air-nuoc-hai", "sensor", "hoa-an")
DEVICE_B = ("bang-giang-bridge", "camera", "thanh-pho-cao-bang")


class Client:
    """A paho MQTT 5 client that records what happens to it."""

    def __init__(
        self,
        port: int,
        user: str | None = None,
        password: str | None = None,
        *,
        client_id: str = "",
        clean_start: bool = True,
        wait: bool = True,
    ) -> None:
        self.received: list[tuple[str, bytes]] = []
        self.acks: dict[int, str] = {}
        self.connack: str | None = None
        self.disconnects: list[str] = []
        self.suback: list[str] = []
        self.lock = threading.Lock()
        self.client = mqtt.Client(
            CallbackAPIVersion.VERSION2, client_id=client_id, protocol=mqtt.MQTTv5
        )
        if user is not None:
            self.client.username_pw_set(user, password)
        self.client.on_connect = self._on_connect
        self.client.on_disconnect = self._on_disconnect
        self.client.on_message = self._on_message
        self.client.on_publish = self._on_publish
        self.client.on_subscribe = self._on_subscribe
        self.client.connect("127.0.0.1", port, clean_start=clean_start)
        self.client.loop_start()
        if wait:
            wait_until(lambda: self.connack is not None, timeout=10, message="no CONNACK")

    def _on_connect(self, client, userdata, flags, reason_code, properties) -> None:  # type: ignore[no-untyped-def]
        self.connack = str(reason_code)
        if reason_code.is_failure:
            client.disconnect()  # no reconnecting

    def _on_disconnect(self, client, userdata, flags, reason_code, properties) -> None:  # type: ignore[no-untyped-def]
        self.disconnects.append(str(reason_code))

    def _on_message(self, client, userdata, message) -> None:  # type: ignore[no-untyped-def]
        with self.lock:
            self.received.append((message.topic, bytes(message.payload)))

    def _on_publish(self, client, userdata, mid, reason_code, properties) -> None:  # type: ignore[no-untyped-def]
        self.acks[mid] = str(reason_code)

    def _on_subscribe(self, client, userdata, mid, reason_codes, properties) -> None:  # type: ignore[no-untyped-def]
        self.suback = [str(code) for code in reason_codes]

    def subscribe(self, *filters: str) -> list[str]:
        self.suback = []
        self.client.subscribe([(f, SubscribeOptions(qos=1)) for f in filters])
        wait_until(lambda: self.suback, timeout=10, message="no SUBACK")
        return self.suback

    def publish(self, topic: str, payload: bytes) -> str:
        """Publish at QoS 1; the reason code of the broker's PUBACK."""
        mid = self.client.publish(topic, payload, qos=1).mid
        return wait_until(lambda: self.acks.get(mid), timeout=10, message=f"no PUBACK {topic}")

    def topics(self) -> list[str]:
        with self.lock:
            return [topic for topic, _ in self.received]

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


def prepare_deploy(
    tmp_path: Path, *, simulator: bool = True, devices: bool = True, tls_dir: Path | None = None
) -> tuple[Path, dict[str, str]]:
    """A copy of deploy/mosquitto with DEVICE_A and DEVICE_B added the `ioc devices add` way and
    the test-only auditor; start.sh run on it. Returns (broker config, device passwords)."""
    deploy = tmp_path / "deploy"
    shutil.copytree(DEPLOY, deploy)
    sources = load_sources()
    added = (DEVICE_A, DEVICE_B) if devices else ()
    passwords = {sid: add_device(deploy, sources, sid) for sid, _, _ in added}
    entries = read_passwd(deploy / "passwd")
    entries[AUDITOR[0]] = hash_password(AUDITOR[1])
    write_passwd(deploy / "passwd", entries)
    with (deploy / "acl").open("a", encoding="utf-8") as acl:
        acl.write(f"\n# test only\nuser {AUDITOR[0]}\ntopic read #\n")
    auditor = {AUDITOR[0]: [("read", "#")]}
    (deploy / DYNSEC_NAME).write_text(render_dynsec(sources, auditor), encoding="utf-8")
    config = run_start_sh(deploy, tmp_path / "run", simulator=simulator, tls_dir=tls_dir)
    return config, passwords


def run_start_sh(
    deploy: Path, run_dir: Path, *, simulator: bool = False, tls_dir: Path | None = None
) -> Path:
    """deploy/mosquitto/start.sh --prepare-only on `deploy` (with the broker certificate in
    `tls_dir`, if given: then the config has the TLS listener too); returns the broker config."""
    env = {
        "PATH": os.environ["PATH"],
        "MOSQUITTO_BASE_CONF": str(ROOT / "mosquitto.conf"),
        "MOSQUITTO_DEPLOY_DIR": str(deploy),
        "MOSQUITTO_RUN_DIR": str(run_dir),
        "MQTT_COLLECTOR_PASSWORD": COLLECTOR_PASSWORD,
        "MQTT_SIMULATOR_PASSWORD": SIMULATOR_PASSWORD if simulator else "",
        "MOSQUITTO_TLS_DIR": str(tls_dir or run_dir / "no-tls"),
    }
    subprocess.run(
        ["sh", str(DEPLOY / "start.sh"), "--prepare-only"], env=env, check=True, timeout=60
    )
    return run_dir / "mosquitto.conf"


@contextmanager
def deploy_broker(
    tmp_path: Path, *, simulator: bool = True, devices: bool = True, tls_dir: Path | None = None
) -> Iterator[DeployBroker]:
    """`devices=False`: no device has its own password, so the simulator logs them all in.
    `tls_dir`: the broker's certificate there adds the production TLS listener (`tls_port`)."""
    config, passwords = prepare_deploy(
        tmp_path, simulator=simulator, devices=devices, tls_dir=tls_dir
    )
    broker = Mosquitto(tmp_path / "broker", conf=config)
    try:
        broker.start()
        yield DeployBroker(broker, config, passwords)
    finally:
        broker.close()


class DeployBroker:
    def __init__(self, broker: Mosquitto, config: Path, passwords: Mapping[str, str]) -> None:
        self.broker = broker
        self.config = config
        self.passwords = dict(passwords)

    @property
    def port(self) -> int:
        return self.broker.port

    def url(self, user: str, password: str) -> str:
        return f"mqtt://{user}:{password}@127.0.0.1:{self.port}"

    def device(self, source_id: str, **kwargs: object) -> Client:
        return Client(self.port, source_id, self.passwords[source_id], **kwargs)  # type: ignore[arg-type]
