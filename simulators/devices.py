"""The kinds of simulated device: sensors, cameras and one-stop service desks.

Every device is a frozen dataclass with `feed`, `district`, `source_id`, `lat`/`lon` and
`interval_s` (how often it speaks, in simulated seconds), plus what its feed needs: a sensor's
`kind`, a camera's `site`, a desk's services. `topic` is its wire-contract topic
`ioc/<feed>/<district>/<source_id>` and `status_topic` its `ioc/status/<source_id>`.
The province's actual devices are listed in `simulators.city`. `Device` is what they all have:
a new feed may bring its own device class in its generator module.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Protocol

from ioc.feeds import FEEDS, TOPIC_ROOT
from ioc.feeds.sensor import SENSOR_KINDS


def _topic(feed: str, district: str, source_id: str) -> str:
    return f"{TOPIC_ROOT}/{feed}/{district}/{source_id}"


def _status_topic(source_id: str) -> str:
    return f"{TOPIC_ROOT}/{FEEDS['status'].name}/{source_id}"


class Topics:
    """`topic` and `status_topic` of a device dataclass with `feed`, `district`, `source_id`
    (for the devices the feed generator modules declare themselves)."""

    __slots__ = ()
    feed: ClassVar[str]
    district: str
    source_id: str

    @property
    def topic(self) -> str:
        return _topic(self.feed, self.district, self.source_id)

    @property
    def status_topic(self) -> str:
        return _status_topic(self.source_id)


@dataclass(frozen=True, slots=True)
class AlarmLevels:
    """Flood alarm levels of a water gauge (báo động 1, 2, 3), in cm on the gauge scale."""

    bd1: float
    bd2: float
    bd3: float


@dataclass(frozen=True, slots=True)
class Sensor(Topics):
    """An environmental sensor. `urban` (0 rural … 1 city centre) scales traffic pollution."""

    feed: ClassVar[str] = "sensor"
    district: str
    source_id: str
    kind: str
    name_vi: str
    lat: float
    lon: float
    interval_s: int = 60
    names: tuple[str, ...] = ()  # value names it measures; () = all of its kind
    senml: bool = False  # sends SenML (RFC 8428) instead of the JSON object form
    urban: float = 0.2
    elevation_m: float = 250.0
    river: str = ""
    base_cm: float = 0.0
    alarm: AlarmLevels | None = None

    @property
    def value_names(self) -> tuple[str, ...]:
        return self.names or SENSOR_KINDS[self.kind]


@dataclass(frozen=True, slots=True)
class Camera(Topics):
    """A traffic/crowd camera reporting counts per interval. `profile` picks its daily rhythm:
    urban, border (a border gate), tourist, road. `size` scales its volumes; `crowd_warn`/
    `crowd_crit` are the people counts that raise a crowding event (0 = never)."""

    feed: ClassVar[str] = "camera"
    district: str
    source_id: str
    site: str
    name_vi: str
    lat: float
    lon: float
    profile: str
    interval_s: int = 60
    size: float = 1.0
    travellers_per_day: float = 0.0  # border gates: people crossing per day
    crowd_warn: int = 0
    crowd_crit: int = 0


@dataclass(frozen=True, slots=True)
class Service:
    """A public service (thủ tục hành chính) or a hotline ticket type, with its legal time limit
    in working days and the channels it can come through; `weight` is its relative demand."""

    slug: str
    name_vi: str
    working_days: int
    channels: tuple[str, ...]
    weight: float = 1.0


@dataclass(frozen=True, slots=True)
class ServiceDesk(Topics):
    """A district's one-stop desk (bộ phận một cửa). `dossiers_per_day`: dossiers on a working
    day over all channels but the hotline; `hotline_per_day`: 1022 tickets per day."""

    feed: ClassVar[str] = "servicedesk"
    district: str
    source_id: str
    name_vi: str
    lat: float
    lon: float
    dossiers_per_day: float
    hotline_per_day: float
    online_share: float  # share of dossiers arriving online (L3/L4 portal or app)
    services: tuple[Service, ...]
    interval_s: int = 30


class Device(Protocol):
    """What every simulated device has, whatever its feed (a new feed's generator module may
    declare its own device class and its `DEVICES`; see `simulators.city.all_devices`)."""

    @property
    def feed(self) -> str: ...
    @property
    def district(self) -> str: ...
    @property
    def source_id(self) -> str: ...
    @property
    def name_vi(self) -> str: ...
    @property
    def lat(self) -> float: ...
    @property
    def lon(self) -> float: ...
    @property
    def interval_s(self) -> int: ...
    @property
    def topic(self) -> str: ...
    @property
    def status_topic(self) -> str: ...
