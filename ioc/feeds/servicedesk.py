"""The service-desk feed's schema: public-service dossiers and hotline tickets, one event each.

Topic `ioc/servicedesk/<district>/<agency>`; measurement `servicedesk`; tags `district`,
`source` (the agency), `event`, `channel`, `service`; the ticket id is a string field, never a
tag. The parser is `collectors/feeds/servicedesk.py`, the generator
`simulators/feeds/servicedesk.py`.
"""

from __future__ import annotations

from ioc.feeds.schema import FeedSpec, FieldSpec, Schema

SERVICEDESK_EVENTS: tuple[str, ...] = ("received", "assigned", "resolved", "rejected", "reopened")
SERVICEDESK_CHANNELS: tuple[str, ...] = ("online_l3", "online_l4", "counter", "hotline_1022", "app")

SPEC = FeedSpec(
    name="servicedesk",
    schema=Schema(
        "servicedesk",
        tags=("event", "channel", "service"),
        fields=(
            FieldSpec("ticket_id", "str", "tickets", "count"),
            FieldSpec("due_ms", "int", "ms", "last"),
            FieldSpec("satisfaction", "int", "/5", "mean", "Mức độ hài lòng", "Satisfaction"),
        ),
    ),
    name_vi="Bộ phận một cửa",
    name_en="Service desks",
    expected_interval_s=900.0,
    order=2,
    count_fields=("ticket_id",),
)
