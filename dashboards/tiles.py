"""Which tiles the wall screen has: one per KPI of the registry, plus a few live indicators.

Adding a KPI to `ioc.kpis.registry.KPIS` adds a tile: its group, drill-down page, data feed and
number format are inferred from the spec (id prefix, unit, `derives_from`). `HINTS` only tunes
how a few KPIs read best on a wall; a KPI without a hint gets the defaults.

Live indicators are values the wall shows straight from the latest readings (no KPI formula):
mean temperature, heaviest rain, loudest noise.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from ioc.feeds import FEEDS
from ioc.kpis.registry import KPIS
from ioc.kpis.spec import KpiSpec

Group = Literal["city", "services", "health"]
Headline = Literal["scope", "count_ok"]
PAGES: tuple[str, ...] = ("environment", "traffic", "services", "devices")

_GROUP_BY_PREFIX: dict[str, Group] = {
    "servicedesk": "services",
    "devices": "health",
    "feeds": "health",
}
_PAGE_BY_FEED = {"sensor": "environment", "camera": "traffic", "servicedesk": "services"}
_PAGE_BY_PREFIX = {"devices": "devices", "feeds": "devices"}
_DECIMALS_BY_UNIT = {"AQI": 0, "/100": 0, "m": 0, "tickets": 0, "people": 0, "BĐ": 2, "": 0}


@dataclass(frozen=True, slots=True)
class Hint:
    """How one KPI reads best on the wall (all optional)."""

    headline: Headline = "scope"  # "count_ok": show "n/m normal" over the scopes instead
    label_extra: str = ""  # show this `extra` key (e.g. "BĐ2") instead of the number
    zero_label: str = ""  # shown when label_extra is empty
    detail_extra: str = ""  # an `extra` key shown under the value, with detail_unit
    detail_unit: str = ""


HINTS: dict[str, Hint] = {
    "devices.online": Hint(headline="count_ok"),
    "water.level_vs_alarm": Hint(
        label_extra="label", zero_label="< BĐ1", detail_extra="level_cm", detail_unit="cm"
    ),
}


@dataclass(frozen=True, slots=True)
class Indicator:
    """A live value computed from the latest readings of one sensor kind."""

    id: str
    kind: str
    field: str
    aggregate: Literal["mean", "max"]
    unit: str
    decimals: int
    page: str = "environment"


INDICATORS: tuple[Indicator, ...] = (
    Indicator("temperature", "weather", "temp_c", "mean", "°C", 1),
    Indicator("rain", "weather", "rain_mm", "max", "mm", 1),
    Indicator("noise", "noise", "laeq_db", "max", "dB", 0),
)


@dataclass(frozen=True, slots=True)
class Derivation:
    """Where a KPI's numbers come from, read from its `derives_from` text."""

    measurement: str | None  # None: several feeds (device health)
    kind: str | None = None  # sensor kind
    site: str | None = None  # camera site


@dataclass(frozen=True, slots=True)
class TileSpec:
    key: str
    group: Group
    page: str
    kpi: KpiSpec | None = None
    indicator: Indicator | None = None

    @property
    def hint(self) -> Hint:
        return HINTS.get(self.kpi.id, Hint()) if self.kpi else Hint()

    @property
    def feed_interval_s(self) -> float | None:
        """The expected interval of the feed behind the tile (None: several feeds)."""
        if self.indicator is not None:
            return FEEDS["sensor"].expected_interval_s
        measurement = derivation(self.kpi).measurement if self.kpi else None
        return FEEDS[measurement].expected_interval_s if measurement else None


_MEASUREMENT_RE = re.compile(r"measurement (\w+)")
_KIND_RE = re.compile(r"kind (\w+)")
_SITE_RE = re.compile(r"site ([a-z0-9-]+)")


def derivation(spec: KpiSpec) -> Derivation:
    # "measurement X: …" at the start names the one feed; a KPI over several feeds has none.
    m = _MEASUREMENT_RE.match(spec.derives_from)
    measurement = m.group(1) if m and m.group(1) in FEEDS else None
    kind = _KIND_RE.search(spec.derives_from)
    site = _SITE_RE.search(spec.derives_from)
    return Derivation(measurement, kind.group(1) if kind else None, site.group(1) if site else None)


def decimals(unit: str) -> int:
    return _DECIMALS_BY_UNIT.get(unit, 1)


def kpi_group(spec: KpiSpec) -> Group:
    return _GROUP_BY_PREFIX.get(spec.id.split(".", 1)[0], "city")


def kpi_page(spec: KpiSpec) -> str:
    prefix = spec.id.split(".", 1)[0]
    if prefix in _PAGE_BY_PREFIX:
        return _PAGE_BY_PREFIX[prefix]
    measurement = derivation(spec).measurement
    return _PAGE_BY_FEED.get(measurement or "", "devices")


def kpi_key(kpi_id: str) -> str:
    return f"kpi:{kpi_id}"


def indicator_key(indicator_id: str) -> str:
    return f"ind:{indicator_id}"


def catalogue() -> list[TileSpec]:
    """Every tile in wall order: city KPIs, city indicators, services, health."""
    kpi_tiles = [TileSpec(kpi_key(s.id), kpi_group(s), kpi_page(s), kpi=s) for s in KPIS.values()]
    indicators = [TileSpec(indicator_key(i.id), "city", i.page, indicator=i) for i in INDICATORS]
    city = [tile for tile in kpi_tiles if tile.group == "city"]
    rest = [tile for tile in kpi_tiles if tile.group != "city"]
    order = {"services": 0, "health": 1}
    return city + indicators + sorted(rest, key=lambda tile: order[tile.group])
