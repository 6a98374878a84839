"""The status feed's schema: a device's online/offline state, retained, usually its Last Will.

Topic `ioc/status/<source_id>` (no district: the collector fills it from what it knows of the
source); measurement `status`; field `online` (1 online, 0 offline). The parser is
`collectors/feeds/status.py`; the simulator's devices publish it (`simulators/status.py`).
"""

from __future__ import annotations

from ioc.feeds.schema import FeedSpec, FieldSpec, Schema

STATUS_VALUES: tuple[str, ...] = ("online", "offline")

SPEC = FeedSpec(
    name="status",
    schema=Schema("status", tags=(), fields=(FieldSpec("online", "int", "", "mean"),)),
    name_vi="Trạng thái thiết bị",
    name_en="Device status",
    expected_interval_s=3600.0,
    order=9,
    topic=("source",),
    count_fields=("online",),
)
