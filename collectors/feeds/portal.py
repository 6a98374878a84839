"""Portal feed: one availability check of one web portal per message.

Topic `ioc/portal/<district>/<site_id>`. Measurement `portal`; tags `district`, `source` (the
site id: the topic's last segment). Fields:

    up             int    required JSON boolean: 1 up, 0 down
    status         int    optional HTTP status, 100-599
    response_ms    float  optional, 0 <= response_ms <= 600,000
    tls_days_left  int    optional JSON integer, -36,500 to 36,500 (negative: expired)
    url            str    optional, an http:// or https:// URL of at most 2,048 characters
    error          str    optional free text of at most 200 characters, why a check failed

The payload is one JSON object with exactly the keys `ts`, `up`, `status`, `response_ms`,
`tls_days_left`, `url`, `error`; any other key is `unknown_name`. A portal is checked once per
interval, so a point per source and millisecond is enough (a repeated check rewrites it).
"""

from __future__ import annotations

from collectors.feeds.base import (
    as_float,
    as_int,
    as_str,
    check_keys,
    check_range,
    describe,
    load_object,
    missing,
    reading_time_ns,
    wrong_type,
)
from collectors.topics import Topic
from ioc.errors import PayloadRejected
from ioc.feeds.portal import ERROR_MAX_LEN, SPEC, URL_MAX_LEN
from ioc.model import FieldValue, Reading

MEASUREMENT = SPEC.measurement
KEYS = frozenset({"ts", "up", "status", "response_ms", "tls_days_left", "url", "error"})
MAX_RESPONSE_MS = 600_000.0
MAX_TLS_DAYS = 36_500


def parse(topic: Topic, payload: bytes, received_ns: int) -> list[Reading]:
    """Turn one portal check into one reading."""
    obj = load_object(payload, "portal")
    check_keys(obj, KEYS, "the portal payload")
    if "up" not in obj:
        raise missing("up")
    if type(obj["up"]) is not bool:
        raise wrong_type("up", obj["up"], "true or false")
    fields: dict[str, FieldValue] = {"up": 1 if obj["up"] else 0}
    if "status" in obj:
        status = as_int(obj["status"], "status")
        check_range("status", status, 100, 599)
        fields["status"] = status
    if "response_ms" in obj:
        response = as_float(obj["response_ms"], "response_ms")
        check_range("response_ms", response, 0.0, MAX_RESPONSE_MS)
        fields["response_ms"] = response
    if "tls_days_left" in obj:
        days = as_int(obj["tls_days_left"], "tls_days_left")
        check_range("tls_days_left", days, -MAX_TLS_DAYS, MAX_TLS_DAYS)
        fields["tls_days_left"] = days
    if "url" in obj:
        url = as_str(obj["url"], "url")
        if len(url) > URL_MAX_LEN or not url.startswith(("http://", "https://")):
            raise PayloadRejected(
                "bad_value",
                f"field 'url' is {describe(url[:60])}, expected an http(s) URL of at most"
                f" {URL_MAX_LEN} characters",
            )
        fields["url"] = url
    if "error" in obj:
        error = as_str(obj["error"], "error")
        if len(error) > ERROR_MAX_LEN:
            raise PayloadRejected(
                "bad_value", f"field 'error' has {len(error)} characters, at most {ERROR_MAX_LEN}"
            )
        fields["error"] = error
    tags = {"district": topic.district or "", "source": topic.source}
    return [Reading(MEASUREMENT, reading_time_ns(obj, received_ns), tags, fields)]
