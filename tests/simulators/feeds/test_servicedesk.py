"""Service-desk tickets: office hours, lifecycles, due dates, on-time rate, satisfaction."""

from __future__ import annotations

import random
import re
import statistics
from collections import Counter, defaultdict
from datetime import datetime
from typing import Any

import pytest

from ioc.feeds.servicedesk import SERVICEDESK_CHANNELS, SERVICEDESK_EVENTS
from ioc.localtime import LOCAL_TZ
from simulators import city, rhythm
from simulators.city import ServiceDesk
from simulators.feeds.servicedesk import DeskSimulator, TicketBook
from simulators.scenarios import Scenario, get_scenario

TICKET_RE = re.compile(r"CB-20[0-9]{2}-[0-9]{6}")
KEYS = {"ts", "ticket_id", "event", "service", "channel", "due", "satisfaction"}


def at(y: int, mo: int, d: int, h: int = 0) -> int:
    return rhythm.epoch(datetime(y, mo, d, h, tzinfo=LOCAL_TZ))


def desk(district: str) -> ServiceDesk:
    device = city.device_by_source(f"mot-cua-{district}")
    assert isinstance(device, ServiceDesk)
    return device


def run_desk(
    d: ServiceDesk, days: int, scenario: Scenario | None = None, seed: int = 1
) -> list[dict[str, Any]]:
    """Every event a desk says over `days` days from Monday 2026-07-06 00:00 local."""
    sim = DeskSimulator(d, TicketBook())
    rng = random.Random(seed)
    scn = scenario or get_scenario("normal")
    t0 = at(2026, 7, 6)
    steps = days * 86_400 // d.interval_s
    events = []
    for i in range(steps):
        event = sim.step(t0 + i * d.interval_s, rng, scn, i / steps)
        if event is not None:
            events.append(event)
    return events


@pytest.fixture(scope="module")
def city_events() -> list[dict[str, Any]]:
    return run_desk(desk(city.CITY), 21)


def when(event: dict[str, Any]) -> datetime:
    return datetime.fromisoformat(event["ts"])


def test_payload_fields(city_events: list[dict[str, Any]]) -> None:
    assert len(city_events) > 1000
    for e in city_events:
        assert set(e) <= KEYS
        assert e["ts"].endswith("+07:00")
        assert TICKET_RE.fullmatch(e["ticket_id"])
        assert e["event"] in SERVICEDESK_EVENTS
        assert e["channel"] in SERVICEDESK_CHANNELS
        assert datetime.fromisoformat(e["due"]) > when(e) or e["event"] != "received"
        if "satisfaction" in e:
            assert e["event"] == "resolved"
            assert e["satisfaction"] in (1, 2, 3, 4, 5)
    stamps = [when(e) for e in city_events]
    assert stamps == sorted(stamps) and len(set(stamps)) == len(stamps)


def test_counter_only_in_office_hours_online_and_hotline_any_time(
    city_events: list[dict[str, Any]],
) -> None:
    received = [e for e in city_events if e["event"] == "received"]
    counter = [e for e in received if e["channel"] == "counter"]
    assert counter and all(rhythm.in_office_hours(when(e)) for e in counter)
    off_hours = [e for e in received if not rhythm.in_office_hours(when(e))]
    assert {e["channel"] for e in off_hours} >= {"hotline_1022", "online_l4"}
    assert any(when(e).hour < 6 for e in off_hours if e["channel"] == "hotline_1022")


def test_each_ticket_is_a_lifecycle(city_events: list[dict[str, Any]]) -> None:
    tickets: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for e in city_events:
        tickets[e["ticket_id"]].append(e)
    outcomes: Counter[str] = Counter()
    for events in tickets.values():
        names = [e["event"] for e in events]
        assert names[0] == "received"
        assert len({(e["service"], e["channel"], e["due"]) for e in events}) == 1
        if len(names) > 1:
            assert names[1] == "assigned"
        if len(names) > 2:
            assert names[2] in ("resolved", "rejected")
            outcomes[names[2]] += 1
            assert names[3:] in ([], ["reopened"], ["reopened", "resolved"])
            outcomes["reopened"] += "reopened" in names
    closed = outcomes["resolved"] + outcomes["rejected"]
    assert closed > 500
    assert 0.01 < outcomes["rejected"] / closed < 0.1
    assert 0 < outcomes["reopened"] / closed < 0.08


def test_due_dates_are_a_few_working_days_later(city_events: list[dict[str, Any]]) -> None:
    for e in (e for e in city_events if e["event"] == "received"):
        due = datetime.fromisoformat(e["due"])
        assert due.hour == 17 and due.minute == 0 and due.weekday() < 5
        assert when(e).date() < due.date() and (due - when(e)).days <= 15


def test_mostly_on_time_and_satisfied(city_events: list[dict[str, Any]]) -> None:
    first = {}
    for e in city_events:
        if e["event"] == "resolved":
            first.setdefault(e["ticket_id"], e)
    on_time = [when(e) <= datetime.fromisoformat(e["due"]) for e in first.values()]
    assert 0.82 < statistics.fmean(on_time) < 0.97
    scores = [e["satisfaction"] for e in city_events if "satisfaction" in e]
    assert len(scores) > 0.5 * len(first)
    assert statistics.fmean(s >= 4 for s in scores) > 0.75


def test_resolutions_happen_in_office_hours(city_events: list[dict[str, Any]]) -> None:
    desk_done = [
        e
        for e in city_events
        if e["event"] in ("resolved", "rejected") and e["channel"] != "hotline_1022"
    ]
    late = [e for e in desk_done if not rhythm.in_office_hours(when(e))]
    assert len(late) < 0.05 * len(desk_done)  # only when a desk's turn falls just after 17:00


def test_hotline_tickets_are_resolved_early_in_the_day_too(
    city_events: list[dict[str, Any]],
) -> None:
    # the wall's on-time rate for "today" has resolutions before the desks open at 07:30
    early = [
        e
        for e in city_events
        if e["event"] == "resolved" and when(e).hour < 7 and e["channel"] == "hotline_1022"
    ]
    days = {when(e).date() for e in early}
    assert len(days) >= 10  # most of the 21 days


def test_ticket_ids_unique_across_desks() -> None:
    book = TicketBook()
    ids = [book.issue(2026) for _ in range(5)]
    assert ids[0] == "CB-2026-000001" and len(set(ids)) == 5


def test_flood_brings_hotline_calls_to_the_flooded_district() -> None:
    flood = get_scenario("flood")
    flooded = run_desk(desk(city.CITY), 2, flood)
    calm = run_desk(desk(city.CITY), 2)

    def hotline(events: list[dict[str, Any]]) -> int:
        return sum(e["event"] == "received" and e["channel"] == "hotline_1022" for e in events)

    assert hotline(flooded) > 2 * hotline(calm)
    assert any(e["service"] == "bao-tin-thien-tai" for e in flooded)
