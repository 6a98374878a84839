"""The feed catalogue: what each feed is, its topics, its names and how often it speaks.

This is the one registry of feeds that every package may read (collectors parse with it,
simulators generate from it, dashboards judge staleness with it). The parsing code itself lives in
`collectors/feeds/<feed>.py`; the wire contract is in DESIGN.md.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

TOPIC_ROOT = "ioc"
MAX_PAYLOAD_BYTES = 64 * 1024
SOURCE_ID_RE = re.compile(r"[A-Za-z0-9_-]{1,64}")

# Sensor kinds and their value names (µg/m³ for air, as in the wire contract).
SENSOR_KINDS: dict[str, tuple[str, ...]] = {
    "air": ("pm25", "pm10", "no2", "so2", "co", "o3"),
    "water": ("level_cm", "rain_mm"),
    "weather": ("temp_c", "humidity_pct", "rain_mm", "wind_ms"),
    "noise": ("laeq_db",),
}
# SenML units (RFC 8428 / RFC 8798 names where one exists) accepted for each value name.
SENSOR_UNITS: dict[str, str] = {
    "pm25": "ug/m3",
    "pm10": "ug/m3",
    "no2": "ug/m3",
    "so2": "ug/m3",
    "co": "ug/m3",
    "o3": "ug/m3",
    "level_cm": "cm",
    "rain_mm": "mm",
    "temp_c": "Cel",
    "humidity_pct": "%RH",
    "wind_ms": "m/s",
    "laeq_db": "dB",
}
SENSOR_VALUE_NAMES: frozenset[str] = frozenset(n for ns in SENSOR_KINDS.values() for n in ns)

CAMERA_VEHICLES: tuple[str, ...] = ("car", "motorbike", "truck", "bus")
CAMERA_EVENT_TYPES: tuple[str, ...] = (
    "congestion",
    "accident",
    "wrong_way",
    "illegal_parking",
    "crowding",
    "fire_smoke",
    "camera_tamper",
)
SEVERITIES: tuple[str, ...] = ("info", "warning", "critical")

SERVICEDESK_EVENTS: tuple[str, ...] = ("received", "assigned", "resolved", "rejected", "reopened")
SERVICEDESK_CHANNELS: tuple[str, ...] = ("online_l3", "online_l4", "counter", "hotline_1022", "app")

STATUS_VALUES: tuple[str, ...] = ("online", "offline")


@dataclass(frozen=True, slots=True)
class FeedSpec:
    """What is known about a feed without parsing anything.

    `expected_interval_s` is how often one source of this feed normally speaks; a tile whose data
    is older than that is stale, and a source silent for three intervals is offline.
    `has_district` is False only for `status`, whose topic is `ioc/status/<source_id>`.
    """

    name: str
    measurement: str
    expected_interval_s: float
    has_district: bool = True

    @property
    def topic_filter(self) -> str:
        return f"{TOPIC_ROOT}/{self.name}/#"

    @property
    def deadletter_topic(self) -> str:
        return f"{TOPIC_ROOT}/deadletter/{self.name}"


FEEDS: dict[str, FeedSpec] = {
    f.name: f
    for f in (
        FeedSpec("sensor", "sensor", expected_interval_s=60.0),
        FeedSpec("camera", "camera", expected_interval_s=60.0),
        FeedSpec("servicedesk", "servicedesk", expected_interval_s=900.0),
        FeedSpec("status", "status", expected_interval_s=3600.0, has_district=False),
    )
}
