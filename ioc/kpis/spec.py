"""What a KPI is (`KpiSpec`), what one computed value is (`KpiValue`), scopes and windows.

A spec is data: the wall screen renders tiles from the registry (`ioc.kpis.registry.KPIS`) and
never hard-codes a KPI. A value is what the formulas in this package return, what the live state
keeps and what `ioc kpi --json` prints.

Scopes are strings, so they can be tags, Redis keys and JSON without translation:

    province                         the whole province
    district:<slug>                  one district (ioc.places.DISTRICTS)
    site:<slug>                      one place with cameras (ioc.places.PLACES)
    source:<id>                      one device or desk (the topic's last segment)
    feed:<feed>                      one feed, province-wide
    feed:<feed>/district:<slug>      one feed in one district

Windows, all ending at the evaluation time `now` (epoch ms):

    now       the state at `now` (backlog, latest level, device online…)
    1h        the last hour, [now - 1 h, now]
    today     the local day so far: from 00:00 Asia/Ho_Chi_Minh (UTC+07:00) to now
    24h       the rolling 24 hours, [now - 24 h, now]
    7d        the rolling 7 days, [now - 7 × 24 h, now]
    30d       the rolling 30 days, [now - 30 × 24 h, now]
    nowcast   the hourly VN_AQI: the last 12 clock hours (see ioc.kpis.air)

Every spec also says, as typed data and never as prose to be parsed, what it derives from
(`Derives`: feeds, sensor kind, camera site, fields), its wall group and its drill-down
(`Drilldown`: the page and the filter that page opens with; `ioc.kpis.drilldown.drilldown_href`
turns it and a value's scope into a link).

A spec holds no thresholds: the one threshold definition is the alert rules (ioc.alerts.rules).
A spec says only which way is good (`direction`: which of several values is the worst). A
value is made here with status `unrated` (`no_data` without a number); the KPI engine then
judges it by the alert states of the rules watching it (`ioc.alerts.status.rate`): `critical`
or `warning` while such an alert is open for its scope, `ok` when rules watch it and none is
open, `unrated` when no rule watches it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from ioc.kpis.fold import Fold, KpiContext
from ioc.localtime import LOCAL_OFFSET_MS

Direction = Literal["higher_is_better", "lower_is_better"]
Status = Literal["ok", "warning", "critical", "unrated", "no_data"]
Window = Literal["now", "1h", "today", "24h", "7d", "30d", "nowcast"]
ScopeKind = Literal["province", "district", "site", "source", "feed", "feed_district"]
Group = Literal["city", "services", "security", "health"]
GROUPS: tuple[Group, ...] = ("city", "services", "security", "health")

WINDOWS: tuple[Window, ...] = ("now", "1h", "today", "24h", "7d", "30d", "nowcast")
HOUR_MS = 3_600_000
DAY_MS = 24 * HOUR_MS
PROVINCE = "province"


def scope_district(district: str) -> str:
    return f"district:{district}"


def scope_site(site: str) -> str:
    return f"site:{site}"


def scope_source(source: str) -> str:
    return f"source:{source}"


def scope_feed(feed: str, district: str | None = None) -> str:
    return f"feed:{feed}" if district is None else f"feed:{feed}/district:{district}"


def parse_scope(scope: str) -> dict[str, str]:
    """`feed:sensor/district:hoa-an` -> {"feed": "sensor", "district": "hoa-an"}; province -> {}."""
    if scope == PROVINCE:
        return {}
    parts: dict[str, str] = {}
    for part in scope.split("/"):
        kind, sep, name = part.partition(":")
        if not sep or not name or kind not in {"district", "site", "source", "feed"}:
            raise ValueError(f"not a scope: {scope!r}")
        parts[kind] = name
    return parts


def scope_kind(scope: str) -> ScopeKind:
    parts = parse_scope(scope)
    if not parts:
        return "province"
    if set(parts) == {"feed", "district"}:
        return "feed_district"
    if len(parts) != 1:
        raise ValueError(f"not a scope: {scope!r}")
    kind = next(iter(parts))
    if kind == "district":
        return "district"
    if kind == "site":
        return "site"
    if kind == "source":
        return "source"
    return "feed"


def local_day_start_ms(now_ms: int) -> int:
    """Epoch ms of 00:00 Asia/Ho_Chi_Minh on the local day containing `now_ms`."""
    return (now_ms + LOCAL_OFFSET_MS) // DAY_MS * DAY_MS - LOCAL_OFFSET_MS


def hour_start_ms(ts_ms: int) -> int:
    """Start of the clock hour containing `ts_ms` (UTC and local hours coincide)."""
    return ts_ms // HOUR_MS * HOUR_MS


def window_start_ms(window: Window, now_ms: int) -> int:
    """The first instant of a window ending at `now_ms` (inclusive at both ends)."""
    if window == "now":
        return now_ms
    if window == "1h":
        return now_ms - HOUR_MS
    if window == "today":
        return local_day_start_ms(now_ms)
    if window == "24h":
        return now_ms - DAY_MS
    if window == "7d":
        return now_ms - 7 * DAY_MS
    if window == "30d":
        return now_ms - 30 * DAY_MS
    if window == "nowcast":
        return hour_start_ms(now_ms) - 11 * HOUR_MS
    raise ValueError(f"unknown window {window!r}; expected one of {WINDOWS}")


@dataclass(frozen=True, slots=True)
class Derives:
    """What a KPI is computed from: the feeds (= measurements) it reads and, when it reads a part
    of one, the sensor `kind`, the camera `site` and the `fields`. `note` says in words what else
    it uses (configuration, live counters) — for people only; no code reads it.

    `feed` is the one feed behind the KPI, None when it spans several (device health): a tile
    judges its data's age by that feed's expected interval.
    """

    feeds: tuple[str, ...]
    fields: tuple[str, ...] = ()
    kind: str | None = None
    site: str | None = None
    tags: tuple[str, ...] = ()  # tags it groups or filters by (channel, event…)
    note: str = ""

    @property
    def feed(self) -> str | None:
        return self.feeds[0] if len(self.feeds) == 1 else None

    def __str__(self) -> str:
        parts = [f"measurement {'/'.join(self.feeds) or '—'}"]
        parts += [f"{key} {value}" for key, value in (("kind", self.kind), ("site", self.site))]
        text = ", ".join(p for p in parts if not p.endswith(" None"))
        if self.fields:
            text += ": " + ", ".join(self.fields)
        if self.tags:
            text += "; tags " + ", ".join(self.tags)
        return f"{text}; {self.note}" if self.note else text


@dataclass(frozen=True, slots=True)
class Drilldown:
    """Where a click on a KPI leads: a dashboard page (`/environment`) and the filter it opens
    with (`kind`, `field`, `site`, `source`, `district`, `feed`, `event`, `channel` …). A value's
    scope adds its district, site, source or feed (see `ioc.kpis.drilldown.drilldown_href`)."""

    page: str
    params: Mapping[str, str] = field(default_factory=dict, hash=False)

    def __post_init__(self) -> None:
        if not self.page.startswith("/"):
            raise ValueError(f"drill-down page {self.page!r} must start with '/'")


@dataclass(frozen=True, slots=True)
class KpiSpec:
    """One KPI, documented: names, unit, formula, scopes, windows, what it derives from, its wall
    group and drill-down, target and which way is good (`direction`; its thresholds are the alert
    rules watching it, never here) — and its own compute function `value_fn`
    (the values at `ctx.now_ms`) with the state it folds over, `folds` (Home Assistant's entity
    descriptions with their `value_fn` are the model)."""

    id: str
    name_vi: str
    name_en: str
    unit: str  # display unit: "%", "h", "tickets", "AQI", "m", "people", …
    formula: str  # the definition in words, precise enough to recompute by hand
    scopes: tuple[ScopeKind, ...]
    windows: tuple[Window, ...]
    derives_from: Derives
    group: Group
    drilldown: Drilldown
    target: float | None = None
    direction: Direction = "lower_is_better"
    value_fn: Callable[[KpiContext], Iterable[KpiValue]] | None = field(default=None, compare=False)
    folds: tuple[Fold[Any], ...] = ()

    def __post_init__(self) -> None:
        for window in self.windows:
            if window not in WINDOWS:
                raise ValueError(f"KPI {self.id}: unknown window {window!r}")
        if not self.scopes or not self.windows:
            raise ValueError(f"KPI {self.id}: needs at least one scope and one window")
        if self.group not in GROUPS:
            raise ValueError(f"KPI {self.id}: unknown group {self.group!r}; expected {GROUPS}")
        if self.direction not in ("higher_is_better", "lower_is_better"):
            raise ValueError(f"KPI {self.id}: unknown direction {self.direction!r}")


RESERVED_KEYS = frozenset({"id", "scope", "window", "value", "unit", "ts", "status"})


@dataclass(frozen=True, slots=True)
class KpiValue:
    """One computed value of one KPI for one scope and window at time `ts_ms`.

    `extra` carries what a tile needs besides the number (AQI band name and colour, the counts
    behind a rate…); its keys must not clash with the top-level keys of `to_dict()`.
    """

    id: str
    scope: str
    window: Window
    value: float | None
    unit: str
    ts_ms: int
    status: Status
    extra: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        clash = RESERVED_KEYS & set(self.extra)
        if clash:
            raise ValueError(f"KpiValue extra keys {sorted(clash)} clash with its own keys")

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.id, self.scope, self.window)

    def to_dict(self) -> dict[str, Any]:
        """The JSON form: {"id", "scope", "window", "value", "unit", "ts", "status", **extra}."""
        return {
            "id": self.id,
            "scope": self.scope,
            "window": self.window,
            "value": self.value,
            "unit": self.unit,
            "ts": self.ts_ms,
            "status": self.status,
            **self.extra,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> KpiValue:
        extra = {k: v for k, v in data.items() if k not in RESERVED_KEYS}
        value = data["value"]
        return cls(
            id=data["id"],
            scope=data["scope"],
            window=data["window"],
            value=None if value is None else float(value),
            unit=data["unit"],
            ts_ms=int(data["ts"]),
            status=data["status"],
            extra=extra,
        )


def make_value(
    spec: KpiSpec,
    scope: str,
    window: Window,
    value: float | None,
    ts_ms: int,
    **extra: Any,
) -> KpiValue:
    """A KpiValue of `spec`, not yet judged: status `unrated` (`no_data` without a number). The
    KPI engine judges it by the alert rules (`ioc.alerts.status.rate`)."""
    if window not in spec.windows:
        raise ValueError(f"KPI {spec.id} is not defined for window {window!r}")
    kind = scope_kind(scope)
    if kind not in spec.scopes:
        raise ValueError(f"KPI {spec.id} is not defined for scope {scope!r}")
    number = None if value is None else float(value)
    status: Status = "no_data" if number is None else "unrated"
    return KpiValue(spec.id, scope, window, number, spec.unit, ts_ms, status, extra)
