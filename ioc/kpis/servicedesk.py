"""Service-desk KPIs: one fold of ticket events serves the live value and the history.

`ServiceDeskTally` keeps the ticket events themselves (deduplicated by ticket, time and event)
and computes every `servicedesk.*` KPI of `ioc.kpis.registry` at a time `now`. The live path adds
events as messages arrive (state round-trips through `to_dict`/`from_dict` for Redis); the history
path adds `tickets.events_from_frame(storage.records("servicedesk", …))`. Results are a function of
the events with `now - horizon <= ts <= now`, so both paths agree once both hold those events:
seed the live tally from storage on start, as for every live value.

Definitions, for a window [start, now] (`today` or `7d`, see ioc.kpis.spec):
- A ticket's events are taken in time order (same millisecond: received, assigned, resolved or
  rejected, reopened). Each event counts in its own `district` tag.
- received: received events in the window. online: those with channel online_l3 or online_l4;
  hotline: channel hotline_1022.
- A resolution is a resolved event in the window. Its due is the latest `due_ms` carried by an
  event of the ticket up to it; it is on time when resolved ts <= due (exactly at due: on time).
  on_time_rate = on time ÷ resolutions with a known due (None when there are none, never 0).
- handling hours = resolved ts − ts of the ticket's latest received event before it, for
  resolutions whose received event is known (so a reopened ticket counts from its receipt).
- satisfaction = mean of the scores given with resolutions in the window.
- backlog (window `now`): tickets whose latest event is received, assigned or reopened, in that
  event's district; overdue: those of them whose due is known and < now.
Events older than `horizon_ms` (default 30 days) are forgotten by both paths alike: a ticket with
no event for 30 days leaves the backlog.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ioc.kpis.fold import Fold, HistoryRead, KpiContext
from ioc.kpis.spec import (
    DAY_MS,
    HOUR_MS,
    PROVINCE,
    Derives,
    Drilldown,
    KpiSpec,
    KpiValue,
    Window,
    make_value,
    scope_district,
    window_start_ms,
)
from ioc.kpis.tickets import EVENT_RANK, TicketEvent
from ioc.model import Reading
from ioc.places import DISTRICTS

DEFAULT_HORIZON_MS = 30 * DAY_MS
ONLINE_CHANNELS = frozenset({"online_l3", "online_l4"})
HOTLINE = "hotline_1022"
OPEN_AFTER = frozenset({"received", "assigned", "reopened"})


@dataclass(slots=True)
class ServiceDeskStats:
    """The counts behind the service-desk KPIs of one scope and window."""

    received: int = 0
    received_online: int = 0
    received_hotline: int = 0
    resolved: int = 0
    resolved_with_due: int = 0
    resolved_on_time: int = 0
    handled: int = 0
    handling_ms: int = 0
    rated: int = 0
    satisfaction_sum: int = 0
    backlog: int = 0
    overdue: int = 0

    @property
    def on_time_rate(self) -> float | None:
        return _pct(self.resolved_on_time, self.resolved_with_due)

    @property
    def avg_handling_hours(self) -> float | None:
        return self.handling_ms / self.handled / HOUR_MS if self.handled else None

    @property
    def online_share(self) -> float | None:
        return _pct(self.received_online, self.received)

    @property
    def satisfaction(self) -> float | None:
        return self.satisfaction_sum / self.rated if self.rated else None


def _pct(part: int, whole: int) -> float | None:
    return 100.0 * part / whole if whole else None


class ServiceDeskTally:
    """All service-desk events of the last `horizon_ms`, folded incrementally, deduplicated."""

    def __init__(self, horizon_ms: int = DEFAULT_HORIZON_MS) -> None:
        self.horizon_ms = horizon_ms
        self._tickets: dict[str, dict[tuple[int, str], TicketEvent]] = {}

    def add(self, event: TicketEvent) -> bool:
        """Fold one event; False when it was already known (a redelivered message)."""
        events = self._tickets.setdefault(event.ticket_id, {})
        key = (event.ts_ms, event.event)
        if key in events:
            return False
        events[key] = event
        return True

    def add_all(self, events: Iterable[TicketEvent]) -> int:
        return sum(1 for e in events if self.add(e))

    def events(self) -> list[TicketEvent]:
        return sorted(
            (e for events in self._tickets.values() for e in events.values()),
            key=lambda e: (e.ticket_id, e.ts_ms, EVENT_RANK[e.event]),
        )

    def prune(self, now_ms: int) -> list[str]:
        """Forget events older than the horizon; returns their keys (to delete them in Redis)."""
        cutoff = now_ms - self.horizon_ms
        removed: list[str] = []
        for ticket_id in list(self._tickets):
            events = self._tickets[ticket_id]
            for key in [k for k in events if k[0] < cutoff]:
                removed.append(events.pop(key).key)
            if not events:
                del self._tickets[ticket_id]
        return removed

    def merge(self, other: ServiceDeskTally) -> None:
        self.add_all(other.events())

    def stats(self, start_ms: int, now_ms: int) -> dict[str, ServiceDeskStats]:
        """Counts per scope (`province` and `district:<slug>`) for the window [start, now]."""
        out: dict[str, ServiceDeskStats] = {PROVINCE: ServiceDeskStats()}
        for slug in DISTRICTS:
            out[scope_district(slug)] = ServiceDeskStats()
        cutoff = now_ms - self.horizon_ms
        for events in self._tickets.values():
            timeline = sorted(
                (e for e in events.values() if cutoff <= e.ts_ms <= now_ms),
                key=lambda e: (e.ts_ms, EVENT_RANK[e.event]),
            )
            due: int | None = None
            received: TicketEvent | None = None
            for e in timeline:
                if e.due_ms is not None:
                    due = e.due_ms
                in_window = start_ms <= e.ts_ms
                targets = (
                    out[PROVINCE],
                    out.setdefault(scope_district(e.district), ServiceDeskStats()),
                )
                if e.event == "received":
                    received = e
                    if in_window:
                        for s in targets:
                            s.received += 1
                            s.received_online += e.channel in ONLINE_CHANNELS
                            s.received_hotline += e.channel == HOTLINE
                elif e.event == "resolved" and in_window:
                    for s in targets:
                        _count_resolution(s, e, due, received)
            if timeline and timeline[-1].event in OPEN_AFTER:
                last = timeline[-1]
                for s in (
                    out[PROVINCE],
                    out.setdefault(scope_district(last.district), ServiceDeskStats()),
                ):
                    s.backlog += 1
                    s.overdue += due is not None and due < now_ms
        return out

    def kpis(self, now_ms: int) -> list[KpiValue]:
        """Every servicedesk KPI for every scope at `now_ms` (the specs' own `value_fn`s)."""
        ctx = KpiContext({TICKETS.name: self}, now_ms)
        return [v for spec in SPECS if spec.value_fn for v in spec.value_fn(ctx)]

    def to_dict(self) -> dict[str, Any]:
        return {"horizon_ms": self.horizon_ms, "events": [e.to_dict() for e in self.events()]}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ServiceDeskTally:
        tally = cls(int(data["horizon_ms"]))
        tally.add_all(TicketEvent.from_dict(e) for e in data["events"])
        return tally

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ServiceDeskTally) and self.to_dict() == other.to_dict()


