"""What every feed parser shares: the `Feed` registry entry, JSON loading, type checks, times.

All helpers are pure and raise `ioc.errors.PayloadRejected` with one of its reason codes and a
sentence naming the field and the offending value.

Decisions that hold for every feed (the wire contract leaves them open):

- Payload JSON is decoded with orjson; invalid UTF-8 is `bad_encoding`, anything else orjson
  refuses (syntax, BOM, numbers overflowing a double) is `bad_json`.
- JSON types are strict. Booleans are never numbers; `null` is never "absent"; a count (an
  integer field) must be a JSON integer, so `12.0` is `wrong_type` — this keeps every stored
  field's type stable. A measured value (a float field) accepts JSON integers and floats.
- Unknown keys are `unknown_name` (the contract is strict: misspelt keys would silently drop data).
- Times (`ts`, servicedesk `due`) are either an RFC 3339 string with an offset (`Z`, `+07:00`;
  `T`, `t` or a space between date and time; any number of fraction digits, kept to the
  nanosecond) or epoch milliseconds as a JSON integer. A float or boolean is `wrong_type`; any
  string that is not RFC 3339 with an offset — a naive time, or a string of digits — is
  `bad_time`. A leap second (`:60`) is `bad_time`.
- A reading's time must be on or after 2000-01-01T00:00:00Z and at most one day after the
  collector received the message (`bad_time`); without `ts` it takes the receive time.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import orjson

from collectors.topics import Topic
from ioc.errors import PayloadRejected
from ioc.feeds import FeedSpec
from ioc.model import NS_PER_MS, NS_PER_S, Reading

Parser = Callable[[Topic, bytes, int], list[Reading]]


@dataclass(frozen=True, slots=True)
class Feed:
    """One entry of the collectors' feed registry: the catalogue spec and its pure parser."""

    spec: FeedSpec
    parse: Parser

    @property
    def name(self) -> str:
        return self.spec.name


MIN_TIME_NS = 946_684_800 * NS_PER_S  # 2000-01-01T00:00:00Z
MAX_AHEAD_NS = 86_400 * NS_PER_S  # a reading may be at most one day ahead of its receipt
_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()
_SLUG_RE = re.compile(r"[a-z0-9-]+")

_RFC3339_RE = re.compile(
    r"([0-9]{4})-([0-9]{2})-([0-9]{2})[Tt ]([0-9]{2}):([0-9]{2}):([0-9]{2})"
    r"(?:\.([0-9]+))?(?:([Zz])|([+-])([0-9]{2}):([0-9]{2}))"
)
_NAIVE_RE = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt ][0-9]{2}:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]+)?)?"
)


# --- describing values in details ---------------------------------------------------------------


def describe(value: object) -> str:
    """A short English phrase for a JSON value: 'the string "38.2"', 'true', 'an object'…"""
    if value is None:
        return "null"
    if value is True or value is False:
        return "true" if value else "false"
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list):
        return "an array"
    text = orjson.dumps(value).decode() if not isinstance(value, float) else repr(value)
    if len(text) > 60:
        text = text[:57] + "..."
    kind = {str: "the string", int: "the integer", float: "the number"}.get(type(value), "")
    return f"{kind} {text}".strip()


def fmt_ns(time_ns: int) -> str:
    """Epoch nanoseconds as an RFC 3339 UTC string, for details."""
    try:
        return datetime.fromtimestamp(time_ns / NS_PER_S, UTC).isoformat().replace("+00:00", "Z")
    except (OverflowError, ValueError, OSError):
        return f"{time_ns} ns since the epoch"


# --- JSON ---------------------------------------------------------------------------------------


def not_utf8(payload: bytes, error: UnicodeDecodeError, what: str = "payload") -> PayloadRejected:
    """The `bad_encoding` rejection for a payload that failed UTF-8 decoding."""
    byte = payload[error.start]
    return PayloadRejected(
        "bad_encoding", f"{what} is not UTF-8: the byte at offset {error.start} is {byte:#04x}"
    )


def load_json(payload: bytes) -> Any:
    """Decode a JSON payload; `bad_encoding` if it is not UTF-8, `bad_json` if not JSON."""
    try:
        return orjson.loads(payload)
    except orjson.JSONDecodeError as exc:
        try:
            payload.decode("utf-8")
        except UnicodeDecodeError as bad:
            raise not_utf8(payload, bad) from None
        raise PayloadRejected("bad_json", f"payload is not valid JSON: {exc}") from None


def load_object(payload: bytes, feed: str) -> dict[str, Any]:
    """Decode a payload that must be a JSON object."""
    obj = load_json(payload)
    if type(obj) is not dict:
        raise PayloadRejected(
            "bad_shape", f"a {feed} payload must be a JSON object, got {describe(obj)}"
        )
    return obj


def check_keys(obj: dict[str, Any], allowed: frozenset[str], where: str) -> None:
    """Reject keys outside `allowed` as `unknown_name`."""
    for key in obj:
        if key not in allowed:
            expected = ", ".join(sorted(allowed))
            raise PayloadRejected(
                "unknown_name", f"unknown key {key!r} in {where}; expected keys: {expected}"
            )


