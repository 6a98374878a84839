"""Storage: the system of record (InfluxDB, or the embedded SQLite file).

`Storage` is the protocol; `open_storage(settings)` picks the implementation from the settings:
InfluxDB when `IOC_INFLUX_URL` is set, else `SqliteStorage` on `<data dir>/ioc.sqlite3`.
"""

from __future__ import annotations

import os
from pathlib import Path

from ioc.errors import ConfigError
from ioc.settings import Settings
from ioc.storage.base import Storage, TimeRange

__all__ = ["SQLITE_FILE", "Storage", "TimeRange", "data_dir", "open_storage"]

SQLITE_FILE = "ioc.sqlite3"


def data_dir(settings: Settings) -> Path:
    """`IOC_DATA_DIR`, else `$XDG_DATA_HOME/ioc`, else `~/.local/share/ioc` (not created here)."""
    if settings.data_dir:
        return Path(settings.data_dir).expanduser()
    xdg = os.environ.get("XDG_DATA_HOME", "")
    base = Path(xdg) if os.path.isabs(xdg) else Path.home() / ".local" / "share"
    return base / "ioc"


def open_storage(settings: Settings) -> Storage:
    """The storage the settings describe. Does not touch the network.

    The embedded storage creates its folder and opens (or creates) its file right away; a folder
    that cannot be created is a ConfigError naming IOC_DATA_DIR.
    """
    if settings.influx_url:
        from ioc.storage.influx import InfluxStorage

        return InfluxStorage(
            url=settings.influx_url,
            token=settings.influx_token.get_secret_value(),
            org=settings.influx_org,
            bucket=settings.influx_bucket,
        )
    from ioc.storage.sqlite import SqliteStorage

    folder = data_dir(settings)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError("IOC_DATA_DIR", str(folder), f"cannot create the folder: {exc}") from None
    return SqliteStorage(folder / SQLITE_FILE)