def _count_resolution(
    s: ServiceDeskStats, e: TicketEvent, due: int | None, received: TicketEvent | None
) -> None:
    s.resolved += 1
    if due is not None:
        s.resolved_with_due += 1
        s.resolved_on_time += e.ts_ms <= due
    if received is not None:
        s.handled += 1
        s.handling_ms += e.ts_ms - received.ts_ms
    if e.satisfaction is not None:
        s.rated += 1
        s.satisfaction_sum += e.satisfaction


# -- the fold and the KPIs ------------------------------------------------------------------------


def _add_events(tally: ServiceDeskTally, readings: Sequence[Reading]) -> ServiceDeskTally:
    for reading in readings:
        tally.add(TicketEvent.from_reading(reading))
    return tally


TICKETS: Fold[ServiceDeskTally] = Fold(
    name="servicedesk",
    measurements=frozenset({"servicedesk"}),
    new=ServiceDeskTally,
    add=_add_events,
    to_dict=ServiceDeskTally.to_dict,
    from_dict=ServiceDeskTally.from_dict,
    history=(HistoryRead("servicedesk", DEFAULT_HORIZON_MS),),
    prune=ServiceDeskTally.prune,
)
WINDOWS: tuple[Window, ...] = ("today", "7d")
Measure = Callable[[ServiceDeskStats], tuple[float | None, dict[str, Any]]]


