"""MQTT transport on paho-mqtt 2.x: hands raw messages over, acknowledges when told to.

- VERSION2 callbacks always (without them paho 2.2 silently uses the old ones).
- QoS 1, persistent session (MQTT 5: clean_start=False plus a session expiry; 3.1.1:
  clean_session=False), `manual_ack=True`: a message is acknowledged only by `ack()`, which the
  pipeline calls after the write succeeded, in the order the messages arrived.
- Re-subscribes on every connect; reconnects with capped backoff; stops on bad credentials.
- Retained messages only for a new subscription (MQTT 5 retain handling 1), so a reconnecting
  collector does not store every device's retained status again.
- Reads in large chunks and acknowledges a batch with one write (collectors/pahobuffered.py).
- Acks carry the connection they came from: after a reconnect the broker redelivers what was
  not acknowledged, and an old packet id must not acknowledge a new message.

This module knows topics and bytes, never payload formats or storage.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from paho.mqtt.reasoncodes import ReasonCode
from paho.mqtt.subscribeoptions import SubscribeOptions

from collectors.pahobuffered import BufferedClient
from ioc.errors import BrokerAuthError, BrokerError
from ioc.model import Message
from ioc.mqtttls import apply_tls
from ioc.settings import MqttAddress

log = logging.getLogger(__name__)

SESSION_EXPIRY_S = 7 * 24 * 3600
# Reason codes (MQTT 5, and 3.1.1 return codes 4/5 as paho maps them) that retrying cannot fix.
_AUTH_FAILURES = frozenset(
    {"Bad user name or password", "Not authorized", "Client identifier not valid"}
)


class MqttTransport:
    """One persistent-session connection that delivers `Message`s to `on_message`."""

    def __init__(
        self,
        address: MqttAddress,
        client_id: str,
        topic_filters: Sequence[str],
        on_message: Callable[[Message], None],
        *,
        protocol: str = "5",
        receive_maximum: int = 10_000,
        keepalive_s: int = 30,
        persistent: bool = True,
        publish_window: int = 10_000,
        publish_wait_s: float = 5.0,
    ) -> None:
        self.address = address
        self.topic_filters = list(topic_filters)
        self._on_message_cb = on_message
        self._v5 = protocol == "5"
        self._receive_maximum = max(1, min(receive_maximum, 65_535))
        self._keepalive_s = keepalive_s
        self._persistent = persistent
        self._epoch = 0
        self._connected = threading.Event()
        self._fatal: BrokerError | None = None
        self._stopping = False
        self._lock = threading.Lock()
        # Our own QoS 1 publishes (dead letters) the broker has not acknowledged yet.
        self._window = publish_window
        self._publish_wait_s = publish_wait_s
        self._unacked = 0
        # A full window waits until this many are left unacknowledged (a quarter's room).
        self._resume_at = publish_window - max(1, publish_window // 4)
        self._shedding = False
        self._room = threading.Condition()
        self._flushed = threading.Event()
        self._flush_mid: int | None = None
        self._flush_filter = f"ioc/flush/{client_id}"
        self.client = BufferedClient(
            CallbackAPIVersion.VERSION2,
            client_id=client_id,
            protocol=mqtt.MQTTv5 if self._v5 else mqtt.MQTTv311,
            clean_session=None if self._v5 else not persistent,
            manual_ack=True,
        )
        if address.username:
            self.client.username_pw_set(address.username, address.password)
        apply_tls(self.client, address)
        self.client.reconnect_delay_set(min_delay=1, max_delay=30)
        # Our own publishes (dead letters) are bounded by `publish` (`publish_window`, at most
        # 60,000: paho's 16-bit message ids would wrap past 65,535 outstanding and silently
        # replace queued messages), so paho's own limits are off: with an in-flight limit paho
        # rescans every message it holds on each PUBACK — in a burst of 50,000 rejections that
        # was most of the collector's CPU. Mosquitto acknowledges QoS 1 at once, whatever its
        # receive maximum; against a broker that enforces one, keep IOC_DEADLETTER_INFLIGHT
        # at or below it.
        self.client.max_inflight_messages_set(0)
        self.client.max_queued_messages_set(0)
        self.client.on_connect = self._on_connect
        self.client.on_disconnect = self._on_disconnect
        self.client.on_message = self._on_message
        self.client.on_subscribe = self._on_subscribe
        self.client.on_publish = self._on_publish
        self.client.on_unsubscribe = self._on_unsubscribe

    # -- lifecycle --------------------------------------------------------------------------

    def start(self) -> None:
        properties = None
        if self._v5:
            properties = Properties(PacketTypes.CONNECT)  # type: ignore[no-untyped-call]
            properties.SessionExpiryInterval = SESSION_EXPIRY_S if self._persistent else 0
            properties.ReceiveMaximum = self._receive_maximum
        self.client.connect_async(
            self.address.host,
            self.address.port,
            keepalive=self._keepalive_s,
            clean_start=not self._persistent,  # MQTT 5 only; 3.1.1 uses clean_session above
            properties=properties,
        )
        self.client.loop_start()

    def wait_connected(self, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.raise_if_fatal()
            if self._connected.wait(0.05):
                return True
        return False

    def raise_if_fatal(self) -> None:
        if self._fatal is not None:
            raise self._fatal

    @property
    def epoch(self) -> int:
        """How many times we have connected; messages carry the epoch that delivered them."""
        return self._epoch

    @property
    def connected(self) -> bool:
        """Connected and subscribed."""
        return self._connected.is_set()

    def stop(self, flush_s: float = 5.0) -> None:
        """Disconnect once the broker has taken our last acknowledgements (or after `flush_s`).

        Closing a socket with messages still arriving sends a TCP reset, and the broker drops
        what it had not read yet — acknowledgements included (then redelivered: never lost, but
        stored again). So first an UNSUBSCRIBE of a filter we never subscribe: the broker
        handles a client's packets in order, so its UNSUBACK means every earlier PUBACK was
        handled."""
        self._stopping = True
        if self.connected:
            self._flushed.clear()
            rc, self._flush_mid = self.client.unsubscribe(self._flush_filter)
            if rc == mqtt.MQTT_ERR_SUCCESS and not self._flushed.wait(flush_s):
                log.warning("broker did not confirm our last acknowledgements in %.0f s", flush_s)
        self.client.disconnect()
        self.client.loop_stop()
        self._connected.clear()

    # -- acknowledgements and publishing ----------------------------------------------------

    def ack(self, messages: Sequence[Message]) -> int:
        """Acknowledge messages (in order); those from an earlier connection are skipped, the
        broker redelivers them. Returns how many were acknowledged."""
        with self._lock:
            epoch = self._epoch
        mids = [m.mid for m in messages if m.epoch == epoch and m.qos == 1]
        self.client.ack_many(mids)  # one write for the batch
        acked = len(mids)
        for message in messages:
            if message.epoch == epoch and message.qos == 2:
                self.client.ack(message.mid, message.qos)
                acked += 1
        return acked

    def publish(self, topic: str, payload: bytes) -> bool:
        """`publish_many` of one message: False when it was shed."""
        return self.publish_many([(topic, payload)]) == 1

    def publish_many(self, messages: Sequence[tuple[str, bytes]]) -> int:
        """Publish at QoS 1, back-pressured, as few writes as room allows: while
        `publish_window` of our publishes await the broker's acknowledgement, wait up to
        `publish_wait_s` for room. Returns how many (the first ones) were published; the rest
        were shed (the broker took none in that time; then nothing more waits until room frees
        up) — the caller counts them, nothing is dropped silently."""
        taken = 0
        while taken < len(messages):
            with self._room:
                if self._unacked >= self._window:
                    if self._shedding:
                        return taken
                    deadline = time.monotonic() + self._publish_wait_s
                    while self._unacked > self._resume_at:
                        left = deadline - time.monotonic()
                        if left <= 0 or self._stopping:
                            self._shedding = True
                            log.warning(
                                "%d dead letters unacknowledged by the broker for %.1f s: shedding",
                                self._unacked,
                                self._publish_wait_s,
                            )
                            return taken
                        self._room.wait(left)
                chunk = messages[taken : taken + self._window - self._unacked]
                self._unacked += len(chunk)
            rc = self.client.publish_many(chunk)
            # NO_CONN: kept by paho, sent when we are connected again (they count as unacked).
            if rc not in (mqtt.MQTT_ERR_SUCCESS, mqtt.MQTT_ERR_NO_CONN):
                with self._room:
                    self._unacked -= len(chunk)
                log.warning("dead letters not published: %s", mqtt.error_string(rc))
                return taken
            taken += len(chunk)
        return taken

    @property
    def unacked_publishes(self) -> int:
        return self._unacked

    # -- paho callbacks (network thread) ----------------------------------------------------

    def _on_connect(
        self,
        client: mqtt.Client,
        userdata: object,
        flags: mqtt.ConnectFlags,
        reason_code: ReasonCode,
        properties: Properties | None,
    ) -> None:
        if reason_code.is_failure:
            name = reason_code.getName()
            if name in _AUTH_FAILURES:
                self._fatal = BrokerAuthError(
                    f"MQTT broker {self.address.host}:{self.address.port} refused us: {name}"
                )
                log.error("%s — not retrying", self._fatal)
                client.disconnect()
            else:
                log.warning("MQTT connect refused: %s; retrying", name)
            return
        with self._lock:
            self._epoch += 1
        options = SubscribeOptions(qos=1, retainHandling=SubscribeOptions.RETAIN_SEND_IF_NEW_SUB)
        if self._v5:
            client.subscribe([(f, options) for f in self.topic_filters])
        else:
            client.subscribe([(f, 1) for f in self.topic_filters])
        log.info(
            "connected to MQTT %s:%d (session present: %s), subscribed to %s",
            self.address.host,
            self.address.port,
            flags.session_present,
            ", ".join(self.topic_filters),
        )

    def _on_subscribe(
        self,
        client: mqtt.Client,
        userdata: object,
        mid: int,
        reason_codes: list[ReasonCode],
        properties: Properties | None,
    ) -> None:
        refused = [
            f"{topic} ({code.getName()})"
            for topic, code in zip(self.topic_filters, reason_codes, strict=False)
            if code.is_failure
        ]
        if refused:
            log.error("broker refused subscriptions: %s", ", ".join(refused))
        self._connected.set()  # subscribed: from now on nothing published is missed

    def _on_disconnect(
        self,
        client: mqtt.Client,
        userdata: object,
        flags: mqtt.DisconnectFlags,
        reason_code: ReasonCode,
        properties: Properties | None,
    ) -> None:
        if self._connected.is_set() and not self._stopping:
            log.warning("MQTT connection lost (%s); reconnecting", reason_code.getName())
        self._connected.clear()

    def _on_publish(
        self,
        client: mqtt.Client,
        userdata: object,
        mid: int,
        reason_code: ReasonCode,
        properties: Properties | None,
    ) -> None:
        with self._room:
            self._unacked = max(0, self._unacked - 1)
            if self._unacked < self._window // 2:
                self._shedding = False
            if self._unacked <= self._resume_at:  # a full window waits for a quarter's room
                self._room.notify_all()

    def _on_unsubscribe(
        self,
        client: mqtt.Client,
        userdata: object,
        mid: int,
        reason_codes: list[ReasonCode],
        properties: Properties | None,
    ) -> None:
        if mid == self._flush_mid:
            self._flushed.set()

    def _on_message(self, client: mqtt.Client, userdata: object, msg: mqtt.MQTTMessage) -> None:
        self._on_message_cb(
            Message(
                topic=msg.topic,
                payload=bytes(msg.payload),
                received_ns=time.time_ns(),
                retain=bool(msg.retain),
                mid=msg.mid,
                qos=msg.qos,
                epoch=self._epoch,
            )
        )
