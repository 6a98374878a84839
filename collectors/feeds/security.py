"""Security feed: EDR/SOC events, one per message, from one agency's reporting console.

Topic `ioc/security/<district>/<source_id>`. Measurement `security`; tags `district`, `source`
(the console: the topic's last segment), `system` (edr, soc), `agency` (a slug
`[a-z0-9-]{1,64}`), `event`, and on every event but `inventory` `severity` (low, medium, high,
critical) and, when given, `action` (none, blocked, quarantined, cleaned). Fields:

    events               int  1 on every event but inventory (sum = number of events)
    incident_id          str  `[A-Za-z0-9_.-]{1,64}`; required on incident_*, optional otherwise
    endpoint             str  free text, 1-200 characters; required on malware_* and endpoint_*
    threat               str  free text, 1-200 characters; optional (malware_* and incident_*)
    endpoints_total      int  inventory only, required, >= 0
    endpoints_reporting  int  inventory only, required, 0 <= reporting <= total
    agents_outdated      int  inventory only, optional, 0 <= outdated <= total

The payload is one JSON object with exactly these keys: `ts`, `system`, `agency`, `event`,
`severity`, `endpoint`, `threat`, `action`, `incident_id`, `endpoints_total`,
`endpoints_reporting`, `agents_outdated`; any other key is `unknown_name`. An event field on an
inventory, or a count on an event, is `bad_value`. Free text is stored exactly as sent — commas,
spaces, `=`, quotes, newlines, backslashes — as a string field, so it can never add a tag, a
field or a point; only NUL and text over 200 characters are refused (`bad_value`).

Timestamps. Two events of one console in the same millisecond must both survive InfluxDB's
one-point-per-series-and-time rule: the point's time is the event's millisecond plus a
deterministic offset from the payload's CRC-32 (`crc32(payload) % 10**6` ns), so a redelivered
message rewrites the same point and different events stay apart.
"""

from __future__ import annotations

import re
import zlib
from typing import Any

from collectors.feeds.base import (
    as_choice,
    as_int,
    as_slug,
    as_str,
    check_keys,
    describe,
    load_object,
    missing,
    reading_time_ns,
)
from collectors.topics import Topic
from ioc.errors import PayloadRejected
from ioc.feeds.security import (
    SECURITY_ACTIONS,
    SECURITY_EVENTS,
    SECURITY_SEVERITIES,
    SECURITY_SYSTEMS,
    SPEC,
)
from ioc.model import NS_PER_MS, FieldValue, Reading

MEASUREMENT = SPEC.measurement
EVENT_KEYS = frozenset({"severity", "endpoint", "threat", "action", "incident_id"})
COUNT_KEYS = frozenset({"endpoints_total", "endpoints_reporting", "agents_outdated"})
KEYS = frozenset({"ts", "system", "agency", "event"}) | EVENT_KEYS | COUNT_KEYS
INCIDENT_ID_RE = re.compile(r"[A-Za-z0-9_.-]{1,64}")
AGENCY_MAX_LEN = 64
TEXT_MAX_LEN = 200
SPREAD_NS = 1_000_000


def _text(obj: dict[str, Any], name: str) -> str:
    text = as_str(obj[name], name)
    if not 1 <= len(text) <= TEXT_MAX_LEN or "\x00" in text:
        raise PayloadRejected(
            "bad_value",
            f"field {name!r} is {describe(text[:40])}, expected 1 to {TEXT_MAX_LEN} characters"
            " without NUL",
        )
    return text


def _count(obj: dict[str, Any], name: str, total: int | None = None) -> int:
    value = as_int(obj[name], name)
    if value < 0 or (total is not None and value > total):
        limit = "" if total is None else f" and at most endpoints_total ({total})"
        raise PayloadRejected("bad_value", f"field {name!r} is {value}, expected >= 0{limit}")
    return value


def _refuse_keys(obj: dict[str, Any], keys: frozenset[str], event: str) -> None:
    present = sorted(k for k in obj if k in keys)
    if present:
        raise PayloadRejected(
            "bad_value", f"field {present[0]!r} is not allowed with event {event!r}"
        )


def _inventory(obj: dict[str, Any]) -> dict[str, FieldValue]:
    _refuse_keys(obj, EVENT_KEYS, "inventory")
    for name in ("endpoints_total", "endpoints_reporting"):
        if name not in obj:
            raise missing(name)
    total = _count(obj, "endpoints_total")
    fields: dict[str, FieldValue] = {
        "endpoints_total": total,
        "endpoints_reporting": _count(obj, "endpoints_reporting", total),
    }
    if "agents_outdated" in obj:
        fields["agents_outdated"] = _count(obj, "agents_outdated", total)
    return fields


def _event(obj: dict[str, Any], event: str, tags: dict[str, str]) -> dict[str, FieldValue]:
    _refuse_keys(obj, COUNT_KEYS, event)
    if "severity" not in obj:
        raise missing("severity")
    tags["severity"] = as_choice(obj["severity"], "severity", SECURITY_SEVERITIES)
    if "action" in obj:
        tags["action"] = as_choice(obj["action"], "action", SECURITY_ACTIONS)
    fields: dict[str, FieldValue] = {"events": 1}
    if event.startswith("incident_") and "incident_id" not in obj:
        raise missing("incident_id")
    if "incident_id" in obj:
        incident = as_str(obj["incident_id"], "incident_id")
        if not INCIDENT_ID_RE.fullmatch(incident):
            raise PayloadRejected(
                "bad_value",
                f"field 'incident_id' is {describe(incident)}, expected {INCIDENT_ID_RE.pattern}",
            )
        fields["incident_id"] = incident
    if event.startswith(("malware_", "endpoint_")) and "endpoint" not in obj:
        raise missing("endpoint")
    for name in ("endpoint", "threat"):
        if name in obj:
            fields[name] = _text(obj, name)
    return fields


def parse(topic: Topic, payload: bytes, received_ns: int) -> list[Reading]:
    """Turn one security event (or inventory) into one reading."""
    obj = load_object(payload, "security")
    check_keys(obj, KEYS, "the security payload")
    for name in ("system", "agency", "event"):
        if name not in obj:
            raise missing(name)
    event = as_choice(obj["event"], "event", SECURITY_EVENTS)
    tags = {
        "district": topic.district or "",
        "source": topic.source,
        "system": as_choice(obj["system"], "system", SECURITY_SYSTEMS),
        "agency": as_slug(obj["agency"], "agency", AGENCY_MAX_LEN),
        "event": event,
    }
    fields = _inventory(obj) if event == "inventory" else _event(obj, event, tags)
    time_ms = reading_time_ns(obj, received_ns) // NS_PER_MS
    time_ns = time_ms * NS_PER_MS + zlib.crc32(payload) % SPREAD_NS
    return [Reading(MEASUREMENT, time_ns, tags, fields)]
