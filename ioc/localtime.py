"""The province's local time, once: Asia/Ho_Chi_Minh, UTC+07:00 all year.

Vietnam has kept no daylight saving since 1975, so a fixed offset needs no tz database, and local
days and hours are whole UTC hours apart. Everything that shows or buckets local time — KPI days,
the simulator's rhythms, the wall's clock and times, drill-down ranges — uses these names.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

LOCAL_OFFSET = timedelta(hours=7)
LOCAL_OFFSET_S = int(LOCAL_OFFSET.total_seconds())
LOCAL_OFFSET_MS = LOCAL_OFFSET_S * 1000
LOCAL_TZ = timezone(LOCAL_OFFSET, "+07")


def local_datetime(epoch_s: float) -> datetime:
    """Epoch seconds → aware local datetime (+07:00)."""
    return datetime.fromtimestamp(epoch_s, LOCAL_TZ)