# --- typed access -------------------------------------------------------------------------------


def missing(name: str) -> PayloadRejected:
    return PayloadRejected("missing_field", f"field {name!r} is required and missing")


def wrong_type(name: str, value: object, expected: str) -> PayloadRejected:
    return PayloadRejected(
        "wrong_type", f"field {name!r} must be {expected}, got {describe(value)}"
    )


def as_str(value: object, name: str) -> str:
    if type(value) is not str:
        raise wrong_type(name, value, "a string")
    return value


def as_float(value: object, name: str) -> float:
    """A JSON number (integer or float, never a boolean) as a finite float."""
    if type(value) is float:
        result = value
    elif type(value) is int:
        result = float(value)
    else:
        raise wrong_type(name, value, "a number")
    if not math.isfinite(result):
        raise PayloadRejected("bad_value", f"field {name!r} is {describe(value)}, not finite")
    return result


def as_int(value: object, name: str) -> int:
    """A JSON integer (never a float such as 12.0, never a boolean)."""
    if type(value) is not int:
        raise wrong_type(name, value, "an integer")
    return value


def check_range(name: str, value: float, low: float, high: float) -> None:
    """`bad_value` unless low <= value <= high (inclusive)."""
    if not low <= value <= high:
        raise PayloadRejected(
            "bad_value", f"field {name!r} is {value!r}, outside the range {low:g} to {high:g}"
        )


def as_slug(value: object, name: str, max_len: int) -> str:
    """A lowercase slug [a-z0-9-]{1,max_len}."""
    text = as_str(value, name)
    if len(text) > max_len or not _SLUG_RE.fullmatch(text):
        raise PayloadRejected(
            "bad_value",
            f"field {name!r} is {describe(text)}, expected a slug [a-z0-9-]{{1,{max_len}}}",
        )
    return text


def as_choice(value: object, name: str, choices: tuple[str, ...]) -> str:
    text = as_str(value, name)
    if text not in choices:
        raise PayloadRejected(
            "bad_value", f"field {name!r} is {describe(text)}, expected one of {', '.join(choices)}"
        )
    return text


# --- times --------------------------------------------------------------------------------------


def _rfc3339_ns(text: str, name: str) -> int:
    m = _RFC3339_RE.fullmatch(text)
    if m is None:
        if _NAIVE_RE.fullmatch(text):
            raise PayloadRejected(
                "bad_time", f"field {name!r} is {describe(text)}, a time without a UTC offset"
            )
        raise PayloadRejected(
            "bad_time",
            f"field {name!r} is {describe(text)}, expected RFC 3339 with an offset "
            "or epoch milliseconds as an integer",
        )
    year, month, day, hour, minute, second, frac, zulu, sign, off_h, off_m = m.groups()
    try:
        days = date(int(year), int(month), int(day)).toordinal() - _EPOCH_ORDINAL
    except ValueError:
        raise PayloadRejected(
            "bad_time", f"field {name!r} is {describe(text)}, which is not a calendar date"
        ) from None
    h, mi, s = int(hour), int(minute), int(second)
    offset = 0
    if zulu is None:
        oh, om = int(off_h), int(off_m)
        if oh > 23 or om > 59:
            raise PayloadRejected(
                "bad_time", f"field {name!r} is {describe(text)}, whose UTC offset is out of range"
            )
        offset = (oh * 3600 + om * 60) * (1 if sign == "+" else -1)
    if h > 23 or mi > 59 or s > 59:
        raise PayloadRejected(
            "bad_time", f"field {name!r} is {describe(text)}, whose time of day is out of range"
        )
    secs = days * 86_400 + h * 3600 + mi * 60 + s - offset
    ns = int(frac[:9].ljust(9, "0")) if frac else 0
    return secs * NS_PER_S + ns


def timestamp_ns(value: object, name: str) -> int:
    """An RFC 3339 string with offset, or epoch milliseconds as a JSON integer, in epoch ns."""
    if type(value) is str:
        return _rfc3339_ns(value, name)
    if type(value) is int:
        return value * NS_PER_MS
    raise wrong_type(name, value, "an RFC 3339 string or epoch milliseconds as an integer")


def check_time(time_ns: int, name: str, received_ns: int) -> int:
    """`bad_time` unless 2000-01-01 <= time <= receive time + 1 day; returns time_ns."""
    if time_ns < MIN_TIME_NS:
        raise PayloadRejected(
            "bad_time", f"field {name!r} is {fmt_ns(time_ns)}, before 2000-01-01T00:00:00Z"
        )
    if time_ns > received_ns + MAX_AHEAD_NS:
        raise PayloadRejected(
            "bad_time",
            f"field {name!r} is {fmt_ns(time_ns)}, more than one day after the receive time "
            f"{fmt_ns(received_ns)}",
        )
    return time_ns


def reading_time_ns(obj: dict[str, Any], received_ns: int) -> int:
    """The time of a JSON-object payload: its `ts`, checked, or the receive time."""
    value = obj.get("ts")
    if value is None and "ts" not in obj:
        return received_ns
    return check_time(timestamp_ns(value, "ts"), "ts", received_ns)
