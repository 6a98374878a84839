"""A drill-down's state in its URL, so a supervisor can send a link that opens the same view.

`ViewState.from_query(params)` reads (and sanitises: unknown values fall back to defaults, no
user text ever reaches a query) what `to_query()` writes:

    range=1h|24h|7d|30d|90d|1y|custom
    start=2026-11-28T08:00  end=2026-11-28T12:00  (local time, +07:00)
    district=hoa-an,bao-lac  source=air-nuoc-hai  kind=air  field=pm25  site=…  event=…
    channel=…  feed=…  alert=<alert id to acknowledge>  lang=vi|en  kiosk=1  rotate=SECONDS
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from datetime import datetime
from urllib.parse import urlencode

from dashboards.i18n import DEFAULT_LANG, lang_of
from ioc.localtime import LOCAL_TZ
from ioc.model import NS_PER_S
from ioc.places import DISTRICTS
from ioc.storage import TimeRange

# Ranges longer than a day read the rollup tiers (ioc.storage.rollups): 90 d and 1 y stay fast.
RANGES: dict[str, int] = {
    "1h": 3600,
    "24h": 86400,
    "7d": 7 * 86400,
    "30d": 30 * 86400,
    "90d": 90 * 86400,
    "1y": 365 * 86400,
}
DEFAULT_RANGE = "24h"
CUSTOM = "custom"
LOCAL_FORMAT = "%Y-%m-%dT%H:%M"
_SLUG = re.compile(r"[A-Za-z0-9_-]{1,64}")
_ALERT_ID = re.compile(r"[A-Za-z0-9_.:|*-]{1,200}")
_INT = re.compile(r"[0-9]{1,6}")


def _slug(value: object) -> str:
    return value if isinstance(value, str) and _SLUG.fullmatch(value) else ""


# Custom ranges are kept to what storage holds: readings before 2000 are refused at ingest, and
# epoch nanoseconds (InfluxDB, SQLite) end in 2262. Outside, the range is "invalid", not an error.
EARLIEST = datetime(2000, 1, 1, tzinfo=LOCAL_TZ)
LATEST = datetime(2200, 1, 1, tzinfo=LOCAL_TZ)


def _plain(value: object) -> object:
    if isinstance(value, str | bool):
        return value
    if isinstance(value, list | tuple):
        return [v for v in value if isinstance(v, str)]
    return None


def parse_local(value: object) -> datetime | None:
    """`2026-11-28T08:00` (local, +07:00) -> aware datetime, from 2000 to 2200; else None."""
    if not isinstance(value, str) or not value or len(value) > 40:
        return None
    try:
        moment = datetime.fromisoformat(value)
        moment = moment.replace(tzinfo=LOCAL_TZ) if moment.tzinfo is None else moment
        inside = EARLIEST <= moment < LATEST
    except (ValueError, OverflowError):
        return None
    return moment if inside else None


def format_local(moment: datetime) -> str:
    return moment.astimezone(LOCAL_TZ).strftime(LOCAL_FORMAT)


@dataclass(frozen=True, slots=True)
class ViewState:
    range: str = DEFAULT_RANGE
    start: str = ""
    end: str = ""
    district: tuple[str, ...] = ()
    source: str = ""
    kind: str = ""
    field: str = ""
    site: str = ""
    event: str = ""
    channel: str = ""
    feed: str = ""
    alert: str = ""
    lang: str = DEFAULT_LANG
    kiosk: bool = False
    rotate: int = 0

    @classmethod
    def from_query(cls, params: Mapping[str, object]) -> ViewState:
        # Crafted links and callbacks may send any JSON: keep strings (and lists of strings).
        params = {k: _plain(v) for k, v in params.items() if isinstance(k, str)}
        districts = params.get("district") or ()
        if isinstance(districts, str):
            districts = districts.split(",")
        elif not isinstance(districts, list | tuple):
            districts = ()
        rng = params.get("range")
        start = parse_local(params.get("start"))
        end = parse_local(params.get("end"))
        rotate = params.get("rotate")
        alert = params.get("alert")
        return cls(
            range=rng
            if isinstance(rng, str) and (rng in RANGES or rng == CUSTOM)
            else DEFAULT_RANGE,
            start=format_local(start) if start else "",
            end=format_local(end) if end else "",
            district=tuple(d for d in districts if d in DISTRICTS),
            source=_slug(params.get("source")),
            kind=_slug(params.get("kind")),
            field=_slug(params.get("field")),
            site=_slug(params.get("site")),
            event=_slug(params.get("event")),
            channel=_slug(params.get("channel")),
            feed=_slug(params.get("feed")),
            alert=alert if isinstance(alert, str) and _ALERT_ID.fullmatch(alert) else "",
            lang=lang_of(params.get("lang")),
            kiosk=params.get("kiosk") in ("1", "true", True),
            rotate=int(rotate) if isinstance(rotate, str) and _INT.fullmatch(rotate) else 0,
        )

    def with_(self, **changes: object) -> ViewState:
        return replace(self, **changes)  # type: ignore[arg-type]

    def to_query(self) -> str:
        """`?range=…&…` with the non-default values only ("" when everything is default)."""
        default = ViewState()
        pairs: list[tuple[str, str]] = []
        for f in fields(self):
            value = getattr(self, f.name)
            if value == getattr(default, f.name):
                continue
            if isinstance(value, tuple):
                value = ",".join(value)
            elif isinstance(value, bool):
                value = "1"
            pairs.append((f.name, str(value)))
        return "?" + urlencode(pairs, safe=",:|") if pairs else ""

    def time_range(self, now_ns: int) -> TimeRange | None:
        """The range to query; None when a custom range is incomplete or backwards."""
        if self.range in RANGES:
            return TimeRange.last(RANGES[self.range], now_ns)
        start, end = parse_local(self.start), parse_local(self.end)
        if start is None or end is None or end <= start:
            return None
        return TimeRange(int(start.timestamp() * NS_PER_S), int(end.timestamp() * NS_PER_S))


def shell_query(params: Mapping[str, object]) -> str:
    """The query that travels between pages (language, kiosk, rotation), e.g. `?lang=en`."""
    state = ViewState.from_query(params)
    keep = ViewState(lang=state.lang, kiosk=state.kiosk, rotate=state.rotate)
    return keep.to_query()
