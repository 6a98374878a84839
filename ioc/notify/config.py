"""Notification channels and routes, read from the alert-rules file (IOC_ALERT_RULES_FILE).

Besides its `[[rule]]` tables (ioc.alerts.rules) the file may hold

    [[channel]]
    id = "truc-ban"                      # referenced by routes; also the outbox's channel name
    kind = "email"                       # email (SMTP server: IOC_SMTP_*) or webhook
    to = ["truc.ban@caobang.gov.vn"]     # email: recipients
    quiet_hours = "22:00-06:00"          # optional, local time (UTC+07:00): non-critical
                                         # notifications wait until the quiet hours end

    [[channel]]
    id = "he-thong-tinh"
    kind = "webhook"
    url = "https://hooks.example.vn/ioc" # JSON POST (token: IOC_WEBHOOK_TOKEN)

    [[route]]
    channels = ["truc-ban", "he-thong-tinh"]
    severities = ["critical", "warning"] # default: all
    scopes = ["source:*", "district:*"]  # fnmatch patterns on the alert's scope; default: all
    rules = ["water.*"]                  # fnmatch patterns on the rule id; default: all
    events = ["raised", "escalated"]     # of raised, escalated, cleared; default raised+escalated

An alert transition goes to the union of the channels of every route it matches. No `[[route]]`
(or no file): no notifications. A bad table stops start-up with a ValueError naming it.
"""

from __future__ import annotations

import fnmatch
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from ioc.feeds import SEVERITIES

ChannelKind = Literal["email", "webhook"]
Event = Literal["raised", "escalated", "cleared"]
EVENTS: tuple[Event, ...] = ("raised", "escalated", "cleared")
MINUTES_PER_DAY = 24 * 60


@dataclass(frozen=True, slots=True)
class QuietHours:
    """[start, end) in local minutes of the day; wraps past midnight when start > end."""

    start_min: int
    end_min: int

    @classmethod
    def parse(cls, text: str) -> QuietHours:
        """`"22:00-06:00"` → QuietHours(1320, 360). Raises ValueError."""
        try:
            start, end = (_minutes(part) for part in text.split("-"))
        except ValueError:
            raise ValueError(f"quiet_hours {text!r}: expected HH:MM-HH:MM") from None
        if start == end:
            raise ValueError(f"quiet_hours {text!r}: start and end are the same")
        return cls(start, end)

    def contains(self, local_min: int) -> bool:
        if self.start_min < self.end_min:
            return self.start_min <= local_min < self.end_min
        return local_min >= self.start_min or local_min < self.end_min

    def minutes_left(self, local_min: int) -> int:
        """Minutes from `local_min` (inside the quiet hours) to their end."""
        return (self.end_min - local_min) % MINUTES_PER_DAY


def _minutes(text: str) -> int:
    hours, minutes = text.strip().split(":")
    h, m = int(hours), int(minutes)
    if not (0 <= h < 24 and 0 <= m < 60):
        raise ValueError(text)
    return h * 60 + m


@dataclass(frozen=True, slots=True)
class Channel:
    id: str
    kind: ChannelKind
    to: tuple[str, ...] = ()
    url: str = ""
    quiet_hours: QuietHours | None = None


@dataclass(frozen=True, slots=True)
class Route:
    channels: tuple[str, ...]
    severities: tuple[str, ...] = SEVERITIES
    scopes: tuple[str, ...] = ("*",)
    rules: tuple[str, ...] = ("*",)
    events: tuple[Event, ...] = ("raised", "escalated")

    def matches(self, rule: str, scope: str, severity: str, event: Event) -> bool:
        return (
            event in self.events
            and severity in self.severities
            and any(fnmatch.fnmatchcase(scope, p) for p in self.scopes)
            and any(fnmatch.fnmatchcase(rule, p) for p in self.rules)
        )