def _stats(ctx: KpiContext) -> dict[Window, dict[str, ServiceDeskStats]]:
    """The counts per window and scope, computed once per evaluation for all seven KPIs."""
    tally = ctx.part(TICKETS)
    now = ctx.now_ms
    return ctx.memo(
        "servicedesk.stats", lambda: {w: tally.stats(window_start_ms(w, now), now) for w in WINDOWS}
    )


def _windowed(ctx: KpiContext, spec: KpiSpec, measure: Measure) -> list[KpiValue]:
    values = []
    for window, per_scope in _stats(ctx).items():
        for scope, s in per_scope.items():
            value, extra = measure(s)
            values.append(make_value(spec, scope, window, value, ctx.now_ms, **extra))
    return values


def _now(
    ctx: KpiContext, spec: KpiSpec, count: Callable[[ServiceDeskStats], int]
) -> list[KpiValue]:
    """Point-in-time counts (backlog, overdue): they do not depend on the window's start."""
    per_scope = _stats(ctx)[WINDOWS[-1]]
    return [make_value(spec, scope, "now", count(s), ctx.now_ms) for scope, s in per_scope.items()]


_SD_FIELDS = ("ticket_id", "due_ms")
_SD_NOTE = "ticket events received/assigned/resolved/rejected/reopened"
_SERVICES = "/services"


def _sd(*fields: str, tags: tuple[str, ...] = ("event",)) -> Derives:
    return Derives(("servicedesk",), fields=(*_SD_FIELDS, *fields), tags=tags, note=_SD_NOTE)


