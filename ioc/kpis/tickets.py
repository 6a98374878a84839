"""`TicketEvent`: one service-desk event as the KPIs see it, from a reading or a storage row.

The fields mirror what the `servicedesk` parser stores (collectors/feeds/servicedesk.py): tags
`district`, `source` (the desk), `event`, `channel`, `service`; fields `ticket_id`, `due_ms`
(on received), `satisfaction` (on resolved). The event time is the point's millisecond: the
parser's per-ticket nanosecond offset is dropped.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any

import pandas as pd

from ioc.kpis.frames import readings_from_frame
from ioc.model import Reading

# Order of a ticket's events within one millisecond.
EVENT_RANK: dict[str, int] = {
    "received": 0,
    "assigned": 1,
    "resolved": 2,
    "rejected": 2,
    "reopened": 3,
}


@dataclass(frozen=True, slots=True)
class TicketEvent:
    """One service-desk event as stored: tags district/source/event/channel/service + fields."""

    ticket_id: str
    event: str
    ts_ms: int
    district: str
    source: str = ""
    channel: str | None = None
    service: str | None = None
    due_ms: int | None = None
    satisfaction: int | None = None

    def __post_init__(self) -> None:
        if self.event not in EVENT_RANK:
            raise ValueError(f"unknown service-desk event {self.event!r}")

    @property
    def key(self) -> str:
        """`<ticket_id>|<ts_ms>|<event>`: identical redelivered events share it (Redis field)."""
        return f"{self.ticket_id}|{self.ts_ms}|{self.event}"

    @classmethod
    def from_reading(cls, reading: Reading) -> TicketEvent:
        """From a `servicedesk` reading (the parser's output, or a storage row)."""
        tags, values = reading.tags, reading.fields
        due, satisfaction = values.get("due_ms"), values.get("satisfaction")
        return cls(
            ticket_id=str(values["ticket_id"]),
            event=tags["event"],
            ts_ms=reading.time_ms,
            district=tags.get("district", ""),
            source=tags.get("source", ""),
            channel=tags.get("channel") or None,
            service=tags.get("service") or None,
            due_ms=None if due is None else int(due),
            satisfaction=None if satisfaction is None else int(satisfaction),
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            f.name: getattr(self, f.name) for f in fields(self) if getattr(self, f.name) is not None
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> TicketEvent:
        return cls(**{f.name: data[f.name] for f in fields(cls) if f.name in data})


def events_from_frame(frame: pd.DataFrame) -> list[TicketEvent]:
    """Ticket events from a `Storage.records("servicedesk", …)` frame (the history path)."""
    return [TicketEvent.from_reading(r) for r in readings_from_frame(frame, "servicedesk")]
