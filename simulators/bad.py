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

Bad topics stay under `ioc/<feed>/...`, so a per-feed subscription still receives them. The
payload kinds (wrong_type, unknown_name and a feed's own, listed in its generator module's
`BAD_KINDS`) are made by the feed's generator module (`simulators/feeds/<feed>.py`, `mutate`).
"""

from __future__ import annotations

import copy
import random
from dataclasses import dataclass
from typing import Any

import orjson

from ioc.feeds import MAX_PAYLOAD_BYTES, TOPIC_ROOT
from simulators.devices import Device
from simulators.feeds import GENERATORS

COMMON = ("bad_json", "wrong_type", "unknown_name", "oversize", "bad_district", "bad_source")
_COMMON_REASONS = {
    "bad_json": "bad_json",
    "wrong_type": "wrong_type",
    "unknown_name": "unknown_name",
    "oversize": "oversize",
    "bad_district": "bad_topic",
    "bad_source": "bad_topic",
}
# Per feed: the common kinds, then the feed's own (its generator module's BAD_KINDS).
BAD_KINDS: dict[str, tuple[str, ...]] = {
    feed: (*COMMON, *module.BAD_KINDS) for feed, module in GENERATORS.items()
}
REASONS: dict[str, str] = {
    **_COMMON_REASONS,
    **{k: r for module in GENERATORS.values() for k, r in module.BAD_KINDS.items()},
}
OLD_DISTRICTS = ("tra-linh", "thong-nong", "phuc-hoa", "quang-uyen", "lang-son")


@dataclass(frozen=True, slots=True)
class BadMessage:
    topic: str
    payload: bytes
    source: str
    kind: str
    reason: str


def make_bad(
    device: Device, t: int, template: Any, rng: random.Random, kind: str | None = None
) -> BadMessage:
    """A malformed message from `device` at simulated time `t`, made from its valid payload
    `template`; of the given `kind`, else of a random kind that fits the feed and form."""
    feed = device.feed
    module = GENERATORS[feed]
    if kind is None:
        kind = rng.choice([k for k in BAD_KINDS[feed] if module.refuses(k, template) is None])
    elif kind not in BAD_KINDS[feed]:
        raise ValueError(f"bad kind {kind!r} does not apply to the {feed} feed")
    elif (why := module.refuses(kind, template)) is not None:
        raise ValueError(why)
    body = copy.deepcopy(template)
    topic, source = device.topic, device.source_id
    raw: bytes | None = None
    if kind == "bad_json":
        raw = orjson.dumps(body)[: -rng.randint(2, 9)]
    elif kind == "oversize":
        raw = orjson.dumps(body)
        raw += b" " * (MAX_PAYLOAD_BYTES + rng.randint(1, 4096) - len(raw))
    elif kind == "bad_district":
        topic = f"{TOPIC_ROOT}/{feed}/{rng.choice(OLD_DISTRICTS)}/{source}"
    elif kind == "bad_source":
        source = f"{source}.v2"
        topic = f"{TOPIC_ROOT}/{feed}/{device.district}/{source}"
    else:  # wrong_type, unknown_name and the feed's own kinds: its generator knows its payload
        body = module.mutate(kind, body, t, rng)
    payload = raw if raw is not None else orjson.dumps(body)
    return BadMessage(topic, payload, source, kind, REASONS[kind])
