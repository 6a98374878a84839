"""`BufferedClient`: paho's MQTT client reading the socket in large chunks.

paho reads every packet with at least three `recv()` calls (the command byte, the remaining
length a byte at a time, then the body) and handles one packet per `select()`; at a few hundred
bytes a message that was about half of the collector's CPU. This subclass changes how bytes
come in, never what paho does with them:

- `_sock_recv` serves paho's small reads from a buffer filled by one `recv()` of up to
  `CHUNK` bytes (through paho's own `_sock_recv`, so TLS and error handling stay paho's);
- `loop_read` goes on handling packets while the buffer still holds bytes (`select()` cannot
  see them), but never reads the socket again meanwhile: a partial packet waits, as paho's own
  reads do, so writes (our acknowledgements) and keepalives go out between chunks;
- `_sock_close` drops what is buffered: a new connection starts clean;
- `_handle_publish` skips building a `Properties` object for an MQTT 5 QoS 1 PUBLISH that
  carries none (property length 0, a topic present — we never allow topic aliases); anything
  else is paho's own code. It was ≈ 35 % of the remaining receive CPU;
- `ack_many` acknowledges a stored batch with one queued write (one packet of PUBACKs);
- `publish_many` publishes a batch's dead letters (QoS 1, no properties) as one queued write,
  each kept in paho's outgoing messages exactly as `publish` keeps it (so resent after a
  reconnect, `on_publish` on its PUBACK) — `publish` costs a wake-up write per message;
- `_handle_pubackcomp` skips building a `ReasonCode` and `Properties` for a success PUBACK
  that carries neither (remaining length 2), handing paho's own `_do_on_publish` shared ones.

Delivery is unchanged: paho still decides when a message is complete and what to do with it,
and with `manual_ack` nothing is acknowledged before `ack`/`ack_many`. These are paho's private
methods: the range in pyproject.toml is the one tests/collectors/test_pahobuffered.py checks.
"""

from __future__ import annotations

import struct
from collections.abc import Iterable
from typing import Literal

import paho.mqtt.client as mqtt
from paho.mqtt.enums import MQTTErrorCode
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from paho.mqtt.reasoncodes import ReasonCode

CHUNK = 256 * 1024
_PUBACK = struct.Struct("!BBH")
PUBACK = 0x40
PUBLISH_QOS1 = 0x32
_U16 = struct.Struct("!H")
MESSAGE_SLOTS = frozenset(
    {"_topic", "dup", "info", "mid", "payload", "properties", "qos", "retain", "state", "timestamp"}
)
_SUCCESS = ReasonCode(PacketTypes.PUBACK, "Success")
_NO_PROPERTIES = Properties(PacketTypes.PUBACK)  # type: ignore[no-untyped-call]


def _remaining_length(n: int) -> bytes:
    out = bytearray()
    while True:
        byte, n = n % 128, n // 128
        out.append(byte | 0x80 if n else byte)
        if not n:
            return bytes(out)


# The private parts of paho this module relies on (checked by its test).
PRIVATE = (
    "_sock_recv",
    "_sock_close",
    "_handle_publish",
    "_packet_queue",
    "_handle_on_message",
    "_handle_pubackcomp",
    "_do_on_publish",
    "_mid_generate",
)


