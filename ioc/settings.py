"""All settings, read once from the environment (prefix `IOC_`, also from a `.env` file).

`load_settings()` is the only way in: a bad value raises `ConfigError` naming the key and the
value, so a service stops at start-up instead of failing later. `.env.example` lists every
setting; a test keeps it complete.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from ioc.errors import ConfigError

ENV_PREFIX = "IOC_"


@dataclass(frozen=True, slots=True)
class MqttAddress:
    host: str
    port: int
    tls: bool
    username: str | None
    password: str | None
    ca_file: str | None = None


def parse_mqtt_url(url: str) -> MqttAddress:
    """`mqtt://[user:pass@]host[:port]` (or `mqtts://`) → its parts. Raises ValueError."""
    parts = urlsplit(url)
    if parts.scheme not in ("mqtt", "mqtts"):
        raise ValueError("scheme must be mqtt:// or mqtts://")
    if not parts.hostname:
        raise ValueError("a host is required, e.g. mqtt://127.0.0.1:1883")
    try:
        port = parts.port
    except ValueError as exc:  # urlsplit raises on a non-numeric or out-of-range port
        raise ValueError(f"bad port: {exc}") from None
    tls = parts.scheme == "mqtts"
    return MqttAddress(
        host=parts.hostname,
        port=port if port is not None else (8883 if tls else 1883),
        tls=tls,
        username=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password else None,
    )


class Settings(BaseSettings):
    """Every setting of every process. Empty URLs select the embedded defaults."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX, env_file=".env", extra="ignore", validate_default=True
    )

    mqtt_url: str = Field("mqtt://127.0.0.1:1883", description="MQTT broker")
    mqtt_client_id: str = Field("ioc-collector", description="persistent-session client id")
    mqtt_protocol: str = Field("5", description="MQTT protocol version: 5 or 3.1.1")
    mqtt_share_group: str = Field(
        "", description="if set, subscribe as $share/<group>/... so collectors split the load"
    )
    influx_url: str = Field("", description="InfluxDB base URL; empty = embedded SQLite")
    influx_token: SecretStr = Field(SecretStr(""), description="InfluxDB API token")
    influx_org: str = Field("ioc", description="InfluxDB organisation")
    influx_bucket: str = Field("ioc", description="InfluxDB bucket (InfluxQL database)")
    redis_url: str = Field("", description="Redis URL; empty = in-process live state")
    redis_timeout_ms: int = Field(
        1000, ge=50, le=60_000, description="longest a Redis command may take before it fails"
    )
    redis_retry_ms: int = Field(
        2000,
        ge=100,
        le=600_000,
        description="after a Redis failure, calls fail at once this long before trying Redis again",
    )
    data_dir: str = Field("", description="embedded storage folder; empty = ~/.local/share/ioc")
    batch_size: int = Field(5000, ge=1, le=100_000, description="readings per storage write")
    batch_wait_ms: int = Field(200, ge=1, le=60_000, description="longest a batch waits")
    inbox_size: int = Field(20_000, ge=100, description="messages buffered before backpressure")
    inbox_max_bytes: int = Field(
        64 * 1024 * 1024,
        ge=1024 * 1024,
        description="payload bytes held unstored before the collector stops reading the broker",
    )
    deadletter_maxlen: int = Field(10_000, ge=10, description="dead letters kept in Redis")
    deadletter_max_bytes: int = Field(
        32 * 1024 * 1024,
        ge=1024 * 1024,
        description="bytes the Redis dead-letter stream may hold (fewer entries if need be)",
    )
    deadletter_inflight: int = Field(
        10_000,
        ge=10,
        le=60_000,
        description="dead letters published but not yet acknowledged before publishing waits",
    )
    deadletter_wait_ms: int = Field(
        5000,
        ge=0,
        le=600_000,
        description="longest a dead letter waits for room before it is shed (deadletter_dropped)",
    )
    max_future_s: int = Field(
        300,
        ge=0,
        le=86_400,
        description="a reading more than this many seconds ahead of its receipt is future_time",
    )
    storage_probe_ms: int = Field(
        500,
        ge=10,
        le=60_000,
        description="while storage is down, how often a cheap health probe asks if it is back",
    )
    window_len: int = Field(120, ge=2, le=5_000, description="points per live sparkline window")
    log_level: str = Field("INFO", description="DEBUG, INFO, WARNING or ERROR")
    stored_stream_maxlen: int = Field(
        2000,
        ge=10,
        le=1_000_000,
        description="entries (up to 1000 stored readings each) kept in the stream to the engine",
    )
    engine_dedupe_s: int = Field(
        600, ge=10, le=86_400, description="how long the engine remembers what it folded (seconds)"
    )
    kpi_interval_ms: int = Field(1000, ge=100, le=60_000, description="KPI evaluation period")
    sources_file: str = Field(
        "", description="TOML catalogue of sources (names, places, gauge BĐ1-3); empty = built in"
    )
    alert_rules_file: str = Field(
        "",
        description="TOML of alert rules and notification channels/routes; empty = built-in "
        "rules, no notifications",
    )
    public_url: str = Field(
        "http://127.0.0.1:8050",
        description="the operations center's address as people open it (links in notifications)",
    )
    smtp_host: str = Field("", description="SMTP server for e-mail notifications; empty = none")
    smtp_port: int = Field(587, ge=1, le=65535, description="SMTP port (587 submission)")
    smtp_starttls: bool = Field(True, description="upgrade the SMTP connection with STARTTLS")
    smtp_username: str = Field("", description="SMTP login; empty = no authentication")
    smtp_password: SecretStr = Field(SecretStr(""), description="SMTP password")
    smtp_from: str = Field("ioc@localhost", description="From address of notifications")
    smtp_ca_file: str = Field(
        "", description="PEM file of CAs trusted for STARTTLS; empty = the system's"
    )
    smtp_timeout_s: float = Field(10.0, gt=0, le=300, description="SMTP connect/answer timeout")
    webhook_token: SecretStr = Field(
        SecretStr(""), description="sent as 'Authorization: Bearer …' to webhooks; empty = none"
    )
    webhook_timeout_s: float = Field(10.0, gt=0, le=300, description="webhook request timeout")
    notify_max_backoff_s: float = Field(
        300.0, ge=1, le=86_400, description="longest wait between two delivery attempts"
    )
    metrics_port: int | None = Field(
        None,
        ge=0,
        le=65535,
        description="serve /metrics, /healthz, /readyz on this port (collector, engine); "
        "empty = off",
    )
    metrics_host: str = Field("127.0.0.1", description="address the metrics server binds")
    log_format: str = Field("text", description="log lines as text or json (one object a line)")
    raw_retention_days: int = Field(
        0,
        ge=0,
        le=36_500,
        description="days raw points and 5-min rollups are kept (hourly rollups stay); 0 = forever",
    )
    mqtt_ca_file: str = Field(
        "", description="CA certificate (PEM) for mqtts:// URLs; empty = the system's CAs"
    )
    auth_db: str = Field(
        "", description="users, sessions, tokens, audit (SQLite); empty = <data dir>/auth.sqlite"
    )
    auth_session_idle_s: int = Field(
        1800, ge=60, le=30 * 86400, description="a sign-in ends after this long without a request"
    )
    auth_display_days: int = Field(
        365, ge=1, le=3650, description="a wall screen's display sign-in lasts this many idle days"
    )
    auth_free_failures: int = Field(
        3,
        ge=0,
        le=100,
        description="failed sign-ins per name before each try must wait (1, 2, 4 s…)",
    )
    auth_max_failures: int = Field(
        5, ge=1, le=1000, description="failed sign-ins in a row that lock the name"
    )
    auth_lockout_s: int = Field(900, ge=1, le=86400, description="how long a locked name waits")
    snapshot_public: bool = Field(
        False, description="serve GET /api/v1/snapshot without a token (read-only display network)"
    )
    dashboard_frame_ancestors: str = Field(
        "", description="origins allowed to frame the dashboard (CSP frame-ancestors); empty = none"
    )
    dashboard_proxies: int = Field(
        0,
        ge=0,
        le=5,
        description="reverse proxies in front of the dashboard (X-Forwarded-* trusted)",
    )

    @field_validator("mqtt_url")
    @classmethod
    def _check_mqtt_url(cls, value: str) -> str:
        parse_mqtt_url(value)
        return value

    @field_validator("influx_url")
    @classmethod
    def _check_influx_url(cls, value: str) -> str:
        return _check_http_url(value, ("http", "https"))

    @field_validator("redis_url")
    @classmethod
    def _check_redis_url(cls, value: str) -> str:
        return _check_http_url(value, ("redis", "rediss", "unix"))

    @field_validator("mqtt_protocol")
    @classmethod
    def _check_protocol(cls, value: str) -> str:
        if value not in ("5", "3.1.1"):
            raise ValueError("must be 5 or 3.1.1")
        return value

    @field_validator("mqtt_share_group")
    @classmethod
    def _check_group(cls, value: str) -> str:
        if value and not value.replace("-", "").replace("_", "").isalnum():
            raise ValueError("use letters, digits, - and _ only")
        return value

    @field_validator("metrics_port", mode="before")
    @classmethod
    def _empty_port(cls, value: Any) -> Any:
        return None if value == "" else value

    @field_validator("public_url")
    @classmethod
    def _check_public_url(cls, value: str) -> str:
        return _check_http_url(value, ("http", "https"))

    @field_validator("log_format")
    @classmethod
    def _check_format(cls, value: str) -> str:
        if value.lower() not in ("text", "json"):
            raise ValueError("must be text or json")
        return value.lower()

    @field_validator("log_level")
    @classmethod
    def _check_level(cls, value: str) -> str:
        if value.upper() not in ("DEBUG", "INFO", "WARNING", "ERROR"):
            raise ValueError("must be DEBUG, INFO, WARNING or ERROR")
        return value.upper()

    @field_validator("mqtt_ca_file")
    @classmethod
    def _check_ca_file(cls, value: str) -> str:
        if value and not Path(value).expanduser().is_file():
            raise ValueError("no such file")
        return value

    @field_validator("dashboard_frame_ancestors")
    @classmethod
    def _check_frame_ancestors(cls, value: str) -> str:
        for origin in value.split():
            if origin != "'self'" and not _is_origin(origin):
                raise ValueError(f"{origin!r} is not an origin like https://portal.example.vn")
        return value

    @property
    def mqtt(self) -> MqttAddress:
        address = parse_mqtt_url(self.mqtt_url)
        if self.mqtt_ca_file:
            return replace(address, ca_file=str(Path(self.mqtt_ca_file).expanduser()))
        return address


def _is_origin(value: str) -> bool:
    parts = urlsplit(value)
    return parts.scheme in ("http", "https") and bool(parts.hostname) and parts.path in ("", "/")


def _check_http_url(value: str, schemes: tuple[str, ...]) -> str:
    if not value:
        return value
    parts = urlsplit(value)
    if parts.scheme not in schemes:
        raise ValueError(f"scheme must be one of {', '.join(s + '://' for s in schemes)}")
    if parts.scheme != "unix" and not parts.hostname:
        raise ValueError("a host is required")
    try:
        parts.port  # noqa: B018 - raises on a bad port
    except ValueError as exc:
        raise ValueError(f"bad port: {exc}") from None
    return value.rstrip("/")


def load_settings(**overrides: Any) -> Settings:
    """Read the settings; a bad value raises ConfigError naming `IOC_<KEY>` and the value."""
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        err = exc.errors()[0]
        key = ENV_PREFIX + str(err["loc"][0]).upper() if err["loc"] else ENV_PREFIX + "?"
        raise ConfigError(key, err.get("input"), err["msg"]) from None
