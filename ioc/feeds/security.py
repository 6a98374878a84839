"""The security feed's schema: EDR/SOC events, one per message, from one agency's console.

Topic `ioc/security/<district>/<source_id>` (the source is the reporting system — an EDR console,
the SOC platform — for one agency); measurement `security`; tags `district`, `source`, `system`,
`agency`, `event`, and `severity`, `action` when given. The incident id, endpoint and threat
names are string fields, never tags (unbounded, free text). An `inventory` event carries the
console's endpoint counts instead of the event fields. The parser is
`collectors/feeds/security.py`, the generator `simulators/feeds/security.py`.
"""

from __future__ import annotations

from ioc.feeds.schema import FeedSpec, FieldSpec, Schema

SECURITY_SYSTEMS: tuple[str, ...] = ("edr", "soc")
SECURITY_EVENTS: tuple[str, ...] = (
    "malware_detected",
    "malware_cleaned",
    "incident_opened",
    "incident_contained",
    "incident_resolved",
    "endpoint_offline",
    "endpoint_online",
    "inventory",
)
SECURITY_SEVERITIES: tuple[str, ...] = ("low", "medium", "high", "critical")
SECURITY_ACTIONS: tuple[str, ...] = ("none", "blocked", "quarantined", "cleaned")
# Actions after which a detected malware did no harm (security.blocked_share).
HANDLED_ACTIONS: frozenset[str] = frozenset({"blocked", "quarantined", "cleaned"})

SPEC = FeedSpec(
    name="security",
    schema=Schema(
        "security",
        tags=("system", "agency", "event", "severity", "action"),
        fields=(
            FieldSpec("events", "int", "events", "sum", "Số sự kiện", "Events"),
            FieldSpec("incident_id", "str", "", "count"),
            FieldSpec("endpoint", "str", "", "count"),
            FieldSpec("threat", "str", "", "count"),
            FieldSpec(
                "endpoints_total", "int", "endpoints", "last", "Tổng số máy trạm", "Endpoints"
            ),
            FieldSpec(
                "endpoints_reporting", "int", "endpoints", "last", "Máy đang báo cáo", "Reporting"
            ),
            FieldSpec(
                "agents_outdated",
                "int",
                "endpoints",
                "last",
                "Agent chưa cập nhật",
                "Outdated agents",
            ),
        ),
    ),
    name_vi="An toàn thông tin",
    name_en="Information security",
    expected_interval_s=3600.0,  # consoles speak on events and report an inventory hourly
    order=3,
    count_fields=("events", "endpoints_total"),
)
