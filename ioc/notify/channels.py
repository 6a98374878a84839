"""Delivering one notice to one channel: e-mail over SMTP (smtplib, STARTTLS, login) and a JSON
webhook (httpx). Library errors become `DeliveryError` here, retryable unless the receiver
refused the message itself."""

from __future__ import annotations

import smtplib
import ssl
from collections.abc import Callable
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import Any

import httpx

from ioc.errors import ConfigError, DeliveryError
from ioc.notify.config import Channel, NotifyConfig
from ioc.notify.message import Notice
from ioc.settings import Settings

Sender = Callable[[Channel, Notice], None]
# Answers that say "try later" although they are 4xx.
_RETRY_4XX = frozenset({408, 425, 429})


class EmailSender:
    def __init__(self, settings: Settings) -> None:
        self.host = settings.smtp_host
        self.port = settings.smtp_port
        self.starttls = settings.smtp_starttls
        self.username = settings.smtp_username
        self.password = settings.smtp_password.get_secret_value()
        self.sender = settings.smtp_from
        self.timeout = settings.smtp_timeout_s
        self.context = ssl.create_default_context(cafile=settings.smtp_ca_file or None)

    def __call__(self, channel: Channel, notice: Notice) -> None:
        message = EmailMessage()
        message["Subject"] = notice.subject
        message["Date"] = formatdate(notice.at_ms / 1000, localtime=False)
        message["X-IOC-Alert"] = f"{notice.alert_id} {notice.event}"
        message.set_content(notice.email_body())
        self.send(channel, message)

    def send(self, channel: Channel, message: EmailMessage) -> None:
        """Send a message (From, To, Message-ID and Date filled in here) to the channel's
        recipients, over STARTTLS with the login of the settings."""
        message["From"] = self.sender
        message["To"] = ", ".join(channel.to)
        message["Message-ID"] = make_msgid("ioc")
        if "Date" not in message:
            message["Date"] = formatdate(localtime=False)
        try:
            with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as smtp:
                if self.starttls:
                    smtp.starttls(context=self.context)
                if self.username:
                    smtp.login(self.username, self.password)
                refused = smtp.send_message(message)
        except smtplib.SMTPRecipientsRefused as exc:
            raise DeliveryError(f"SMTP refused every recipient: {exc.recipients}") from None
        except smtplib.SMTPAuthenticationError as exc:
            # Retryable: an operator fixes IOC_SMTP_USERNAME/PASSWORD, the outbox still has it.
            raise DeliveryError(f"SMTP login refused ({exc.smtp_code}); check IOC_SMTP_*") from None
        except (smtplib.SMTPException, ssl.SSLError, OSError) as exc:
            raise DeliveryError(f"SMTP {self.host}:{self.port}: {exc}") from None
        if refused:
            raise DeliveryError(f"SMTP refused recipients {sorted(refused)}", retryable=False)


class WebhookSender:
    def __init__(self, settings: Settings) -> None:
        token = settings.webhook_token.get_secret_value()
        headers = {"User-Agent": "cao-bang-ioc"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        self.client = httpx.Client(timeout=settings.webhook_timeout_s, headers=headers)

    def __call__(self, channel: Channel, notice: Notice) -> None:
        self.post(channel, notice.to_json())

    def post(self, channel: Channel, payload: dict[str, Any]) -> None:
        try:
            response = self.client.post(channel.url, json=payload)
        except httpx.HTTPError as exc:
            raise DeliveryError(f"webhook {channel.url}: {exc!r}") from None
        if response.is_success:
            return
        retryable = response.status_code >= 500 or response.status_code in _RETRY_4XX
        raise DeliveryError(
            f"webhook {channel.url} answered {response.status_code} {response.text[:200]!r}",
            retryable=retryable,
        )

    def close(self) -> None:
        self.client.close()


def senders_from_settings(settings: Settings, config: NotifyConfig) -> dict[str, Sender]:
    """One sender per channel kind the config uses; e-mail without IOC_SMTP_HOST is a
    ConfigError at start."""
    kinds = {c.kind for c in config.channels.values()}
    senders: dict[str, Sender] = {}
    if "email" in kinds:
        if not settings.smtp_host:
            names = [c.id for c in config.channels.values() if c.kind == "email"]
            raise ConfigError("IOC_SMTP_HOST", "", f"e-mail channels {names} need an SMTP server")
        password = settings.smtp_password.get_secret_value()
        if not password.isascii():  # smtplib sends AUTH in ASCII only
            raise ConfigError("IOC_SMTP_PASSWORD", "***", "must be ASCII (smtplib's AUTH)")
        try:
            senders["email"] = EmailSender(settings)
        except (OSError, ssl.SSLError) as exc:
            raise ConfigError("IOC_SMTP_CA_FILE", settings.smtp_ca_file, str(exc)) from None
    if "webhook" in kinds:
        senders["webhook"] = WebhookSender(settings)
    return senders
