"""Service-desk KPIs on a hand-built set of tickets, every value worked out by hand."""

import json

import pytest

from ioc.kpis.servicedesk import ServiceDeskTally
from ioc.kpis.spec import DAY_MS
from ioc.kpis.tickets import TicketEvent, events_from_frame
from tests.ioc.kpis.data import frame, ms, ticket

NOW = ms(8, 12)  # 2020-07-08 12:00 +07:00; today = from 07-08 00:00, 7d = from 07-01 12:00

READINGS = [
    # T1 hoa-an, online L4: received 07-07 09:00 due 07-08 10:00, resolved 07-08 09:00 (on time,
    # 24 h), satisfaction 5
    ticket("T1", "received", ms(7, 9), "hoa-an", "online_l4", due_ms=ms(8, 10)),
    ticket("T1", "resolved", ms(8, 9), "hoa-an", satisfaction=5),
    # T2 hoa-an, counter: received 07-08 08:00 due 10:00, resolved exactly at 10:00 (on time, 2 h)
    ticket("T2", "received", ms(8, 8), "hoa-an", "counter", due_ms=ms(8, 10)),
    ticket("T2", "resolved", ms(8, 10), "hoa-an", satisfaction=4),
    # T3 bao-lac, hotline: received 07-06 08:00 due 07-07 08:00, resolved 07-08 11:00 (late, 51 h)
    ticket("T3", "received", ms(6, 8), "bao-lac", "hotline_1022", due_ms=ms(7, 8)),
    ticket("T3", "resolved", ms(8, 11), "bao-lac"),
    # T4 bao-lac, online L3: received 07-08 07:00 due 11:00, still open at 12:00 -> overdue
    ticket("T4", "received", ms(8, 7), "bao-lac", "online_l3", due_ms=ms(8, 11)),
    # T5 hoa-an, app: received 07-08 11:30 due 07-10 -> open, not overdue
    ticket("T5", "received", ms(8, 11, 30), "hoa-an", "app", due_ms=ms(10, 17)),
    # T6 hoa-an, counter: received 07-05, rejected 07-05, reopened 07-08 08:30 -> open, due 07-09
    ticket("T6", "received", ms(5, 8), "hoa-an", "counter", due_ms=ms(9, 17)),
    ticket("T6", "rejected", ms(5, 10), "hoa-an"),
    ticket("T6", "reopened", ms(8, 8, 30), "hoa-an"),
    # T7 thach-an, hotline: received 06-30 (before the 7-day window) due 07-01 10:00, resolved
    # 07-02 10:00 (in the 7-day window; late; 48 h)
    ticket("T7", "received", ms(30, 10, month=6), "thach-an", "hotline_1022", due_ms=ms(1, 10)),
    ticket("T7", "resolved", ms(2, 10), "thach-an"),
    # T8 hoa-an, online L4: received 07-08 09:00 due 07-12, assigned 09:30 -> open
    ticket("T8", "received", ms(8, 9), "hoa-an", "online_l4", due_ms=ms(12, 17)),
    ticket("T8", "assigned", ms(8, 9, 30), "hoa-an"),
    # T9: received after NOW -> not yet happened, ignored
    ticket("T9", "received", ms(8, 13), "hoa-an", "online_l4", due_ms=ms(9, 17)),
]


@pytest.fixture
def tally():
    t = ServiceDeskTally()
    t.add_all(TicketEvent.from_reading(r) for r in READINGS)
    return t


def values(tally, now=NOW):
    return {(v.id, v.scope, v.window): v for v in tally.kpis(now)}


def test_today_province(tally):
    v = values(tally)
    # received today: T2, T4, T5, T8 = 4; online (L3/L4): T4, T8 -> 2/4 = 50 %
    assert v["servicedesk.online_share", "province", "today"].value == 50.0
    assert v["servicedesk.online_share", "province", "today"].extra["received"] == 4
    # resolved today: T1 (on time), T2 (exactly at due: on time), T3 (late) -> 2/3
    assert v["servicedesk.on_time_rate", "province", "today"].value == pytest.approx(200 / 3)
    # handling: T1 24 h, T2 2 h, T3 07-06 08:00 -> 07-08 11:00 = 51 h; (24 + 2 + 51) / 3
    assert v["servicedesk.avg_handling_hours", "province", "today"].value == pytest.approx(77 / 3)
    # satisfaction: T1 5, T2 4 -> 4.5
    assert v["servicedesk.satisfaction", "province", "today"].value == 4.5
    assert v["servicedesk.hotline_1022", "province", "today"].value == 0


def test_now_backlog_and_overdue(tally):
    v = values(tally)
    # open: T4 (bao-lac), T5, T6 (reopened), T8 (assigned) -> 4; overdue: T4 (due 11:00 < 12:00)
    assert v["servicedesk.backlog", "province", "now"].value == 4
    assert v["servicedesk.overdue", "province", "now"].value == 1
    assert v["servicedesk.backlog", "district:hoa-an", "now"].value == 3
    assert v["servicedesk.overdue", "district:hoa-an", "now"].value == 0
    assert v["servicedesk.backlog", "district:bao-lac", "now"].value == 1
    assert v["servicedesk.overdue", "district:bao-lac", "now"].value == 1


def test_seven_days_province(tally):
    v = values(tally)
    # received 07-01 12:00 .. 07-08 12:00: T1, T2, T3, T4, T5, T6, T8 = 7 (T7 was 06-30);
    # online: T1, T4, T8 -> 3/7
    assert v["servicedesk.online_share", "province", "7d"].value == pytest.approx(300 / 7)
    # resolved: T1, T2 on time; T3, T7 late -> 2/4 = 50 %
    assert v["servicedesk.on_time_rate", "province", "7d"].value == 50.0
    # handling: 24 + 2 + 51 + 48 = 125 h / 4
    assert v["servicedesk.avg_handling_hours", "province", "7d"].value == 31.25
    # hotline received in the window: T3 only (T7 was received before it)
    assert v["servicedesk.hotline_1022", "province", "7d"].value == 1


