"""The report's sections and columns with their Vietnamese labels and number kinds, shared by
the XLSX and HTML renderers; Vietnamese number formatting (1.234,5)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from ioc.aqi import BANDS
from ioc.localtime import LOCAL_TZ

Kind = Literal["text", "int", "dec1", "dec2", "pct", "time", "alarm"]


@dataclass(frozen=True, slots=True)
class Column:
    key: str
    label: str
    kind: Kind = "int"


@dataclass(frozen=True, slots=True)
class Section:
    key: str  # the Report attribute
    title: str  # also the XLSX sheet name (≤ 31 characters)
    columns: tuple[Column, ...]
    note: str = ""


SECTIONS: tuple[Section, ...] = (
    Section(
        "services",
        "Dịch vụ công",
        (
            Column("name", "Địa bàn", "text"),
            Column("received", "Tiếp nhận"),
            Column("resolved", "Đã giải quyết"),
            Column("on_time_rate", "Đúng hạn (%)", "pct"),
            Column("avg_handling_hours", "Thời gian xử lý TB (giờ)", "dec1"),
            Column("overdue", "Quá hạn (cuối kỳ)"),
            Column("backlog", "Đang xử lý (cuối kỳ)"),
            Column("online_share", "Trực tuyến (%)", "pct"),
            Column("satisfaction", "Hài lòng (/5)", "dec2"),
            Column("hotline_1022", "Tổng đài 1022"),
        ),
        "Cùng định nghĩa với các chỉ số servicedesk.* của màn hình điều hành.",
    ),
    Section(
        "air",
        "Chất lượng không khí",
        (
            Column("name", "Địa bàn", "text"),
            *(Column(f"band_{b.level}", f"{b.name_vi} (ngày)") for b in BANDS),
            Column("no_data", "Không có dữ liệu (ngày)"),
            Column("max_aqi", "VN_AQI giờ cao nhất"),
        ),
        "Mỗi ngày xếp theo giờ có VN_AQI (NowCast, QĐ 1459/QĐ-TCMT) cao nhất của trạm kém nhất.",
    ),
    Section(
        "water",
        "Mực nước",
        (
            Column("name", "Trạm", "text"),
            Column("district", "Địa bàn", "text"),
            Column("max_level_cm", "Mực nước cao nhất (cm)", "dec1"),
            Column("bd1", "BĐ1 (cm)", "dec1"),
            Column("bd2", "BĐ2 (cm)", "dec1"),
            Column("bd3", "BĐ3 (cm)", "dec1"),
            Column("max_alarm", "Mức báo động cao nhất", "alarm"),
            Column("hours_bd1", "Số giờ ≥ BĐ1"),
            Column("hours_bd2", "Số giờ ≥ BĐ2"),
            Column("hours_bd3", "Số giờ ≥ BĐ3"),
        ),
    ),
    Section(
        "traffic",
        "Giao thông",
        (
            Column("name", "Điểm", "text"),
            Column("congestion_hours", "Số giờ ùn tắc (đạt ngưỡng cảnh báo)"),
            Column("max_index", "Chỉ số ùn tắc cao nhất", "dec1"),
            Column("hours", "Số giờ có dữ liệu"),
        ),
    ),
    Section(
        "border",
        "Cửa khẩu",
        (
            Column("name", "Cửa khẩu", "text"),
            Column("max_queue_m", "Hàng chờ dài nhất (m)", "dec1"),
            Column("mean_queue_m", "Hàng chờ trung bình (m)", "dec1"),
            Column("hours_over_500m", "Số giờ > 500 m"),
            Column("hours", "Số giờ có dữ liệu"),
        ),
    ),
    Section(
        "visitors",
        "Du khách",
        (Column("name", "Điểm du lịch", "text"), Column("visitors", "Lượt khách")),
    ),
    Section(
        "devices",
        "Thiết bị",
        (
            Column("feed", "Loại dữ liệu", "text"),
            Column("district", "Địa bàn", "text"),
            Column("availability", "Tỷ lệ trực tuyến (%)", "pct"),
            Column("hours", "Số giờ"),
        ),
        "Trung bình theo giờ của tỷ lệ thiết bị trực tuyến (devices.online_ratio).",
    ),
    Section(
        "alerts",
        "Cảnh báo",
        (
            Column("target", "Đối tượng", "text"),
            Column("rule_vi", "Chỉ số / ngưỡng", "text"),
            Column("severity", "Mức", "text"),
            Column("raised_ms", "Phát sinh", "time"),
            Column("acked_ms", "Xác nhận", "time"),
            Column("acked_by", "Người xác nhận", "text"),
            Column("ack_minutes", "Thời gian xác nhận (phút)", "dec1"),
            Column("cleared_ms", "Kết thúc", "time"),
        ),
    ),
)

SEVERITY_VI = {"critical": "Khẩn cấp", "warning": "Cảnh báo", "info": "Thông tin"}


def vn_number(value: float, decimals: int) -> str:
    """1234.5 → "1.234,5" (Vietnamese: dot for thousands, comma for decimals)."""
    text = f"{value:,.{decimals}f}"
    return text.replace(",", "\x00").replace(".", ",").replace("\x00", ".")


def local_time(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, LOCAL_TZ)


def shown(value: Any, column: Column) -> str:
    """A cell as printed in the HTML report."""
    if value is None or value == "":
        return "—"
    if column.kind == "text":
        return SEVERITY_VI.get(str(value), str(value)) if column.key == "severity" else str(value)
    if column.kind == "time":
        return f"{local_time(int(value)):%H:%M %d/%m}"
    if column.kind == "alarm":
        return f"BĐ{int(value)}" if value else "Dưới BĐ1"
    decimals = {"int": 0, "dec1": 1, "dec2": 2, "pct": 1, "alarm": 0}[column.kind]
    return vn_number(float(value), decimals)
