"""The data model shared by collectors, storage, live state and dashboards.

A `Reading` is one point of the system of record: a measurement (named after its feed), a
timestamp in epoch nanoseconds, string tags (always `district` and `source`, plus low-cardinality
feed tags) and typed fields. A field keeps one Python type forever: measured values are `float`,
counts are `int`, identifiers are `str`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

FieldValue = float | int | str | bool

NS_PER_MS = 1_000_000
NS_PER_S = 1_000_000_000


@dataclass(frozen=True, slots=True)
class Reading:
    measurement: str
    time_ns: int
    tags: Mapping[str, str]
    fields: Mapping[str, FieldValue]

    @property
    def source(self) -> str:
        return self.tags["source"]

    @property
    def district(self) -> str:
        return self.tags["district"]

    @property
    def time_ms(self) -> int:
        return self.time_ns // NS_PER_MS

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able form, used by golden samples and the live state."""
        return {
            "measurement": self.measurement,
            "time_ns": self.time_ns,
            "tags": dict(self.tags),
            "fields": dict(self.fields),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Reading:
        return cls(
            measurement=data["measurement"],
            time_ns=int(data["time_ns"]),
            tags=dict(data["tags"]),
            fields=dict(data["fields"]),
        )


@dataclass(frozen=True, slots=True)
class Message:
    """One MQTT message as the transport hands it over: bytes, never parsed here."""

    topic: str
    payload: bytes
    received_ns: int
    retain: bool = False
    mid: int = 0
    qos: int = 0
    epoch: int = 0  # which connection delivered it (acks from an old connection are void)


# A rejection keeps at most this much of the refused payload, topic and detail: the dead-letter
# topic and stream show an integrator what was sent without holding 64 KiB per bad message (or a
# 60 KB topic: the broker lets a topic be as long as its packet). So one dead letter is at most
# DEADLETTER_ENTRY_MAX bytes of text, and the stream's total is bounded in bytes too.
DEADLETTER_PAYLOAD_MAX = 2048
DEADLETTER_TOPIC_MAX = 256
DEADLETTER_DETAIL_MAX = 512
DEADLETTER_ENTRY_MAX = DEADLETTER_PAYLOAD_MAX + DEADLETTER_TOPIC_MAX + DEADLETTER_DETAIL_MAX + 256


@dataclass(frozen=True, slots=True)
class Rejection:
    """A message that could not be used, with the reason it was refused (its payload, topic and
    detail cut to `DEADLETTER_PAYLOAD_MAX`, `DEADLETTER_TOPIC_MAX` and `DEADLETTER_DETAIL_MAX`;
    build it with `Rejection.of`)."""

    feed: str
    topic: str
    reason: str
    detail: str
    payload: bytes
    received_ns: int
    extra: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def of(
        cls, feed: str, topic: str, reason: str, detail: str, payload: bytes, received_ns: int
    ) -> Rejection:
        """A rejection with everything cut to its cap (a cut says how long the original was)."""
        return cls(
            feed=feed,
            topic=_cut(topic, DEADLETTER_TOPIC_MAX),
            reason=reason,
            detail=_cut(detail, DEADLETTER_DETAIL_MAX),
            payload=payload[:DEADLETTER_PAYLOAD_MAX],
            received_ns=received_ns,
        )


def _cut(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    note = f"… ({len(text):,} characters)"
    return text[: limit - len(note)] + note
