"""Which tiles the wall screen has: one per KPI of the registry, plus a few live indicators.

Adding a KPI to `ioc.kpis.registry.KPIS` adds a tile: its group, drill-down link and data feed
are the spec's typed metadata (`group`, `drilldown`, `derives_from`), its number format follows
its unit. `HINTS` only tunes how a few KPIs read best on a wall; a KPI without a hint gets the
defaults.

Live indicators are values the wall shows straight from the latest readings (no KPI formula):
mean temperature, heaviest rain, loudest noise.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from ioc.feeds import FEEDS
from ioc.kpis.drilldown import href
from ioc.kpis.registry import KPIS
from ioc.kpis.spec import Drilldown, Group, KpiSpec, KpiValue

Headline = Literal["scope", "count_ok"]
PAGES: tuple[str, ...] = ("environment", "traffic", "services", "security", "devices")

_DECIMALS_BY_UNIT = {
    "AQI": 0,
    "/100": 0,
    "m": 0,
    "tickets": 0,
    "people": 0,
    "BĐ": 2,
    "": 0,
    "incidents": 0,
    "detections": 0,
    "portals": 0,
    "ms": 0,
}


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
    decimals: int

    @property
    def unit(self) -> str:
        """The field's display unit, as the sensor schema declares it."""
        return FEEDS["sensor"].schema.field(self.field).unit

    @property
    def drilldown(self) -> Drilldown:
        return Drilldown("/environment", {"kind": self.kind, "field": self.field})


INDICATORS: tuple[Indicator, ...] = (
    Indicator("temperature", "weather", "temp_c", "mean", 1),
    Indicator("rain", "weather", "rain_mm", "max", 1),
    Indicator("noise", "noise", "laeq_db", "max", 0),
)


@dataclass(frozen=True, slots=True)
class TileSpec:
    key: str
    group: Group
    drilldown: Drilldown
    kpi: KpiSpec | None = None
    indicator: Indicator | None = None

    @property
    def page(self) -> str:
        """The drill-down page's name (`traffic` for `/traffic`)."""
        return self.drilldown.page.strip("/")

    @property
    def hint(self) -> Hint:
        return HINTS.get(self.kpi.id, Hint()) if self.kpi else Hint()

    @property
    def feed_interval_s(self) -> float | None:
        """The expected interval of the feed behind the tile (None: several feeds)."""
        if self.indicator is not None:
            return FEEDS["sensor"].expected_interval_s
        feed = self.kpi.derives_from.feed if self.kpi else None
        return FEEDS[feed].expected_interval_s if feed in FEEDS else None

    def href(
        self, value: KpiValue | Mapping[str, Any] | None = None, keep: str | Mapping[str, str] = ""
    ) -> str:
        """The tile's drill-down link, narrowed to the scope of the value it shows."""
        return href(self.drilldown, value, keep)


def decimals(unit: str) -> int:
    return _DECIMALS_BY_UNIT.get(unit, 1)


def kpi_key(kpi_id: str) -> str:
    return f"kpi:{kpi_id}"


def indicator_key(indicator_id: str) -> str:
    return f"ind:{indicator_id}"


# The KPI groups the wall shows. "security" (An toàn thông tin) is not on it yet: its ten tiles do
# not fit beside the others at 1920×1080 without a new layout; its KPIs are computed, alerted on
# and shown on /security.
WALL_GROUPS: tuple[Group, ...] = ("city", "services", "health")


def catalogue() -> list[TileSpec]:
    """Every tile in wall order: city KPIs, city indicators, services, health."""
    kpi_tiles = [
        TileSpec(kpi_key(s.id), s.group, s.drilldown, kpi=s)
        for s in KPIS.values()
        if s.group in WALL_GROUPS
    ]
    indicators = [
        TileSpec(indicator_key(i.id), "city", i.drilldown, indicator=i) for i in INDICATORS
    ]
    city = [tile for tile in kpi_tiles if tile.group == "city"]
    rest = [tile for tile in kpi_tiles if tile.group != "city"]
    order = {group: i for i, group in enumerate(WALL_GROUPS)}
    return city + indicators + sorted(rest, key=lambda tile: order[tile.group])
