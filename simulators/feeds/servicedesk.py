"""Service-desk payloads: the lifecycle of public-service dossiers and 1022 hotline tickets.

Wire form (DESIGN.md, "Wire contract"): `{"ts": "<RFC 3339, +07:00>", "ticket_id":
"CB-2026-000123", "event": ..., "service": ..., "channel": ..., "due": "<RFC 3339>"}`, plus
`satisfaction` (1–5) on some `resolved` events. Every event of a ticket repeats its service,
channel and due time, so each message stands on its own.

A ticket arrives (`received`) through a channel with its own hours — the counter only in office
hours (Mon–Fri 7:30–11:30, 13:30–17:00), the L3/L4 portals and the app at any time (mostly by
day), the 1022 hotline 24/7 — and is due at 17:00 after its service's legal number of working
days. Staff then `assign` it (in office hours; hotline operators at once), and `resolve` it in
office hours (1022 hotline tickets at any hour: the operators work around the clock), on time
≈ 90 % of the time, or `reject` it (≈ 5 %); ≈ 3 % of resolved tickets are `reopened` and
resolved again. Satisfaction is mostly 4–5, lower when late. During a flood the flooded
district's hotline gets many more calls, mostly disaster reports.

A desk checks in every `interval_s` simulated seconds and says at most one thing: the oldest
event that has come due, else (perhaps) a new arrival; `step` returns None when it has nothing.
"""

from __future__ import annotations

import functools
import heapq
import random
from typing import Any

from simulators import rhythm
from simulators.devices import Service, ServiceDesk
from simulators.feeds.base import bad_ts
from simulators.scenarios import Scenario

REJECT_RATE = 0.05
ON_TIME_RATE = 0.9
REOPEN_RATE = 0.03
SATISFACTION_SHARE = 0.7
SATISFACTION_ON_TIME = (2, 3, 8, 32, 55)  # weights of 1..5
SATISFACTION_LATE = (10, 15, 30, 30, 15)
ONLINE_CHANNELS = {"online_l4": 0.5, "online_l3": 0.3, "app": 0.2}
OFFICE_HOURS_PER_DAY = 7.5
MAX_TICKET_NUMBER = 999_999


class TicketBook:
    """Ticket numbers of one run, `CB-<year>-<6 digits>`, unique across all desks."""

    def __init__(self, first: int = 1) -> None:
        self._next = first

    def issue(self, year: int) -> str:
        number = self._next
        self._next = self._next % MAX_TICKET_NUMBER + 1
        return f"CB-{year}-{number:06d}"


@functools.cache
def _day_integral(floor: float) -> float:
    """∫ (floor + daytime(h)) dh over a day, in hours."""
    return sum(floor + rhythm.daytime(i / 60) for i in range(24 * 60)) / 60


def _weighted(rng: random.Random, items: list[Any], weights: list[float]) -> Any:
    return rng.choices(items, weights=weights, k=1)[0]


