"""Which tiles the wall screen has: one per KPI of the registry, plus a few live indicators.

Adding a KPI to `ioc.kpis.registry.KPIS` adds a tile: its group, drill-down link and data feed
are the spec's typed metadata (`group`, `drilldown`, `derives_from`), its number format follows
its unit. `HINTS` only tunes how a few KPIs read best on a wall; a KPI without a hint gets the
defaults. A group listed in `WALL_PICK` shows only the KPIs named there (the wall has room for
a few of them; the rest live on the group's drill-down).

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
    # another KPI's value (same scope; window `detail_window` or the tile's) shown under the
    # value, in the words of the label `detail_label` ("{value} được ngăn chặn")
    detail_kpi: str = ""
    detail_window: str = ""
    detail_label: str = ""
    # `extra` counts shown under the value, each as the label `count_<key>` ("2 nghiêm trọng")
    detail_counts: tuple[str, ...] = ()
    window_label: bool = True  # False: the name says the window already ("… hôm nay")


HINTS: dict[str, Hint] = {
    "devices.online": Hint(headline="count_ok"),
    "water.level_vs_alarm": Hint(
        label_extra="label", zero_label="< BĐ1", detail_extra="level_cm", detail_unit="cm"
    ),
    "security.open_incidents": Hint(detail_counts=("critical", "high")),
    "security.malware_today": Hint(
        detail_kpi="security.blocked_share", detail_label="detail_blocked", window_label=False
    ),
    "portal.down": Hint(
        detail_kpi="portal.availability", detail_window="24h", detail_label="detail_available"
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


# The KPI groups the wall shows, in its order.
WALL_GROUPS: tuple[Group, ...] = ("city", "services", "security", "health")
# Groups with more KPIs than the wall has room for: the ones it shows, in this order. Security's
# four tiles carry six KPIs (the blocked share under the detections, the 24-hour availability
# under the portals down); certificates, response time and the times to contain and resolve are
# on /security, and their alerts reach the wall's alert list.
WALL_PICK: dict[Group, tuple[str, ...]] = {
    "security": (
        "security.open_incidents",
        "security.malware_today",
        "security.edr_coverage",
        "portal.down",
    ),
}


def _on_wall(spec: KpiSpec) -> bool:
    return spec.group in WALL_GROUPS and spec.id in WALL_PICK.get(spec.group, (spec.id,))


def catalogue() -> list[TileSpec]:
    """Every tile in wall order: city KPIs, city indicators, then the other groups of
    `WALL_GROUPS` (a picked group in the order of its pick)."""
    picked = {kpi_id: i for ids in WALL_PICK.values() for i, kpi_id in enumerate(ids)}
    kpi_tiles = [
        TileSpec(kpi_key(s.id), s.group, s.drilldown, kpi=s)
        for s in sorted(KPIS.values(), key=lambda s: picked.get(s.id, 0))
        if _on_wall(s)
    ]
    indicators = [
        TileSpec(indicator_key(i.id), "city", i.drilldown, indicator=i) for i in INDICATORS
    ]
    city = [tile for tile in kpi_tiles if tile.group == "city"]
    rest = [tile for tile in kpi_tiles if tile.group != "city"]
    order = {group: i for i, group in enumerate(WALL_GROUPS)}
    return city + indicators + sorted(rest, key=lambda tile: order[tile.group])
