"""What a notification says: one `Notice` per alert transition, rendered for e-mail and webhook.

The Vietnamese text names the place, the value, the level (severity) and links to the
drill-down page of the alert's KPI; an English line follows for the e-mail. The webhook gets the
same as JSON (`Notice.to_json`), stable keys for the province's own systems and chat bots:

    {"event": "raised", "alert_id": "...", "rule": "water.bd3", "scope": "source:...",
     "severity": "critical", "level_vi": "Khẩn cấp", "at": "2026-12-01T15:04:05+07:00",
     "value": 3.2, "message_vi": "...", "message_en": "...", "text": "...", "link": "http://..."}
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from ioc.kpis.drilldown import drilldown_href
from ioc.kpis.registry import KPIS
from ioc.localtime import LOCAL_TZ
from ioc.notify.config import Event

LEVEL_VI = {"critical": "Khẩn cấp", "warning": "Cảnh báo", "info": "Thông tin"}
EVENT_VI = {"raised": "CẢNH BÁO MỚI", "escalated": "NÂNG MỨC", "cleared": "ĐÃ HẾT"}
EVENT_EN = {"raised": "new alert", "escalated": "escalated", "cleared": "cleared"}


def drilldown_link(public_url: str, kpi: str, scope: str) -> str:
    """The KPI's drill-down (ioc.kpis.drilldown_href) narrowed to the alert's scope, on the
    operations center's public address; the wall when the KPI is unknown."""
    spec = KPIS.get(kpi)
    path = drilldown_href(spec, {"scope": scope}) if spec is not None else "/"
    return public_url.rstrip("/") + path


@dataclass(frozen=True, slots=True)
class Notice:
    event: Event
    alert_id: str
    rule: str
    scope: str
    severity: str
    at_ms: int
    value: float
    message_vi: str
    message_en: str
    link: str
    unit: str = ""

    @property
    def level_vi(self) -> str:
        return LEVEL_VI.get(self.severity, self.severity)

    @property
    def local_time(self) -> str:
        return datetime.fromtimestamp(self.at_ms / 1000, LOCAL_TZ).strftime("%H:%M %d/%m/%Y")

    @property
    def subject(self) -> str:
        return f"[IOC Cao Bằng] {EVENT_VI[self.event]} · {self.level_vi}: {self.message_vi}"

    @property
    def text(self) -> str:
        """The Vietnamese message: what, where, value, level, when, link."""
        return (
            f"{EVENT_VI[self.event]} — mức {self.level_vi}\n"
            f"{self.message_vi}\n"
            f"Giá trị: {_number(self.value)} {self.unit}".rstrip()
            + f" · Lúc {self.local_time} (giờ Việt Nam)\n"
            f"Xem chi tiết: {self.link}"
        )

    def email_body(self) -> str:
        return (
            f"{self.text}\n\n"
            f"-- \n{EVENT_EN[self.event]} ({self.severity}): {self.message_en}\n"
            f"Alert {self.alert_id}\n"
        )

    def to_json(self) -> dict[str, Any]:
        out = asdict(self)
        out.pop("at_ms")
        out["at"] = datetime.fromtimestamp(self.at_ms / 1000, LOCAL_TZ).isoformat(
            timespec="seconds"
        )
        out["level_vi"] = self.level_vi
        out["text"] = self.text
        return out

    def to_dict(self) -> dict[str, Any]:
        """The plain form kept in the outbox (`from_dict` reads it back)."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Notice:
        return cls(**{k: data[k] for k in cls.__dataclass_fields__ if k in data})


def _number(value: float) -> str:
    """Vietnamese number format: comma as decimal separator, dot for thousands."""
    text = f"{value:,.2f}".rstrip("0").rstrip(".")
    return text.replace(",", "\x00").replace(".", ",").replace("\x00", ".")
