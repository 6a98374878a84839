"""Sending a report through the notification channels (`ioc report --send CHANNEL…`): e-mail
gets a short Vietnamese summary with the XLSX and the printable HTML attached; a webhook gets
the summary as JSON. Scheduled by the host (cron, a systemd timer), e.g. every morning at 06:00:

    0 6 * * *  ioc report --period day --date yesterday --send truc-ban
"""

from __future__ import annotations

from collections.abc import Sequence
from email.message import EmailMessage
from typing import Any

from ioc.errors import ConfigError
from ioc.kpis.spec import PROVINCE
from ioc.notify.channels import EmailSender, WebhookSender, senders_from_settings
from ioc.notify.config import NotifyConfig
from ioc.report.columns import local_time, vn_number
from ioc.report.compute import Report
from ioc.report.html import to_html
from ioc.report.xlsx import to_xlsx
from ioc.settings import Settings

XLSX = ("application", "vnd.openxmlformats-officedocument.spreadsheetml.sheet")


def summary(report: Report) -> dict[str, Any]:
    """The report's headline numbers (its province row, or the district's)."""
    row = next((r for r in report.services if r["scope"] == PROVINCE), None) or (
        report.services[0] if report.services else {}
    )
    return {
        "kind": "report",
        "title": report.title_vi,
        "period": report.period.kind,
        "slug": report.period.slug,
        "start": local_time(report.period.start_ms).isoformat(),
        "end": local_time(report.period.end_ms).isoformat(),
        "district": report.district,
        "services": {k: v for k, v in row.items() if k not in ("scope", "name")},
        "alerts": len(report.alerts),
        "alerts_critical": sum(a["severity"] == "critical" for a in report.alerts),
        "water_gauges_at_bd3": sum(1 for w in report.water if w["hours_bd3"]),
    }


def summary_text(report: Report) -> str:
    s = summary(report)
    services = s["services"]

    def pct(value: float | None) -> str:
        return "—" if value is None else f"{vn_number(value, 1)} %"

    return (
        f"{report.title_vi}\n\n"
        f"Hồ sơ tiếp nhận: {services.get('received', 0)}, đã giải quyết: "
        f"{services.get('resolved', 0)}, đúng hạn: {pct(services.get('on_time_rate'))}, "
        f"trực tuyến: {pct(services.get('online_share'))}, quá hạn cuối kỳ: "
        f"{services.get('overdue', 0)}\n"
        f"Cảnh báo trong kỳ: {s['alerts']} (khẩn cấp: {s['alerts_critical']}); trạm thủy văn "
        f"đạt BĐ3: {s['water_gauges_at_bd3']}\n\n"
        "Chi tiết trong tệp Excel và bản in (HTML) đính kèm.\n"
    )


def send_report(
    settings: Settings, config: NotifyConfig, report: Report, channel_ids: Sequence[str]
) -> list[str]:
    """Send to each named channel; returns their ids. Raises ConfigError for an unknown
    channel and DeliveryError when one did not take it."""
    unknown = [c for c in channel_ids if c not in config.channels]
    if unknown:
        known = ", ".join(config.channels) or "none"
        raise ConfigError("IOC_ALERT_RULES_FILE", settings.alert_rules_file,
                          f"no channel {unknown} (channels: {known})")  # fmt: skip
    chosen = [config.channels[c] for c in channel_ids]
    senders = senders_from_settings(settings, NotifyConfig({c.id: c for c in chosen}, ()))
    name = f"bao-cao-{report.period.slug}" + (f"-{report.district}" if report.district else "")
    for channel in chosen:
        sender = senders[channel.kind]
        if isinstance(sender, EmailSender):
            message = EmailMessage()
            message["Subject"] = f"[IOC Cao Bằng] {report.title_vi}"
            message.set_content(summary_text(report))
            message.add_attachment(
                to_xlsx(report), maintype=XLSX[0], subtype=XLSX[1], filename=f"{name}.xlsx"
            )
            message.add_attachment(to_html(report), subtype="html", filename=f"{name}.html")
            sender.send(channel, message)
        elif isinstance(sender, WebhookSender):
            sender.post(channel, summary(report))
    return [c.id for c in chosen]