def test_per_district_today(tally):
    v = values(tally)
    # hoa-an: received T2, T5, T8 -> online T8 = 1/3; resolved T1, T2 both on time
    assert v["servicedesk.online_share", "district:hoa-an", "today"].value == pytest.approx(100 / 3)
    assert v["servicedesk.on_time_rate", "district:hoa-an", "today"].value == 100.0
    assert v["servicedesk.avg_handling_hours", "district:hoa-an", "today"].value == 13.0
    # bao-lac: T3 resolved late -> 0 %, a real zero; no score given -> no satisfaction
    assert v["servicedesk.on_time_rate", "district:bao-lac", "today"].value == 0.0
    assert v["servicedesk.satisfaction", "district:bao-lac", "today"].value is None
    # thach-an: nothing today -> rates have no value (not 0), counts are 0
    for kpi in ("on_time_rate", "avg_handling_hours", "online_share", "satisfaction"):
        value = v[f"servicedesk.{kpi}", "district:thach-an", "today"]
        assert value.value is None and value.status == "no_data"
    assert v["servicedesk.hotline_1022", "district:thach-an", "today"].value == 0
    # every district of the province is reported
    assert ("servicedesk.backlog", "district:ha-lang", "now") in v


def test_empty_tally():
    v = values(ServiceDeskTally())
    assert v["servicedesk.on_time_rate", "province", "today"].value is None
    assert v["servicedesk.backlog", "province", "now"].value == 0
    assert v["servicedesk.overdue", "province", "now"].value == 0


def test_resolved_exactly_at_due_is_on_time():
    t = ServiceDeskTally()
    t.add(TicketEvent("X", "received", ms(8, 8), "hoa-an", channel="counter", due_ms=ms(8, 10)))
    t.add(TicketEvent("X", "resolved", ms(8, 10), "hoa-an"))
    assert t.stats(ms(8), NOW)["province"].on_time_rate == 100.0
    t.add(TicketEvent("Y", "received", ms(8, 8), "hoa-an", channel="counter", due_ms=ms(8, 10)))
    t.add(TicketEvent("Y", "resolved", ms(8, 10) + 1, "hoa-an"))  # one millisecond late
    assert t.stats(ms(8), NOW)["province"].on_time_rate == 50.0


def test_resolution_without_known_receipt_or_due():
    # Only the resolution is visible: it counts as resolved but not in the rate nor the time.
    t = ServiceDeskTally()
    t.add(TicketEvent("Z", "resolved", ms(8, 9), "hoa-an", satisfaction=3))
    s = t.stats(ms(8), NOW)["province"]
    assert (s.resolved, s.resolved_with_due, s.handled, s.rated) == (1, 0, 0, 1)
    assert s.on_time_rate is None and s.avg_handling_hours is None and s.satisfaction == 3.0


def test_same_millisecond_receipt_and_resolution():
    t = ServiceDeskTally()
    t.add(TicketEvent("Q", "resolved", ms(8, 9), "hoa-an"))  # order of arrival does not matter
    t.add(TicketEvent("Q", "received", ms(8, 9), "hoa-an", channel="counter", due_ms=ms(8, 9)))
    s = t.stats(ms(8), NOW)["province"]
    assert (s.resolved_on_time, s.handled, s.handling_ms, s.backlog) == (1, 1, 0, 0)


def test_redelivered_events_count_once(tally):
    before = values(tally)
    assert tally.add(TicketEvent.from_reading(READINGS[0])) is False
    assert values(tally) == before


def test_horizon_forgets_old_events():
    t = ServiceDeskTally(horizon_ms=30 * DAY_MS)
    # an open ticket received 07-01 10:00 counts in the backlog until its event is 30 days old
    old = TicketEvent("OLD", "received", ms(1, 10), "hoa-an", channel="counter", due_ms=ms(2, 10))
    t.add(old)
    assert t.stats(NOW, NOW)["province"].backlog == 1
    later = ms(1, 10) + 30 * DAY_MS + 1
    assert t.stats(later, later)["province"].backlog == 0
    assert t.prune(later) == ["OLD|" + str(ms(1, 10)) + "|received"]
    assert t.events() == []


def test_dict_round_trip(tally):
    copy = ServiceDeskTally.from_dict(json.loads(json.dumps(tally.to_dict())))
    assert copy == tally
    assert values(copy) == values(tally)


def test_merge_of_two_collectors_shares(tally):
    a, b = ServiceDeskTally(), ServiceDeskTally()
    for i, r in enumerate(READINGS):
        (a if i % 2 else b).add(TicketEvent.from_reading(r))
    a.merge(b)
    assert a == tally


def test_events_from_frame_match_the_readings(tally):
    df = frame(READINGS)
    assert df["due_ms"].dtype == "float64"  # ints with gaps come back as floats
    events = events_from_frame(df)
    from_history = ServiceDeskTally()
    from_history.add_all(events)
    assert from_history == tally
    assert all(isinstance(e.due_ms, int) for e in events if e.due_ms is not None)


def test_event_from_reading_drops_the_nanosecond_offset():
    event = TicketEvent.from_reading(READINGS[0])
    assert event.ts_ms == ms(7, 9)
    assert (event.channel, event.due_ms, event.source) == ("online_l4", ms(8, 10), "desk-hoa-an")
    assert TicketEvent.from_dict(event.to_dict()) == event
    with pytest.raises(ValueError, match="unknown service-desk event"):
        TicketEvent("A", "closed", 0, "hoa-an")
