"""Service-desk feed: public-service dossiers and hotline tickets, one event per message.

Topic `ioc/servicedesk/<district>/<agency>`. Measurement `servicedesk`; tags `district`,
`source` (the agency: the topic's last segment), `event` (received, assigned, resolved,
rejected, reopened), `channel` (online_l3, online_l4, counter, hotline_1022, app; when given)
and `service` (a slug `[a-z0-9-]{1,80}`; when given). Fields:

    ticket_id     str  required, `[A-Za-z0-9_.-]{1,64}` (a field, never a tag: unbounded)
    due_ms        int  epoch ms of the `due` key (RFC 3339 with offset or epoch ms integer);
                       required on "received", optional otherwise; 2000-01-01 <= due < 2100-01-01
    satisfaction  int  1-5, JSON integer, only allowed with "resolved" (else `bad_value`)

`channel` and `service` are required on "received". The payload is one JSON object with exactly
the keys `ts`, `ticket_id`, `event`, `service`, `channel`, `due`, `satisfaction`; any other key
is `unknown_name`.

Timestamps. InfluxDB keeps one point per measurement + tag set + timestamp and silently
overwrites the rest, and two tickets received by the same desk in the same millisecond must both
survive. So the point's time is the event time truncated to the millisecond plus a per-ticket
nanosecond offset:

    time_ns = (ts_ns // 1_000_000) * 1_000_000 + zlib.crc32(ticket_id.encode()) % 1_000_000

It is deterministic — a redelivered message rewrites the identical point (idempotent; when `ts`
is absent the receive time is used, so only messages that carry `ts` are idempotent across
redelivery) — and stays inside the event's millisecond, so millisecond queries are unaffected.
Two different tickets of one desk, event, channel and service in the same millisecond collide
only when their CRCs agree modulo 10**6: probability about 1e-6 per pair.
"""

from __future__ import annotations

import re
import zlib

from collectors.feeds.base import (
    MIN_TIME_NS,
    as_choice,
    as_int,
    as_slug,
    as_str,
    check_keys,
    describe,
    fmt_ns,
    load_object,
    missing,
    reading_time_ns,
    timestamp_ns,
)
from collectors.topics import Topic
from ioc.errors import PayloadRejected
from ioc.feeds.servicedesk import SERVICEDESK_CHANNELS, SERVICEDESK_EVENTS, SPEC
from ioc.model import NS_PER_MS, FieldValue, Reading

MEASUREMENT = SPEC.measurement
KEYS = frozenset({"ts", "ticket_id", "event", "service", "channel", "due", "satisfaction"})
REQUIRED_ON_RECEIVED = ("channel", "service", "due")
TICKET_ID_RE = re.compile(r"[A-Za-z0-9_.-]{1,64}")
SERVICE_MAX_LEN = 80
MAX_DUE_NS = 4_102_444_800 * 1_000_000_000  # 2100-01-01T00:00:00Z
TICKET_SPREAD_NS = 1_000_000


def ticket_offset_ns(ticket_id: str) -> int:
    """The deterministic sub-millisecond offset that keeps same-ms tickets apart."""
    return zlib.crc32(ticket_id.encode()) % TICKET_SPREAD_NS


def parse(topic: Topic, payload: bytes, received_ns: int) -> list[Reading]:
    """Turn one service-desk event into one reading."""
    obj = load_object(payload, "servicedesk")
    check_keys(obj, KEYS, "the servicedesk payload")
    if "ticket_id" not in obj:
        raise missing("ticket_id")
    ticket_id = as_str(obj["ticket_id"], "ticket_id")
    if not TICKET_ID_RE.fullmatch(ticket_id):
        raise PayloadRejected(
            "bad_value",
            f"field 'ticket_id' is {describe(ticket_id)}, expected {TICKET_ID_RE.pattern}",
        )
    if "event" not in obj:
        raise missing("event")
    event = as_choice(obj["event"], "event", SERVICEDESK_EVENTS)
    if event == "received":
        for name in REQUIRED_ON_RECEIVED:
            if name not in obj:
                raise PayloadRejected(
                    "missing_field", f"field {name!r} is required on event 'received' and missing"
                )
    tags = {"district": topic.district or "", "source": topic.source, "event": event}
    fields: dict[str, FieldValue] = {"ticket_id": ticket_id}
    if "channel" in obj:
        tags["channel"] = as_choice(obj["channel"], "channel", SERVICEDESK_CHANNELS)
    if "service" in obj:
        tags["service"] = as_slug(obj["service"], "service", SERVICE_MAX_LEN)
    if "due" in obj:
        due_ns = timestamp_ns(obj["due"], "due")
        if not MIN_TIME_NS <= due_ns < MAX_DUE_NS:
            raise PayloadRejected(
                "bad_time", f"field 'due' is {fmt_ns(due_ns)}, outside 2000-01-01 to 2100-01-01"
            )
        fields["due_ms"] = due_ns // NS_PER_MS
    if "satisfaction" in obj:
        satisfaction = as_int(obj["satisfaction"], "satisfaction")
        if event != "resolved":
            raise PayloadRejected(
                "bad_value",
                f"field 'satisfaction' is only allowed with event 'resolved', got event {event!r}",
            )
        if not 1 <= satisfaction <= 5:
            raise PayloadRejected(
                "bad_value", f"field 'satisfaction' is {satisfaction}, expected 1 to 5"
            )
        fields["satisfaction"] = satisfaction
    time_ms = reading_time_ns(obj, received_ns) // NS_PER_MS
    time_ns = time_ms * NS_PER_MS + ticket_offset_ns(ticket_id)
    return [Reading(MEASUREMENT, time_ns, tags, fields)]
