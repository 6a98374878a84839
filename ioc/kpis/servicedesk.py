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

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from ioc.kpis.registry import KPIS
from ioc.kpis.spec import (
    DAY_MS,
    HOUR_MS,
    PROVINCE,
    KpiValue,
    Window,
    make_value,
    scope_district,
    window_start_ms,
)
from ioc.kpis.tickets import EVENT_RANK, TicketEvent
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

    def kpis(self, now_ms: int, windows: Iterable[Window] = ("today", "7d")) -> list[KpiValue]:
        """Every servicedesk KPI for every scope: windowed ones per window, backlog/overdue once."""
        values: list[KpiValue] = []
        point_in_time: dict[str, ServiceDeskStats] | None = None
        for window in windows:
            per_scope = self.stats(window_start_ms(window, now_ms), now_ms)
            point_in_time = per_scope
            for scope, s in per_scope.items():
                values.extend(_window_values(scope, window, s, now_ms))
        if point_in_time is None:
            point_in_time = self.stats(now_ms, now_ms)
        for scope, s in point_in_time.items():
            values.append(make_value(KPIS["servicedesk.backlog"], scope, "now", s.backlog, now_ms))
            values.append(make_value(KPIS["servicedesk.overdue"], scope, "now", s.overdue, now_ms))
        return values

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


def _window_values(scope: str, window: Window, s: ServiceDeskStats, now_ms: int) -> list[KpiValue]:
    return [
        make_value(
            KPIS["servicedesk.on_time_rate"],
            scope,
            window,
            s.on_time_rate,
            now_ms,
            on_time=s.resolved_on_time,
            resolved_with_due=s.resolved_with_due,
            resolved=s.resolved,
        ),
        make_value(
            KPIS["servicedesk.avg_handling_hours"],
            scope,
            window,
            s.avg_handling_hours,
            now_ms,
            handled=s.handled,
        ),
        make_value(
            KPIS["servicedesk.online_share"],
            scope,
            window,
            s.online_share,
            now_ms,
            online=s.received_online,
            received=s.received,
        ),
        make_value(
            KPIS["servicedesk.satisfaction"], scope, window, s.satisfaction, now_ms, rated=s.rated
        ),
        make_value(KPIS["servicedesk.hotline_1022"], scope, window, s.received_hotline, now_ms),
    ]
