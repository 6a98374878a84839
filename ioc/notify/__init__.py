"""Alert notifications: routes from the alert-rules file, e-mail (SMTP) and webhook channels,
a persistent outbox (exactly once per transition and channel, across restarts), retries with
backoff, quiet hours.

    config.py    channels and routes ([[channel]], [[route]] in IOC_ALERT_RULES_FILE)
    message.py   the notice: Vietnamese text, drill-down link, JSON form
    outbox.py    the SQLite outbox, episodes and attempts
    channels.py  SMTP (smtplib) and webhook (httpx) senders
    notifier.py  routing and the delivery worker
"""

from __future__ import annotations

from collections.abc import Mapping

from ioc.alerts.rules import AlertRule
from ioc.notify.channels import senders_from_settings
from ioc.notify.config import NotifyConfig, load_notify_config
from ioc.notify.notifier import Notifier
from ioc.notify.outbox import OUTBOX_FILE, Outbox
from ioc.settings import Settings

__all__ = ["Notifier", "NotifyConfig", "Outbox", "load_notify_config", "notifier_from_settings"]


def notifier_from_settings(settings: Settings, rules: Mapping[str, AlertRule]) -> Notifier | None:
    """The notifier the alert-rules file describes, or None when it routes nothing.

    Raises ConfigError for a bad channel or route (naming IOC_ALERT_RULES_FILE) and for e-mail
    channels without IOC_SMTP_HOST."""
    from ioc.errors import ConfigError
    from ioc.storage import data_dir

    try:
        config = load_notify_config(settings.alert_rules_file or None)
    except (OSError, ValueError) as exc:
        raise ConfigError("IOC_ALERT_RULES_FILE", settings.alert_rules_file, str(exc)) from None
    if not config.enabled:
        return None
    senders = senders_from_settings(settings, config)
    outbox = Outbox(data_dir(settings) / OUTBOX_FILE)
    return Notifier(
        config,
        outbox,
        senders,
        rules=rules,
        public_url=settings.public_url,
        max_backoff_s=settings.notify_max_backoff_s,
    )
