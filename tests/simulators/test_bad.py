"""Bad messages: every kind is one the wire contract rejects, mixed in at the asked ratio."""

from __future__ import annotations

import random
from collections import Counter
from datetime import UTC, datetime
from typing import Any

import orjson
import pytest

from ioc.errors import PayloadRejected
from ioc.feeds import MAX_PAYLOAD_BYTES, SOURCE_ID_RE
from ioc.feeds.camera import CAMERA_EVENT_TYPES
from ioc.feeds.sensor import SENSOR_KINDS, SENSOR_VALUE_NAMES
from ioc.feeds.servicedesk import SERVICEDESK_CHANNELS
from ioc.places import DISTRICTS
from simulators import bad, city, rhythm
from simulators.city import Device
from simulators.feeds import GENERATORS, servicedesk
from simulators.scenarios import get_scenario
from simulators.schedule import iter_messages

START = datetime(2026, 7, 6, 1, 0, tzinfo=UTC)
T = int(START.timestamp())
NORMAL = get_scenario("normal")


def template(device: Device, rng: random.Random) -> Any:
    """The feed's own bad-message template, through the generator interface every feed has."""
    module = GENERATORS[device.feed]
    return module.generator([device]).template(device, T, rng, NORMAL, 0.0)


def devices_for(feed: str) -> list[Device]:
    return [d for d in city.all_devices() if d.feed == feed]


CASES = [
    (feed, kind, device)
    for feed, kinds in bad.BAD_KINDS.items()
    for kind in kinds
    for device in devices_for(feed)[:: 7 if feed == "sensor" else 5]
    if not (kind == "unknown_kind" and getattr(device, "senml", False))
]


def test_reasons_are_collector_reasons() -> None:
    assert set(bad.REASONS) == {k for kinds in bad.BAD_KINDS.values() for k in kinds}
    assert set(bad.REASONS.values()) <= PayloadRejected.REASONS


@pytest.mark.parametrize(("feed", "kind", "device"), CASES)
def test_each_kind_breaks_the_contract(feed: str, kind: str, device: Device) -> None:
    rng = random.Random(1)
    msg = bad.make_bad(device, T, template(device, rng), rng, kind)
    assert msg.kind == kind and msg.reason == bad.REASONS[kind]
    root, topic_feed, district, source = msg.topic.split("/")
    assert (root, topic_feed) == ("ioc", feed)  # a per-feed subscription still receives it
    assert source == msg.source
    if kind == "bad_district":
        assert district not in DISTRICTS
        return
    assert district in DISTRICTS
    if kind == "bad_source":
        assert not SOURCE_ID_RE.fullmatch(source)
        return
    assert SOURCE_ID_RE.fullmatch(source)
    if kind == "bad_json":
        with pytest.raises(orjson.JSONDecodeError):
            orjson.loads(msg.payload)
        return
    body = orjson.loads(msg.payload)
    if kind == "oversize":
        assert len(msg.payload) > MAX_PAYLOAD_BYTES
        return
    assert len(msg.payload) <= MAX_PAYLOAD_BYTES
    assert contract_problem(feed, body) == kind


def contract_problem(feed: str, body: Any) -> str | None:
    """A tiny independent check of the wire contract, enough to name what is wrong."""
    if isinstance(body, list):
        first = body[0]
        if first["bt"] > T + 86_400 * 365:
            return "bad_time"
        if any(r["n"] not in SENSOR_VALUE_NAMES for r in body):
            return "unknown_name"
        if any(not isinstance(r["v"], float) for r in body):
            return "wrong_type"
        return None
    ts = body.get("ts")
    if isinstance(ts, str) and not ts.endswith("+07:00"):
        return "bad_time"
    if feed == "sensor":
        if body["kind"] not in SENSOR_KINDS:
            return "unknown_kind"
        if any(n not in SENSOR_KINDS[body["kind"]] for n in body["values"]):
            return "unknown_name"
        if any(type(v) is not float for v in body["values"].values()):
            return "wrong_type"
    elif feed == "camera":
        if "plate" in body:
            return "unknown_name"
        if type(body["people"]) is not int or any(
            type(n) is not int for n in body["vehicles"].values()
        ):
            return "wrong_type"
        if any(e["type"] not in CAMERA_EVENT_TYPES for e in body["events"]):
            return "unknown_event_type"
    elif feed == "security":
        if "username" in body:
            return "unknown_name"
        if body.get("severity") == "urgent":
            return "unknown_severity"
        if type(body.get("severity", "")) is not str:
            return "wrong_type"
        if body["event"] == "inventory" and "severity" in body:
            return "inventory_with_event_field"
    elif feed == "portal":
        if "latency_ms" in body:
            return "unknown_name"
        if type(body["up"]) is not bool:
            return "up_as_number"
        if type(body["response_ms"]) is not float:
            return "wrong_type"
        if not 100 <= body["status"] <= 599:
            return "bad_status"
        if type(ts) is not int:
            return "bad_time"
    else:
        if "citizen_name" in body:
            return "unknown_name"
        if type(body["ticket_id"]) is not str:
            return "wrong_type"
        if body["channel"] not in SERVICEDESK_CHANNELS:
            return "unknown_channel"
        if body["event"] == "received" and "due" not in body:
            return "missing_due"
    return None


def test_unknown_kind_needs_a_json_object() -> None:
    senml = next(s for s in city.SENSORS if s.senml)
    rng = random.Random(1)
    with pytest.raises(ValueError):
        bad.make_bad(senml, T, template(senml, rng), rng, "unknown_kind")
    with pytest.raises(ValueError):
        bad.make_bad(city.DESKS[0], T, template(city.DESKS[0], rng), rng, "unknown_event_type")


def test_bad_ratio_is_the_observed_fraction_and_every_kind_shows_up() -> None:
    messages = list(iter_messages(11, "normal", START, 20_000, bad_ratio=0.1))
    invalid = [m for m in messages if not m.valid]
    assert 0.09 < len(invalid) / len(messages) < 0.11
    assert Counter(m.reason for m in invalid).keys() == set(bad.REASONS.values())
    assert {m.feed for m in invalid} == set(GENERATORS)
    assert all(m.data is None for m in invalid)


def test_bad_desk_tickets_do_not_collide_with_real_ones() -> None:
    rng = random.Random(3)
    ticket = servicedesk.bad_template(city.DESKS[0], T, rng)["ticket_id"]
    assert ticket.startswith(f"CB-{rhythm.local(T).year}-X")