class DeskSimulator:
    """One desk's state: the events planned for its open tickets, in time order."""

    def __init__(self, desk: ServiceDesk, tickets: TicketBook) -> None:
        self.desk = desk
        self._tickets = tickets
        self._pending: list[tuple[int, int, dict[str, Any]]] = []
        self._seq = 0

    @property
    def planned(self) -> int:
        """Events planned but not yet said."""
        return len(self._pending)

    def step(
        self, t: int, rng: random.Random, scenario: Scenario, progress: float
    ) -> dict[str, Any] | None:
        """What the desk says at simulated time `t`, or None."""
        if self._pending and self._pending[0][0] <= t:
            _, _, body = heapq.heappop(self._pending)
            return {"ts": rhythm.rfc3339(t), **body}
        return self._arrival(t, rng, scenario, progress)

    # --- arrivals -------------------------------------------------------------------------------

    def rates_per_hour(self, t: int, scenario: Scenario, progress: float) -> dict[str, float]:
        """Arrival rates at `t` by route: counter, online (portals and app), hotline."""
        desk = self.desk
        dt = rhythm.local(t)
        h = rhythm.hour(dt)
        weekend = rhythm.is_weekend(dt)
        counter = 0.0
        if rhythm.in_office_hours(dt):
            per_hour = desk.dossiers_per_day * (1 - desk.online_share) / OFFICE_HOURS_PER_DAY
            counter = per_hour * (1.15 if h < 12 else 0.85)
        online = desk.dossiers_per_day * desk.online_share * (0.15 + rhythm.daytime(h))
        online /= _day_integral(0.15)
        online *= 0.3 if weekend else 1.0
        hotline = desk.hotline_per_day * (0.25 + rhythm.daytime(h)) / _day_integral(0.25)
        if scenario.floods(desk.district):
            hotline *= 1.0 + 3.0 * scenario.flood_stage(progress)
        return {"counter": counter, "online": online, "hotline": hotline}

    def _arrival(
        self, t: int, rng: random.Random, scn: Scenario, p: float
    ) -> dict[str, Any] | None:
        rates = self.rates_per_hour(t, scn, p)
        chance = sum(rates.values()) * self.desk.interval_s / 3600
        if rng.random() >= min(chance, 0.9):
            return None
        route = _weighted(rng, list(rates), list(rates.values()))
        service, channel = self._pick_service(route, rng, scn, p)
        return self._receive(t, service, channel, rng)

    def _pick_service(
        self, route: str, rng: random.Random, scn: Scenario, p: float
    ) -> tuple[Service, str]:
        if route == "hotline":
            services = [s for s in self.desk.services if "hotline_1022" in s.channels]
            flood = scn.floods(self.desk.district) and scn.flood_stage(p) > 0.5
            weights = [
                s.weight * (20 if flood and s.slug == "bao-tin-thien-tai" else 1) for s in services
            ]
            return _weighted(rng, services, weights), "hotline_1022"
        if route == "counter":
            services = [s for s in self.desk.services if "counter" in s.channels]
            return _weighted(rng, services, [s.weight for s in services]), "counter"
        services = [s for s in self.desk.services if set(s.channels) & ONLINE_CHANNELS.keys()]
        service = _weighted(rng, services, [s.weight for s in services])
        channels = [c for c in ONLINE_CHANNELS if c in service.channels]
        return service, _weighted(rng, channels, [ONLINE_CHANNELS[c] for c in channels])

    # --- lifecycle ------------------------------------------------------------------------------

    def _receive(
        self, t: int, service: Service, channel: str, rng: random.Random
    ) -> dict[str, Any]:
        ticket_id = self._tickets.issue(rhythm.local(t).year)
        due = rhythm.due_after(t, service.working_days)
        base = {
            "ticket_id": ticket_id,
            "service": service.slug,
            "channel": channel,
            "due": rhythm.rfc3339(due),
        }
        if channel == "hotline_1022":
            assigned = t + rng.randint(120, 1200)  # the 1022 operators work around the clock
        elif channel == "counter":
            assigned = rhythm.office_moment(rng, t + 300, t + 2400)
        else:
            start = rhythm.next_office_time(t + rng.randint(600, 7200))
            assigned = rhythm.office_moment(rng, start, start + 7200)
        self._plan(assigned, base, "assigned")
        if rng.random() < REJECT_RATE:
            end = min(due, assigned + 2 * rhythm.DAY_S)
            self._plan(rhythm.office_moment(rng, assigned + 1800, end), base, "rejected")
        else:
            done = self._resolve(assigned, due, base, rng, ON_TIME_RATE)
            if rng.random() < REOPEN_RATE:
                reopened = rhythm.office_moment(rng, done + 3600, rhythm.due_after(done, 2))
                self._plan(reopened, base, "reopened")
                self._resolve(reopened, rhythm.due_after(reopened, 2), base, rng, 0.5)
        return {"ts": rhythm.rfc3339(t), "ticket_id": ticket_id, "event": "received", **base}

    def _resolve(
        self, start: int, due: int, base: dict[str, Any], rng: random.Random, on_time: float
    ) -> int:
        late = rng.random() >= on_time
        if base.get("channel") == "hotline_1022" and not late:
            # the 1022 operators settle most calls around the clock, so a day has resolutions
            # (and an on-time rate) from its first hours, not only from 07:30
            done = min(due, start + rng.randint(1800, 4 * 3600))
        elif late:
            done = rhythm.office_moment(rng, due + 3600, rhythm.due_after(due, rng.randint(1, 3)))
        else:
            done = rhythm.office_moment(rng, start + 1800, due)
        extra: dict[str, Any] = {}
        if rng.random() < SATISFACTION_SHARE:
            weights = SATISFACTION_LATE if done > due else SATISFACTION_ON_TIME
            extra["satisfaction"] = _weighted(rng, [1, 2, 3, 4, 5], list(weights))
        self._plan(done, base, "resolved", extra)
        return done

    def _plan(
        self, when: int, base: dict[str, Any], event: str, extra: dict[str, Any] | None = None
    ) -> None:
        self._seq += 1
        body = {"ticket_id": base["ticket_id"], "event": event, **base, **(extra or {})}
        heapq.heappush(self._pending, (when, self._seq, body))


# --- the generator interface (simulators.feeds.base) ---------------------------------------------

FEED = "servicedesk"
BAD_KINDS = {"bad_time": "bad_time", "missing_due": "missing_field", "unknown_channel": "bad_value"}


def bad_template(desk: ServiceDesk, t: int, rng: random.Random) -> dict[str, Any]:
    """A `received` event of `desk` with a ticket id outside the valid numbering (X…)."""
    service = rng.choice([s for s in desk.services if "counter" in s.channels])
    return {
        "ts": rhythm.rfc3339(t),
        "ticket_id": f"CB-{rhythm.local(t).year}-X{rng.randrange(100_000):05d}",
        "event": "received",
        "service": service.slug,
        "channel": "counter",
        "due": rhythm.rfc3339(rhythm.due_after(t, service.working_days)),
    }


class Generator:
    """The desks of one run, sharing one ticket book."""

    def __init__(self, desks: Any) -> None:
        tickets = TicketBook()
        self.desks = {d.source_id: DeskSimulator(d, tickets) for d in desks}

    def valid(
        self, device: ServiceDesk, t: int, rng: random.Random, scenario: Scenario, progress: float
    ) -> tuple[Any, Any] | None:
        event = self.desks[device.source_id].step(t, rng, scenario, progress)
        return None if event is None else (event, event)

    def template(
        self, device: ServiceDesk, t: int, rng: random.Random, scenario: Scenario, progress: float
    ) -> Any:
        return bad_template(device, t, rng)


def generator(devices: Any) -> Generator:
    return Generator(devices)


def refuses(kind: str, body: Any) -> str | None:
    return None


def mutate(kind: str, body: Any, t: int, rng: random.Random) -> Any:
    if kind == "wrong_type":
        body["ticket_id"] = rng.randrange(1, 1_000_000)
    elif kind == "unknown_name":
        body["citizen_name"] = "Nông Văn A"
    elif kind == "bad_time":
        body = bad_ts(body, t, rng)
    elif kind == "missing_due":
        del body["due"]
    elif kind == "unknown_channel":
        body["channel"] = "fax"
    return body