class BufferedClient(mqtt.Client):
    def __init__(self, *args: object, **kwargs: object) -> None:
        self._rbuf = b""
        self._rpos = 0
        self._buffer_only = False
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]

    # -- reads --------------------------------------------------------------------------------

    def _sock_recv(self, bufsize: int) -> bytes:
        if self._rpos >= len(self._rbuf):
            if self._buffer_only:
                raise BlockingIOError  # paho keeps the partial packet and resumes later
            data = super()._sock_recv(CHUNK)
            if len(data) <= bufsize:
                return data  # also b"" (connection closed)
            self._rbuf, self._rpos = data, 0
        start = self._rpos
        end = start + bufsize
        self._rpos = end
        return self._rbuf[start:end]

    def loop_read(self, max_packets: int = 1) -> MQTTErrorCode:
        rc = super().loop_read(max_packets)
        self._buffer_only = True
        try:
            while rc == MQTTErrorCode.MQTT_ERR_SUCCESS and self.buffered:
                rc = super().loop_read(max_packets)
        finally:
            self._buffer_only = False
        return rc

    @property
    def buffered(self) -> int:
        """Bytes read from the socket and not handed to paho yet."""
        return max(0, len(self._rbuf) - self._rpos)

    def _sock_close(self) -> None:
        self._rbuf, self._rpos = b"", 0
        super()._sock_close()

    def _handle_publish(self) -> MQTTErrorCode:
        header = self._in_packet["command"]
        packet = self._in_packet["packet"]
        if self._protocol == mqtt.MQTTv5 and header & 0x06 == 0x02 and len(packet) >= 6:
            tlen = (packet[0] << 8) | packet[1]
            at = 2 + tlen  # packet id, then the property length (one byte when 0)
            if tlen and len(packet) >= at + 3 and packet[at + 2] == 0:
                message = mqtt.MQTTMessage(
                    mid=(packet[at] << 8) | packet[at + 1], topic=bytes(packet[2:at])
                )
                message.dup = bool(header & 0x08)
                message.qos = 1
                message.retain = bool(header & 0x01)
                message.properties = None
                message.payload = bytes(packet[at + 3 :])
                message.timestamp = mqtt.time_func()
                self._handle_on_message(message)
                if self._manual_ack:
                    return MQTTErrorCode.MQTT_ERR_SUCCESS
                return self._send_puback(message.mid)
        return super()._handle_publish()

    # -- acknowledgements ---------------------------------------------------------------------

    def ack_many(self, mids: Iterable[int]) -> None:
        """PUBACK every QoS 1 message id, in order, as one write."""
        packet = b"".join([_PUBACK.pack(PUBACK, 2, mid) for mid in mids])
        if packet:
            self._packet_queue(PUBACK, packet, 0, 0)

    def _handle_pubackcomp(self, cmd: Literal["PUBACK", "PUBCOMP"]) -> MQTTErrorCode:
        packet = self._in_packet["packet"]
        if cmd == "PUBACK" and len(packet) == 2:  # a packet id only: success (3.1.1 and 5)
            with self._out_message_mutex:
                mid = (packet[0] << 8) | packet[1]
                if mid in self._out_messages:
                    return self._do_on_publish(mid, _SUCCESS, _NO_PROPERTIES)
            return MQTTErrorCode.MQTT_ERR_SUCCESS
        return super()._handle_pubackcomp(cmd)

    # -- publishing ---------------------------------------------------------------------------

    def publish_many(self, messages: Iterable[tuple[str, bytes]]) -> MQTTErrorCode:
        """Publish each (topic, payload) at QoS 1, not retained, without properties, as one
        queued write. Disconnected: kept to be sent on reconnect (`MQTT_ERR_NO_CONN`)."""
        property_length = b"\x00" if self._protocol == mqtt.MQTTv5 else b""
        parts: list[bytes] = []
        # One MQTTMessageInfo for the call (each builds a threading.Condition: the biggest
        # cost left per dead letter); paho only marks it published on each PUBACK.
        info = mqtt.MQTTMessageInfo(0)
        with self._out_message_mutex:
            connected = self._sock is not None
            for topic, payload in messages:
                encoded = topic.encode()
                mid = self._mid_generate()
                message = object.__new__(mqtt.MQTTMessage)  # MESSAGE_SLOTS, all set here
                message.mid, message._topic, message.payload = mid, encoded, payload
                message.timestamp, message.info, message.properties = mqtt.time_func(), info, None
                message.qos, message.retain, message.dup = 1, False, False
                self._out_messages[mid] = message
                if not connected:
                    message.state = mqtt.mqtt_ms_publish
                    continue
                self._inflight_messages += 1
                message.state = mqtt.mqtt_ms_wait_for_puback
                body = len(encoded) + 4 + len(property_length) + len(payload)
                parts += (
                    bytes((PUBLISH_QOS1,)) + _remaining_length(body),
                    _U16.pack(len(encoded)) + encoded + _U16.pack(mid) + property_length,
                    payload,
                )
        if not connected:
            return MQTTErrorCode.MQTT_ERR_NO_CONN
        if parts:
            # QoS 1 in the command: paho's writer calls on_publish only for QoS 0 packets
            return self._packet_queue(PUBLISH_QOS1, b"".join(parts), 0, 1)
        return MQTTErrorCode.MQTT_ERR_SUCCESS
