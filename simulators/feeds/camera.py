"""Camera payloads: vehicles, speed, occupancy, queue, people and events per interval.

Wire form (DESIGN.md, "Wire contract"): exactly the keys `ts` (epoch milliseconds, as camera
integrators commonly send), `site`, `interval_s`, `vehicles` {car, motorbike, truck, bus},
`avg_speed_kmh`, `occupancy_pct`, `queue_m`, `people`, `events` [{type, severity}]. Counts are
integers, measures floats rounded to 0.1. Metadata only: never images, never plate numbers.

Each camera's `profile` sets its rhythm:

- urban: motorbike-heavy traffic peaking 6:30–8:00 and 16:30–18:30; pedestrians by day.
- border: the gate works 7:00–19:00; trucks queue by day; `people` counts travellers crossing in
  the interval, summing to the camera's `travellers_per_day` (Tà Lùng ≈ 650).
- tourist: visitors 7:30–17:30, ×1.8 at weekends; `people` is the crowd in view.
- road: light mountain-road traffic.

Events: congestion from occupancy or queue, crowding from people, and rare random incidents
(illegal parking, accidents, wrong-way driving, smoke, tampering).
"""

from __future__ import annotations

import functools
import math
import random
from dataclasses import dataclass
from typing import Any

from simulators import rhythm
from simulators.devices import Camera
from simulators.feeds.base import bad_ts
from simulators.scenarios import Scenario


@dataclass(frozen=True, slots=True)
class Profile:
    """Vehicles per minute at full activity (size 1), capacity in passenger-car units per
    minute, free-flow speed, and people per interval at full activity."""

    motorbike: float
    car: float
    truck: float
    bus: float
    capacity_pcu: float
    free_speed_kmh: float
    people: float


PROFILES: dict[str, Profile] = {
    "urban": Profile(45.0, 12.0, 2.0, 0.8, 45.0, 38.0, 30.0),
    "border": Profile(3.0, 4.0, 8.0, 0.5, 35.0, 15.0, 0.0),
    "tourist": Profile(8.0, 5.0, 0.2, 1.0, 25.0, 20.0, 60.0),
    "road": Profile(10.0, 5.0, 3.0, 0.4, 40.0, 45.0, 2.0),
}
PCU = {"motorbike": 0.3, "car": 1.0, "truck": 2.5, "bus": 2.5}

# Random incidents: (type, severity choices, probability per interval at full activity, profiles)
INCIDENTS: tuple[tuple[str, tuple[str, ...], float, tuple[str, ...]], ...] = (
    ("illegal_parking", ("info",), 0.004, ("urban", "tourist")),
    ("accident", ("warning", "warning", "critical"), 0.00025, ("urban", "road", "border")),
    ("wrong_way", ("warning",), 0.0002, ("urban", "road")),
    ("fire_smoke", ("critical",), 0.00001, ("urban", "road", "tourist", "border")),
    ("camera_tamper", ("warning",), 0.00003, ("urban", "road", "tourist", "border")),
)


def border_activity(h: float) -> float:
    """Gate activity 0–1: open 7:00–19:00, busiest mid-morning and mid-afternoon."""
    is_open = 1 / (1 + math.exp(-(h - 7.0) / 0.15)) / (1 + math.exp(-(19.0 - h) / 0.15))
    return is_open * (0.55 + 0.45 * (rhythm.bump(h, 10.0, 1.5) + rhythm.bump(h, 15.0, 1.5)))


def tourist_activity(h: float) -> float:
    """Visitors 0–1: 7:30–17:30, peaks late morning and early afternoon."""
    is_open = 1 / (1 + math.exp(-(h - 7.5) / 0.4)) / (1 + math.exp(-(17.5 - h) / 0.4))
    return is_open * (0.5 + 0.5 * (rhythm.bump(h, 10.5, 1.5) + rhythm.bump(h, 14.5, 1.5)))


@functools.cache
def _border_hours() -> float:
    """∫ border_activity dh over a day, in hours (to spread travellers_per_day)."""
    steps = 24 * 60
    return sum(border_activity(i / 60) for i in range(steps)) / 60


def _activity(cam: Camera, h: float, weekend: bool) -> float:
    if cam.profile == "border":
        return border_activity(h) * (0.8 if weekend else 1.0)
    if cam.profile == "tourist":
        return tourist_activity(h) * (1.8 if weekend else 1.0)
    return rhythm.traffic(h) * (0.9 if weekend else 1.0)


def _congestion(cam: Camera, occupancy: float, queue_m: float) -> str | None:
    if cam.profile == "border":
        return "critical" if queue_m >= 500 else "warning" if queue_m >= 250 else None
    return "critical" if occupancy >= 92 else "warning" if occupancy >= 80 else None


