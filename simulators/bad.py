"""Malformed messages, mixed in at the run's `bad_ratio`: each one the wire contract rejects.

A bad message is made from a valid payload of the same device (so it looks like a real
integrator's mistake) and carries `reason`, the `ioc.errors.PayloadRejected` reason a collector
must give for it. Kinds (`BAD_KINDS`):

    bad_json             truncated JSON                                    bad_json
    wrong_type           a string for a number, a float count, a number
                         for the ticket id                                 wrong_type
    unknown_name         pm1 / radon / flow_m3s, a camera `plate`,
                         a desk `citizen_name`                             unknown_name
    oversize             a valid payload padded past 64 KiB                oversize
    bad_district         a district slug from before 2020 (tra-linh…)      bad_topic
    bad_source           a source id with a dot                            bad_topic
    bad_time             "hôm qua", a time without offset, year 2286       bad_time
    unknown_kind         sensor kind "radiation"                           bad_value
    unknown_event_type   camera event "fog"                                bad_value
    missing_due          desk `received` without `due`                     missing_field
    unknown_channel      desk channel "fax"                                bad_value

Bad topics stay under `ioc/<feed>/...`, so a per-feed subscription still receives them.
"""

from __future__ import annotations

import copy
import random
from dataclasses import dataclass
from typing import Any

import orjson

from ioc.feeds import MAX_PAYLOAD_BYTES, TOPIC_ROOT
from simulators import rhythm
from simulators.devices import Device, ServiceDesk

COMMON = ("bad_json", "wrong_type", "unknown_name", "oversize", "bad_district", "bad_source")
BAD_KINDS: dict[str, tuple[str, ...]] = {
    "sensor": (*COMMON, "bad_time", "unknown_kind"),
    "camera": (*COMMON, "bad_time", "unknown_event_type"),
    "servicedesk": (*COMMON, "bad_time", "missing_due", "unknown_channel"),
}
REASONS: dict[str, str] = {
    "bad_json": "bad_json",
    "wrong_type": "wrong_type",
    "unknown_name": "unknown_name",
    "oversize": "oversize",
    "bad_district": "bad_topic",
    "bad_source": "bad_topic",
    "bad_time": "bad_time",
    "unknown_kind": "bad_value",
    "unknown_event_type": "bad_value",
    "missing_due": "missing_field",
    "unknown_channel": "bad_value",
}
OLD_DISTRICTS = ("tra-linh", "thong-nong", "phuc-hoa", "quang-uyen", "lang-son")
UNKNOWN_VALUE = {"air": "pm1", "water": "flow_m3s", "weather": "pressure_hpa", "noise": "lmax_db"}
FAR_FUTURE_S = 9_999_999_999  # year 2286


@dataclass(frozen=True, slots=True)
class BadMessage:
    topic: str
    payload: bytes
    source: str
    kind: str
    reason: str


def desk_template(desk: ServiceDesk, t: int, rng: random.Random) -> dict[str, Any]:
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


def _wrong_type(feed: str, body: Any, rng: random.Random) -> Any:
    if isinstance(body, list):  # SenML: the value as a string
        body[0]["v"] = str(body[0]["v"])
    elif feed == "sensor":
        name = next(iter(body["values"]))
        body["values"][name] = rng.choice([str(body["values"][name]), "n/a"])
    elif feed == "camera":
        if rng.random() < 0.5:
            body["people"] = str(body["people"])
        else:
            body["vehicles"]["car"] = float(body["vehicles"]["car"])
    else:
        body["ticket_id"] = rng.randrange(1, 1_000_000)
    return body


def _unknown_name(feed: str, body: Any) -> Any:
    if isinstance(body, list):
        body.append({"n": "radon", "u": "Bq/m3", "v": 40.0})
    elif feed == "sensor":
        body["values"][UNKNOWN_VALUE[body["kind"]]] = 12.0
    elif feed == "camera":
        body["plate"] = "11A-123.45"  # plate numbers must never get in
    else:
        body["citizen_name"] = "Nông Văn A"
    return body


def _bad_time(body: Any, t: int, rng: random.Random) -> Any:
    if isinstance(body, list):
        body[0]["bt"] = FAR_FUTURE_S
    else:
        body["ts"] = rng.choice(["hôm qua", rhythm.local(t).strftime("%Y-%m-%d %H:%M:%S")])
    return body


def make_bad(
    device: Device, t: int, template: Any, rng: random.Random, kind: str | None = None
) -> BadMessage:
    """A malformed message from `device` at simulated time `t`, made from its valid payload
    `template`; of the given `kind`, else of a random kind that fits the feed and form."""
    feed = device.feed
    if kind is None:
        senml = isinstance(template, list)
        kind = rng.choice([k for k in BAD_KINDS[feed] if not (senml and k == "unknown_kind")])
    elif kind not in BAD_KINDS[feed]:
        raise ValueError(f"bad kind {kind!r} does not apply to the {feed} feed")
    elif kind == "unknown_kind" and isinstance(template, list):
        raise ValueError("a SenML pack has no kind to get wrong")
    body = copy.deepcopy(template)
    topic, source = device.topic, device.source_id
    raw: bytes | None = None
    if kind == "bad_json":
        raw = orjson.dumps(body)[: -rng.randint(2, 9)]
    elif kind == "wrong_type":
        body = _wrong_type(feed, body, rng)
    elif kind == "unknown_name":
        body = _unknown_name(feed, body)
    elif kind == "oversize":
        raw = orjson.dumps(body)
        raw += b" " * (MAX_PAYLOAD_BYTES + rng.randint(1, 4096) - len(raw))
    elif kind == "bad_district":
        topic = f"{TOPIC_ROOT}/{feed}/{rng.choice(OLD_DISTRICTS)}/{source}"
    elif kind == "bad_source":
        source = f"{source}.v2"
        topic = f"{TOPIC_ROOT}/{feed}/{device.district}/{source}"
    elif kind == "bad_time":
        body = _bad_time(body, t, rng)
    elif kind == "unknown_kind":
        body["kind"] = "radiation"
    elif kind == "unknown_event_type":
        body["events"] = [*body["events"], {"type": "fog", "severity": "info"}]
    elif kind == "missing_due":
        del body["due"]
    elif kind == "unknown_channel":
        body["channel"] = "fax"
    payload = raw if raw is not None else orjson.dumps(body)
    return BadMessage(topic, payload, source, kind, REASONS[kind])
