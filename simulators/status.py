"""Device presence: one lightweight MQTT connection per device for `ioc/status/<source_id>`.

Each device's connection sets `offline` (retained, QoS 1) as its Last Will, so the broker
announces the device offline if the simulator dies; on every connect it publishes `online`
(retained, QoS 1). A clean disconnect does not fire the will, so `stop()` publishes `offline`
retained explicitly and waits for the broker's acknowledgement before disconnecting.
Data messages do not go through these connections (the publisher has its own).

    DeviceStatus(address, devices, ...).start(timeout)    connect all, wait for every `online`
    .stop(timeout)                                        `offline` for all, then disconnect
    .sent                                                 status messages acknowledged so far
"""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion, MQTTProtocolVersion

from ioc.errors import BrokerAuthError, BrokerError
from ioc.mqtttls import apply_tls
from ioc.settings import MqttAddress
from simulators.devices import Device

ONLINE, OFFLINE = b"online", b"offline"
AUTH_FAILURES = frozenset({"Bad user name or password", "Not authorized"})


def make_client(address: MqttAddress, client_id: str, protocol: MQTTProtocolVersion) -> mqtt.Client:
    """A paho 2.x client (VERSION2 callbacks) with the address's credentials and TLS."""
    client = mqtt.Client(
        CallbackAPIVersion.VERSION2,
        client_id=client_id,
        protocol=protocol,
        clean_session=True if protocol != mqtt.MQTTv5 else None,
    )
    if address.username is not None:
        client.username_pw_set(address.username, address.password)
    apply_tls(client, address)
    return client


def connect_error(reason_code: Any) -> BrokerError:
    """Our error for a refused CONNACK: bad credentials cannot be helped by retrying."""
    text = str(reason_code)
    if text in AUTH_FAILURES:
        return BrokerAuthError(f"the broker refused the credentials: {text}")
    return BrokerError(f"the broker refused the connection: {text}")


@dataclass
class _Device:
    source_id: str
    topic: str
    client: mqtt.Client
    acked: set[str] = field(default_factory=set)  # "online", "offline"


class DeviceStatus:
    """The retained online/offline status of every device, one connection each."""

    def __init__(
        self,
        address: MqttAddress,
        devices: Sequence[Device],
        *,
        client_prefix: str,
        protocol: MQTTProtocolVersion = mqtt.MQTTv5,
        keepalive_s: int = 60,
        device_logins: bool = False,
    ) -> None:
        """`device_logins`: each device logs in as its own user (its source id) with the
        address's password, as on the production broker, which ties client ids to users."""
        self._address = address
        self._keepalive = keepalive_s
        self._cond = threading.Condition()
        self._error: BrokerError | None = None
        self._phase = "online"
        self.sent = 0
        self._devices = [
            _Device(
                d.source_id,
                d.status_topic,
                make_client(
                    replace(address, username=d.source_id) if device_logins else address,
                    f"{client_prefix}-{d.source_id}",
                    protocol,
                ),
            )
            for d in devices
        ]

    def start(self, timeout: float) -> None:
        """Connect every device and wait until each `online` is acknowledged."""
        for dev in self._devices:
            client = dev.client
            client.user_data_set(dev)
            client.will_set(dev.topic, OFFLINE, qos=1, retain=True)
            client.on_connect = self._on_connect
            client.on_publish = self._on_publish
            client.connect_async(self._address.host, self._address.port, self._keepalive)
            client.loop_start()
        self._wait("online", timeout)

    def stop(self, timeout: float) -> None:
        """Publish `offline` (retained) for every device, wait for the acks of those that were
        online, disconnect."""
        with self._cond:
            self._phase = "offline"
        try:
            for dev in self._devices:
                dev.client.publish(dev.topic, OFFLINE, qos=1, retain=True)
            self._wait("offline", timeout)
        finally:
            for dev in self._devices:
                dev.client.disconnect()
            for dev in self._devices:
                dev.client.loop_stop()

    def _wait(self, what: str, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                if self._error is not None:
                    raise self._error
                missing = [
                    d.source_id
                    for d in self._devices
                    if what not in d.acked and (what == "online" or "online" in d.acked)
                ]
                if not missing:
                    return
                left = deadline - time.monotonic()
                if left <= 0:
                    raise BrokerError(
                        f"no acknowledgement of {what!r} status within {timeout:g} s for "
                        f"{len(missing)} device(s), e.g. {missing[0]}"
                    )
                self._cond.wait(min(left, 0.5))

    def _on_connect(
        self, client: mqtt.Client, dev: _Device, flags: Any, rc: Any, props: Any
    ) -> None:
        if rc.is_failure:
            with self._cond:
                self._error = connect_error(rc)
                self._cond.notify_all()
            client.disconnect()
            return
        client.publish(dev.topic, ONLINE, qos=1, retain=True)

    def _on_publish(self, client: mqtt.Client, dev: _Device, mid: int, rc: Any, props: Any) -> None:
        with self._cond:
            if rc.is_failure:
                return
            self.sent += 1
            dev.acked.add(self._phase)
            self._cond.notify_all()
