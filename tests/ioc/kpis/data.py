"""Hand-built readings for the KPI tests, shaped exactly as the feed parsers store them."""

import zlib
from datetime import datetime, timedelta, timezone

import pandas as pd

from ioc.model import NS_PER_MS, Reading

VN = timezone(timedelta(hours=7))


def ms(day: int, hour: int = 0, minute: int = 0, second: int = 0, month: int = 7) -> int:
    """Epoch ms of 2020-<month>-<day> <hour>:<minute>:<second> in Asia/Ho_Chi_Minh."""
    return int(datetime(2020, month, day, hour, minute, second, tzinfo=VN).timestamp() * 1000)


def ticket(ticket_id, event, at_ms, district, channel=None, due_ms=None, satisfaction=None):
    """A servicedesk reading as collectors/feeds/servicedesk.py makes it (per-ticket ns offset)."""
    tags = {"district": district, "source": f"desk-{district}", "event": event}
    if channel:
        tags["channel"] = channel
    if event == "received":
        tags["service"] = "cap-giay-phep-xay-dung"
    fields = {"ticket_id": ticket_id}
    if due_ms is not None:
        fields["due_ms"] = due_ms
    if satisfaction is not None:
        fields["satisfaction"] = satisfaction
    time_ns = at_ms * NS_PER_MS + zlib.crc32(ticket_id.encode()) % 1_000_000
    return Reading("servicedesk", time_ns, tags, fields)


def sensor(source, district, kind, at_ms, **values):
    tags = {"district": district, "source": source, "kind": kind}
    return Reading("sensor", at_ms * NS_PER_MS, tags, {k: float(v) for k, v in values.items()})


def camera(source, district, site, at_ms, **values):
    tags = {"district": district, "source": source, "site": site}
    return Reading("camera", at_ms * NS_PER_MS, tags, dict(values))


def status(source, at_ms, online, district=""):
    tags = {"district": district, "source": source}
    return Reading("status", at_ms * NS_PER_MS, tags, {"online": 1 if online else 0})


def frame(readings):
    """What Storage.records()/latest() return for these readings: newest first, NaN for gaps."""
    rows = [
        {"time": r.time_ns, **{k: v for k, v in r.tags.items() if v}, **r.fields}
        for r in sorted(readings, key=lambda r: r.time_ns, reverse=True)
    ]
    if not rows:
        return pd.DataFrame({"time": pd.Series([], dtype="datetime64[ns, UTC]")})
    df = pd.DataFrame(rows)
    df["time"] = pd.to_datetime(df["time"], unit="ns", utc=True)
    return df