@dataclass(frozen=True, slots=True)
class NotifyConfig:
    channels: Mapping[str, Channel]
    routes: tuple[Route, ...]

    def channels_for(self, rule: str, scope: str, severity: str, event: Event) -> list[Channel]:
        wanted: list[str] = []
        for route in self.routes:
            if route.matches(rule, scope, severity, event):
                wanted += [c for c in route.channels if c not in wanted]
        return [self.channels[c] for c in wanted]

    @property
    def enabled(self) -> bool:
        return bool(self.routes)


NO_NOTIFICATIONS = NotifyConfig({}, ())


def _strings(table: Mapping[str, Any], key: str, where: str) -> tuple[str, ...] | None:
    if key not in table:
        return None
    value = table[key]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value) or not value:
        raise ValueError(f"{where}: {key} must be a non-empty list of strings")
    return tuple(value)


def channel_from_dict(data: Mapping[str, Any]) -> Channel:
    where = f"[[channel]] {data.get('id')!r}"
    unknown = set(data) - {"id", "kind", "to", "url", "quiet_hours"}
    if unknown:
        raise ValueError(f"{where}: unknown keys {sorted(unknown)}")
    ident = data.get("id")
    if not isinstance(ident, str) or not ident:
        raise ValueError(f"{where}: needs an id")
    kind = data.get("kind")
    quiet = QuietHours.parse(data["quiet_hours"]) if data.get("quiet_hours") else None
    if kind == "email":
        to = _strings(data, "to", where)
        if not to or not all("@" in address for address in to):
            raise ValueError(f"{where}: an email channel needs `to` addresses")
        return Channel(ident, "email", to=to, quiet_hours=quiet)
    if kind == "webhook":
        url = data.get("url")
        if not isinstance(url, str) or not url.startswith(("http://", "https://")):
            raise ValueError(f"{where}: a webhook channel needs an http(s) `url`")
        return Channel(ident, "webhook", url=url, quiet_hours=quiet)
    raise ValueError(f"{where}: kind must be 'email' or 'webhook', not {kind!r}")


def route_from_dict(data: Mapping[str, Any], channels: Mapping[str, Channel]) -> Route:
    where = f"[[route]] to {data.get('channels')!r}"
    unknown = set(data) - {"channels", "severities", "scopes", "rules", "events"}
    if unknown:
        raise ValueError(f"{where}: unknown keys {sorted(unknown)}")
    names = _strings(data, "channels", where)
    if not names:
        raise ValueError(f"{where}: needs channels")
    missing = [n for n in names if n not in channels]
    if missing:
        raise ValueError(f"{where}: unknown channels {missing}")
    severities = _strings(data, "severities", where) or SEVERITIES
    if set(severities) - set(SEVERITIES):
        raise ValueError(f"{where}: severities must be among {SEVERITIES}")
    events = _strings(data, "events", where) or ("raised", "escalated")
    if set(events) - set(EVENTS):
        raise ValueError(f"{where}: events must be among {EVENTS}")
    return Route(
        channels=names,
        severities=severities,
        scopes=_strings(data, "scopes", where) or ("*",),
        rules=_strings(data, "rules", where) or ("*",),
        events=tuple(e for e in EVENTS if e in events),
    )


def config_from_document(document: Mapping[str, Any]) -> NotifyConfig:
    channels: dict[str, Channel] = {}
    for entry in document.get("channel", []):
        channel = channel_from_dict(entry)
        if channel.id in channels:
            raise ValueError(f"duplicate channel id {channel.id!r}")
        channels[channel.id] = channel
    routes = tuple(route_from_dict(r, channels) for r in document.get("route", []))
    return NotifyConfig(channels, routes)


def load_notify_config(path: str | Path | None) -> NotifyConfig:
    """The channels and routes of the alert-rules file (none without a file)."""
    if not path:
        return NO_NOTIFICATIONS
    with open(path, "rb") as handle:
        return config_from_document(tomllib.load(handle))


def kinds_used(config: NotifyConfig) -> Sequence[ChannelKind]:
    return sorted({c.kind for c in config.channels.values()})
