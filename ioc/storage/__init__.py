"""Storage: the system of record (InfluxDB, or the embedded SQLite file).

`Storage` is the protocol; `open_storage(settings)` picks the implementation from the settings.
"""

from __future__ import annotations

from ioc.errors import ConfigError
from ioc.settings import Settings
from ioc.storage.base import Storage, TimeRange

__all__ = ["Storage", "TimeRange", "open_storage"]


def open_storage(settings: Settings) -> Storage:
    """The storage the settings describe. Does not touch the network."""
    if settings.influx_url:
        from ioc.storage.influx import InfluxStorage

        return InfluxStorage(
            url=settings.influx_url,
            token=settings.influx_token.get_secret_value(),
            org=settings.influx_org,
            bucket=settings.influx_bucket,
        )
    raise ConfigError("IOC_INFLUX_URL", settings.influx_url, "set it to your InfluxDB base URL")
