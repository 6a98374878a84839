"""Scenarios: what happens to the province during a run, as a function of the run's progress.

`progress` goes from 0 at the start of the run to 1 at its end (the fraction of the messages
sent when the run has a known length; otherwise simulated time modulo `period_s`), so a short
test run and a day-long demo see the same arc.

    normal        an ordinary day: only the daily and seasonal rhythms
    flood         heavy rain over one district (default the city): its gauges rise past BĐ1,
                  BĐ2 and BĐ3 during the first half of the run and fall back below BĐ1 by 85 %
    border-queue  the Tà Lùng gate jams: queue of several hundred metres, congestion events
    festival      crowds at Bản Giốc (people ×5, crowding events), busier Ngườm Ngao and roads
    malware-outbreak  several agencies of one district (default the city) hit by one malware:
                  detections ×10 while the arc lasts, an incident per agency opened in the first
                  quarter, contained in the second half, resolved near the end
    portal-outage one district's portal (default Hòa An's) down for 20 minutes: from 40 % of
                  the run for a sixth of it (the scenario's period is two hours)

    get_scenario(name, flood_district=None) -> Scenario
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from ioc.places import DISTRICTS

NORMAL, FLOOD, BORDER_QUEUE, FESTIVAL = "normal", "flood", "border-queue", "festival"
MALWARE_OUTBREAK, PORTAL_OUTAGE = "malware-outbreak", "portal-outage"
DEFAULT_OUTAGE_SITE = "cong-hoa-an"
OUTAGE_START, OUTAGE_LENGTH = 0.4, 1 / 6
DEFAULT_FLOOD_DISTRICT = "thanh-pho-cao-bang"

# Flood arc in "alarm stages": 0 = the gauge's usual level, 1 = BĐ1, 2 = BĐ2, 3 = BĐ3.
FLOOD_PEAK_STAGE = 3.4
FLOOD_END_STAGE = 0.3
FLOOD_RAIN_MM_H = 70.0


def _ramp(x: float, x0: float, x1: float) -> float:
    """0 before x0, 1 after x1, linear between."""
    if x <= x0:
        return 0.0
    if x >= x1:
        return 1.0
    return (x - x0) / (x1 - x0)


@dataclass(frozen=True, slots=True)
class Scenario:
    """A named set of disturbances. Sites are camera sites, districts are district slugs."""

    name: str
    description: str
    flood_district: str | None = None
    queue_sites: tuple[str, ...] = ()
    festival_sites: tuple[str, ...] = ()
    busy_sites: tuple[str, ...] = ()  # sites near a festival: people ×2.5
    outbreak_district: str | None = None
    outage_sites: tuple[str, ...] = ()  # portal site ids that go down
    period_s: int = 6 * 3600

    def arc(self, progress: float) -> float:
        """0 → 1 over the first 15 % of the run, 1 until 70 %, back to 0 by 90 %."""
        return min(_ramp(progress, 0.0, 0.15), 1.0 - _ramp(progress, 0.7, 0.9))

    def flood_stage(self, progress: float) -> float:
        """The flood's level in alarm stages: flat 0, rising to 3.4 (above BĐ3) at 40 %, held
        to 50 %, falling to 0.3 (below BĐ1) at 85 %, then flat."""
        if self.flood_district is None:
            return 0.0
        if progress < 0.5:
            return FLOOD_PEAK_STAGE * _ramp(progress, 0.05, 0.40)
        fall = _ramp(progress, 0.5, 0.85)
        return FLOOD_PEAK_STAGE + (FLOOD_END_STAGE - FLOOD_PEAK_STAGE) * fall

    def flood_rain_mm_h(self, district: str, progress: float) -> float:
        """Extra rain intensity: a downpour over the flood district while the river rises."""
        if self.flood_district is None:
            return 0.0
        shape = min(_ramp(progress, 0.0, 0.05), 1.0 - _ramp(progress, 0.35, 0.55))
        return FLOOD_RAIN_MM_H * shape * (1.0 if district == self.flood_district else 0.15)

    def floods(self, district: str) -> bool:
        return district == self.flood_district

    def queue(self, site: str, progress: float) -> float:
        """0–1 strength of the border-gate jam at this site."""
        return self.arc(progress) if site in self.queue_sites else 0.0

    def crowd_factor(self, site: str, progress: float) -> float:
        """Multiplier on people counted at this site (5 at the festival's height)."""
        if site in self.festival_sites:
            return 1.0 + 4.0 * self.arc(progress)
        if site in self.busy_sites:
            return 1.0 + 1.5 * self.arc(progress)
        return 1.0

    def outbreak_hits(self, district: str, progress: float) -> bool:
        """Whether the malware outbreak is raging in `district` now."""
        return district == self.outbreak_district and self.arc(progress) > 0.5

    def portal_down(self, site: str, progress: float) -> bool:
        """Whether the portal `site` is down now (portal-outage)."""
        return site in self.outage_sites and (
            OUTAGE_START <= progress < OUTAGE_START + OUTAGE_LENGTH
        )


SCENARIOS: dict[str, Scenario] = {
    s.name: s
    for s in (
        Scenario(NORMAL, "an ordinary day: daily and seasonal rhythms only"),
        Scenario(
            FLOOD,
            "heavy rain; the district's gauges rise past BĐ1, BĐ2, BĐ3 and fall back below BĐ1",
            flood_district=DEFAULT_FLOOD_DISTRICT,
        ),
        Scenario(
            BORDER_QUEUE,
            "Tà Lùng border gate congested: queues of several hundred metres",
            queue_sites=("ta-lung-border-gate",),
        ),
        Scenario(
            FESTIVAL,
            "festival at Bản Giốc waterfall: crowds ×5, busy roads nearby",
            festival_sites=("ban-gioc-waterfall",),
            busy_sites=("nguom-ngao-cave",),
        ),
        Scenario(
            MALWARE_OUTBREAK,
            "malware outbreak: several agencies of the city hit, incidents opened and contained",
            outbreak_district=DEFAULT_FLOOD_DISTRICT,
        ),
        Scenario(
            PORTAL_OUTAGE,
            "a district's web portal down for 20 minutes",
            outage_sites=(DEFAULT_OUTAGE_SITE,),
            period_s=2 * 3600,
        ),
    )
}


def get_scenario(name: str, *, flood_district: str | None = None) -> Scenario:
    """The scenario called `name`; `flood_district` moves the flood (flood scenario only)."""
    try:
        scenario = SCENARIOS[name]
    except KeyError:
        raise ValueError(
            f"unknown scenario {name!r}; expected one of {', '.join(SCENARIOS)}"
        ) from None
    if flood_district is not None:
        if flood_district not in DISTRICTS:
            raise ValueError(f"unknown district {flood_district!r}")
        if scenario.name != FLOOD:
            raise ValueError("flood_district applies to the flood scenario only")
        scenario = replace(scenario, flood_district=flood_district)
    return scenario
