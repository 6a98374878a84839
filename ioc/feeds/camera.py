"""The camera feed's schema: traffic and crowd metadata per interval (never images or plates).

Topic `ioc/camera/<district>/<source_id>`; measurement `camera`; tags `district`, `source`,
`site`. The parser is `collectors/feeds/camera.py` (its docstring explains every field), the
generator `simulators/feeds/camera.py`.
"""

from __future__ import annotations

from ioc.feeds.schema import SEVERITIES, FeedSpec, FieldSpec, Schema

CAMERA_VEHICLES: tuple[str, ...] = ("car", "motorbike", "truck", "bus")
CAMERA_EVENT_TYPES: tuple[str, ...] = (
    "congestion",
    "accident",
    "wrong_way",
    "illegal_parking",
    "crowding",
    "fire_smoke",
    "camera_tamper",
)
__all__ = ["CAMERA_EVENT_TYPES", "CAMERA_VEHICLES", "SEVERITIES", "SPEC"]

SPEC = FeedSpec(
    name="camera",
    schema=Schema(
        "camera",
        tags=("site",),
        fields=(
            FieldSpec("interval_s", "float", "s"),
            *(FieldSpec(f"vehicles_{v}", "int", "xe", "sum") for v in CAMERA_VEHICLES),
            FieldSpec("vehicles_total", "int", "xe", "sum", "Lượng xe", "Vehicles"),
            FieldSpec(
                "avg_speed_kmh", "float", "km/h", "mean", "Tốc độ trung bình", "Average speed"
            ),
            FieldSpec("occupancy_pct", "float", "%", "mean", "Tỷ lệ chiếm dụng", "Occupancy"),
            FieldSpec("queue_m", "float", "m", "max", "Chiều dài hàng chờ", "Queue length"),
            FieldSpec("people", "int", "people", "sum", "Số người", "People"),
            FieldSpec("events_count", "int", "", "sum"),
            FieldSpec("events_max_severity", "int", "", "max"),
            FieldSpec("events", "str", "", "count"),
        ),
    ),
    name_vi="Camera",
    name_en="Cameras",
    expected_interval_s=60.0,
    order=1,
    periodic=True,
    count_fields=("interval_s",),
)