def payload(
    cam: Camera, t: int, rng: random.Random, scenario: Scenario, progress: float
) -> dict[str, Any]:
    """One interval report of `cam` ending at simulated time `t`."""
    prof = PROFILES[cam.profile]
    dt = rhythm.local(t)
    h = rhythm.hour(dt)
    activity = _activity(cam, h, rhythm.is_weekend(dt))
    crowd = scenario.crowd_factor(cam.site, progress)
    jam = scenario.queue(cam.site, progress)
    scale = cam.size * activity * math.sqrt(crowd) * cam.interval_s / 60
    vehicles = {
        "car": rhythm.poisson(rng, prof.car * scale),
        "motorbike": rhythm.poisson(rng, prof.motorbike * scale),
        "truck": rhythm.poisson(rng, prof.truck * scale),
        "bus": rhythm.poisson(rng, prof.bus * scale),
    }
    pcu = sum(PCU[kind] * n for kind, n in vehicles.items()) * 60 / cam.interval_s
    occupancy = 100.0 * pcu / (prof.capacity_pcu * cam.size)
    if cam.profile == "border":
        queue = activity * (70.0 + 60.0 * cam.size) * math.exp(rng.gauss(0.0, 0.2))
        queue += rng.uniform(0.0, 10.0)  # a few trucks parked at night
        queue = max(queue, jam * rng.uniform(550.0, 800.0))
        occupancy = max(occupancy, jam * rng.uniform(85.0, 97.0))
    else:
        queue = max(0.0, occupancy - 55.0) * 2.5 * math.exp(rng.gauss(0.0, 0.2))
    occupancy = min(98.0, occupancy)
    speed = prof.free_speed_kmh * (1.0 - 0.7 * (occupancy / 100.0) ** 2) * (1.0 - 0.8 * jam)
    speed *= math.exp(rng.gauss(0.0, 0.08))

    if cam.profile == "border":
        per_hour = cam.travellers_per_day * border_activity(h) / _border_hours()
        people = rhythm.poisson(rng, per_hour * cam.interval_s / 3600)
    elif cam.profile == "tourist":
        wet = 1.0 + 0.3 * rhythm.wetness(dt.month)  # waterfalls at their fullest Jun–Sep
        mean = prof.people * cam.size * activity * wet * crowd
        mean = max(mean, (crowd - 1.0) * 60.0 * cam.size)  # a festival crowd even at night
        people = max(0, round(mean * math.exp(rng.gauss(0.0, 0.12))))
    else:
        people = rhythm.poisson(rng, prof.people * cam.size * activity)

    events: list[dict[str, str]] = []
    severity = _congestion(cam, occupancy, queue)
    if severity:
        events.append({"type": "congestion", "severity": severity})
    if cam.crowd_warn and people >= cam.crowd_warn:
        level = "critical" if people >= cam.crowd_crit else "warning"
        events.append({"type": "crowding", "severity": level})
    for kind, severities, chance, profiles in INCIDENTS:
        if cam.profile in profiles and rng.random() < chance * max(activity, 0.05):
            events.append({"type": kind, "severity": rng.choice(severities)})

    return {
        "ts": t * 1000,
        "site": cam.site,
        "interval_s": cam.interval_s,
        "vehicles": vehicles,
        "avg_speed_kmh": round(max(0.0, speed), 1),
        "occupancy_pct": round(max(0.0, occupancy), 1),
        "queue_m": round(queue, 1),
        "people": people,
        "events": events,
    }


# --- the generator interface (simulators.feeds.base) ---------------------------------------------

FEED = "camera"
BAD_KINDS = {"bad_time": "bad_time", "unknown_event_type": "bad_value"}


class Generator:
    def valid(
        self, device: Camera, t: int, rng: random.Random, scenario: Scenario, progress: float
    ) -> tuple[Any, Any]:
        body = payload(device, t, rng, scenario, progress)
        return body, body

    def template(
        self, device: Camera, t: int, rng: random.Random, scenario: Scenario, progress: float
    ) -> Any:
        return payload(device, t, rng, scenario, progress)


def generator(devices: Any) -> Generator:
    return Generator()


def refuses(kind: str, body: Any) -> str | None:
    return None


def mutate(kind: str, body: Any, t: int, rng: random.Random) -> Any:
    if kind == "wrong_type":
        if rng.random() < 0.5:
            body["people"] = str(body["people"])
        else:
            body["vehicles"]["car"] = float(body["vehicles"]["car"])
    elif kind == "unknown_name":
        body["plate"] = "11A-123.45"  # plate numbers must never get in
    elif kind == "bad_time":
        body = bad_ts(body, t, rng)
    elif kind == "unknown_event_type":
        body["events"] = [*body["events"], {"type": "fog", "severity": "info"}]
    return body
