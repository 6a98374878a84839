"""Tests for collectors.feeds.servicedesk: tags, rules per event, collision-free timestamps."""

from __future__ import annotations

import json
import zlib

import pytest

from collectors.feeds.servicedesk import parse, ticket_offset_ns
from collectors.topics import Topic
from ioc.errors import PayloadRejected
from ioc.model import Reading

R = 1_593_565_200_000_000_000  # 2020-07-01T01:00:00Z
TOPIC = Topic("servicedesk", "hoa-an", "ubnd-hoa-an", "ioc/servicedesk/hoa-an/ubnd-hoa-an")
RECEIVED = {
    "ticket_id": "CB-2020-000123",
    "event": "received",
    "service": "cap-giay-phep-xay-dung",
    "channel": "online_l4",
    "due": "2020-07-08T17:00:00+07:00",
}


def one(**payload: object) -> Reading:
    [reading] = parse(TOPIC, json.dumps(payload).encode(), R)
    return reading


def rejected(**payload: object) -> PayloadRejected:
    with pytest.raises(PayloadRejected) as info:
        parse(TOPIC, json.dumps(payload).encode(), R)
    return info.value


def test_received_contract_example() -> None:
    reading = one(ts="2020-07-01T09:12:00+07:00", **RECEIVED)
    assert reading == Reading(
        "servicedesk",
        1_593_569_520_000_000_000 + zlib.crc32(b"CB-2020-000123") % 1_000_000,
        {
            "district": "hoa-an",
            "source": "ubnd-hoa-an",
            "event": "received",
            "channel": "online_l4",
            "service": "cap-giay-phep-xay-dung",
        },
        {"ticket_id": "CB-2020-000123", "due_ms": 1_594_202_400_000},
    )
    assert reading.time_ms == 1_593_569_520_000


def test_two_tickets_same_desk_same_millisecond_both_survive() -> None:
    a = one(ts=1593565200123, **{**RECEIVED, "ticket_id": "CB-2020-000123"})
    b = one(ts=1593565200123, **{**RECEIVED, "ticket_id": "CB-2020-000124"})
    assert (a.measurement, dict(a.tags)) == (b.measurement, dict(b.tags))  # same series...
    assert a.time_ns != b.time_ns  # ...so only the timestamp keeps both points
    assert a.time_ms == b.time_ms == 1_593_565_200_123


def test_many_tickets_in_one_millisecond_rarely_collide() -> None:
    ids = [f"CB-2020-{n:06d}" for n in range(1000)]
    times = {one(ts=1593565200123, **{**RECEIVED, "ticket_id": t}).time_ns for t in ids}
    # birthday bound: 1000 tickets in 10**6 slots collide with probability ~0.4, at most a few
    assert len(times) >= 995
    assert all(t // 1_000_000 == 1_593_565_200_123 for t in times)


def test_same_message_twice_gives_the_identical_reading() -> None:
    payload = json.dumps({"ts": "2020-07-01T09:12:00.5+07:00", **RECEIVED}).encode()
    first = parse(TOPIC, payload, R)
    again = parse(TOPIC, payload, R + 5_000_000_000)  # redelivered 5 s later
    assert first == again


def test_ticket_offset_is_the_documented_crc() -> None:
    assert ticket_offset_ns("CB-2020-000123") == 616_065
    assert ticket_offset_ns("HL-1022-000045") == 941_092
    assert all(0 <= ticket_offset_ns(str(n)) < 1_000_000 for n in range(100))


def test_ts_is_truncated_to_the_millisecond_before_the_offset() -> None:
    reading = one(ts="2020-07-01T08:30:15.987654321+07:00", ticket_id="T1", event="assigned")
    assert reading.time_ns == 1_593_567_015_987_000_000 + ticket_offset_ns("T1")


def test_missing_ts_takes_receive_time() -> None:
    assert one(ticket_id="T1", event="assigned").time_ns == R + ticket_offset_ns("T1")


@pytest.mark.parametrize("event", ["assigned", "resolved", "rejected", "reopened"])
def test_other_events_need_only_ticket_and_event(event: str) -> None:
    reading = one(ticket_id="T.1_a-B", event=event)
    assert reading.tags == {"district": "hoa-an", "source": "ubnd-hoa-an", "event": event}
    assert reading.fields == {"ticket_id": "T.1_a-B"}


def test_due_as_epoch_ms_and_satisfaction_on_resolved() -> None:
    reading = one(ticket_id="T1", event="resolved", due=1593738000000, satisfaction=1)
    assert reading.fields == {"ticket_id": "T1", "due_ms": 1_593_738_000_000, "satisfaction": 1}
    assert type(reading.fields["due_ms"]) is int


@pytest.mark.parametrize("name", ["channel", "service", "due"])
def test_received_requires(name: str) -> None:
    payload = {k: v for k, v in RECEIVED.items() if k != name}
    exc = rejected(**payload)
    assert exc.reason == "missing_field"
    assert repr(name) in exc.detail


@pytest.mark.parametrize(
    ("changes", "reason", "fragment"),
    [
        ({"ticket_id": None}, "wrong_type", "'ticket_id'"),
        ({"ticket_id": ""}, "bad_value", "'ticket_id'"),
        ({"ticket_id": "x" * 65}, "bad_value", "'ticket_id'"),
        ({"ticket_id": "CB/1"}, "bad_value", '"CB/1"'),
        ({"event": "Received"}, "bad_value", '"Received"'),
        ({"event": 1}, "wrong_type", "'event'"),
        ({"channel": "zalo"}, "bad_value", '"zalo"'),
        ({"service": "x" * 81}, "bad_value", "'service'"),
        ({"service": "cap_phep"}, "bad_value", "'service'"),
        ({"due": "2020-07-08"}, "bad_time", "'due'"),
        ({"due": "2020-07-08T17:00:00"}, "bad_time", "without a UTC offset"),
        ({"due": 1594202400000.0}, "wrong_type", "'due'"),
        ({"due": "1999-12-31T23:59:59Z"}, "bad_time", "'due'"),
        ({"due": "2100-01-01T00:00:00Z"}, "bad_time", "'due'"),
        ({"satisfaction": 5}, "bad_value", "only allowed with event 'resolved'"),
        ({"ts": "2020-07-02T01:00:00.001Z"}, "bad_time", "'ts'"),
        ({"priority": "high"}, "unknown_name", "'priority'"),
    ],
)
def test_rejections(changes: dict[str, object], reason: str, fragment: str) -> None:
    exc = rejected(**{**RECEIVED, **changes})
    assert exc.reason == reason, exc.detail
    assert fragment in exc.detail


def test_long_ids_at_the_limit_are_accepted() -> None:
    reading = one(**{**RECEIVED, "ticket_id": "x" * 64, "service": "s" * 80})
    assert reading.fields["ticket_id"] == "x" * 64
    assert reading.tags["service"] == "s" * 80


@pytest.mark.parametrize(
    ("satisfaction", "reason"),
    [(0, "bad_value"), (6, "bad_value"), (4.0, "wrong_type"), (True, "wrong_type")],
)
def test_satisfaction_checks(satisfaction: object, reason: str) -> None:
    assert rejected(ticket_id="T1", event="resolved", satisfaction=satisfaction).reason == reason


def test_non_object_payload_is_bad_shape() -> None:
    with pytest.raises(PayloadRejected) as info:
        parse(TOPIC, b'["CB-2020-000123"]', R)
    assert info.value.reason == "bad_shape"