ON_TIME_RATE: KpiSpec = KpiSpec(
    id="servicedesk.on_time_rate",
    name_vi="Tỷ lệ hồ sơ giải quyết đúng hạn",
    name_en="Resolved on time",
    unit="%",
    formula="100 × (resolutions in the window with resolved time <= due) ÷ (resolutions in "
    "the window whose due is known). A ticket resolved exactly at its due time is on time. "
    "No resolution with a known due -> no value (not 0).",
    scopes=("province", "district"),
    windows=("today", "7d"),
    derives_from=_sd(),
    group="services",
    drilldown=Drilldown(_SERVICES, {"event": "resolved"}),
    target=95.0,
    direction="higher_is_better",
    value_fn=lambda ctx: _windowed(
        ctx,
        ON_TIME_RATE,
        lambda s: (
            s.on_time_rate,
            {
                "on_time": s.resolved_on_time,
                "resolved_with_due": s.resolved_with_due,
                "resolved": s.resolved,
            },
        ),
    ),
    folds=(TICKETS,),
)
AVG_HANDLING_HOURS: KpiSpec = KpiSpec(
    id="servicedesk.avg_handling_hours",
    name_vi="Thời gian xử lý trung bình",
    name_en="Average handling time",
    unit="h",
    formula="Mean of (resolved time − received time) in hours over the resolutions in the "
    "window whose received event is known (the latest one before the resolution).",
    scopes=("province", "district"),
    windows=("today", "7d"),
    derives_from=_sd(),
    group="services",
    drilldown=Drilldown(_SERVICES, {"event": "resolved"}),
    target=24.0,
    value_fn=lambda ctx: _windowed(
        ctx, AVG_HANDLING_HOURS, lambda s: (s.avg_handling_hours, {"handled": s.handled})
    ),
    folds=(TICKETS,),
)
BACKLOG: KpiSpec = KpiSpec(
    id="servicedesk.backlog",
    name_vi="Hồ sơ đang xử lý",
    name_en="Open tickets",
    unit="tickets",
    formula="Tickets whose latest event up to now is received, assigned or reopened "
    "(= received − resolved − rejected + reopened), counted in that event's district.",
    scopes=("province", "district"),
    windows=("now",),
    derives_from=_sd(),
    group="services",
    drilldown=Drilldown(_SERVICES),
    value_fn=lambda ctx: _now(ctx, BACKLOG, lambda s: s.backlog),
    folds=(TICKETS,),
)
OVERDUE: KpiSpec = KpiSpec(
    id="servicedesk.overdue",
    name_vi="Hồ sơ quá hạn",
    name_en="Overdue open tickets",
    unit="tickets",
    formula="Open tickets (see backlog) whose due is known and earlier than now.",
    scopes=("province", "district"),
    windows=("now",),
    derives_from=_sd(),
    group="services",
    drilldown=Drilldown(_SERVICES),
    target=0.0,
    value_fn=lambda ctx: _now(ctx, OVERDUE, lambda s: s.overdue),
    folds=(TICKETS,),
)
ONLINE_SHARE: KpiSpec = KpiSpec(
    id="servicedesk.online_share",
    name_vi="Tỷ lệ hồ sơ trực tuyến",
    name_en="Received online",
    unit="%",
    formula="100 × (received events in the window with channel online_l3 or online_l4) ÷ "
    "(received events in the window). Nothing received -> no value.",
    scopes=("province", "district"),
    windows=("today", "7d"),
    derives_from=_sd(tags=("event", "channel")),
    group="services",
    drilldown=Drilldown(_SERVICES, {"event": "received"}),
    target=50.0,
    direction="higher_is_better",
    value_fn=lambda ctx: _windowed(
        ctx,
        ONLINE_SHARE,
        lambda s: (s.online_share, {"online": s.received_online, "received": s.received}),
    ),
    folds=(TICKETS,),
)
SATISFACTION: KpiSpec = KpiSpec(
    id="servicedesk.satisfaction",
    name_vi="Mức độ hài lòng",
    name_en="Satisfaction",
    unit="/5",
    formula="Mean of the satisfaction scores (1–5) given with resolutions in the window.",
    scopes=("province", "district"),
    windows=("today", "7d"),
    derives_from=_sd("satisfaction"),
    group="services",
    drilldown=Drilldown(_SERVICES, {"event": "resolved", "field": "satisfaction"}),
    target=4.5,
    direction="higher_is_better",
    value_fn=lambda ctx: _windowed(
        ctx, SATISFACTION, lambda s: (s.satisfaction, {"rated": s.rated})
    ),
    folds=(TICKETS,),
)
HOTLINE_1022: KpiSpec = KpiSpec(
    id="servicedesk.hotline_1022",
    name_vi="Phản ánh qua tổng đài 1022",
    name_en="Hotline 1022 tickets",
    unit="tickets",
    formula="Received events in the window with channel hotline_1022.",
    scopes=("province", "district"),
    windows=("today", "7d"),
    derives_from=_sd(tags=("event", "channel")),
    group="services",
    drilldown=Drilldown(_SERVICES, {"event": "received", "channel": "hotline_1022"}),
    value_fn=lambda ctx: _windowed(ctx, HOTLINE_1022, lambda s: (s.received_hotline, {})),
    folds=(TICKETS,),
)

SPECS: tuple[KpiSpec, ...] = (
    ON_TIME_RATE,
    AVG_HANDLING_HOURS,
    BACKLOG,
    OVERDUE,
    ONLINE_SHARE,
    SATISFACTION,
    HOTLINE_1022,
)
