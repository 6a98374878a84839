"""`ioc backup DEST`: a consistent copy of the embedded stores, taken while the processes run.

The files of the data directory that are SQLite databases — the embedded history
(`ioc.sqlite3`), the user and audit store (`auth.sqlite`, or IOC_AUTH_DB), the notification
outbox (`notifications.sqlite3`) — are copied with SQLite's online backup API (the engine's own
tool: pages copied under its locks, so a writer going on meanwhile never yields a torn copy;
the WAL is folded in). Restoring is copying them into a fresh data directory before starting
(see the README, "Backups"). InfluxDB, Redis and Mosquitto have tools of their own.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from ioc.errors import ConfigError, StorageError
from ioc.notify.outbox import OUTBOX_FILE
from ioc.settings import Settings
from ioc.storage import SQLITE_FILE, data_dir


def store_files(settings: Settings) -> list[Path]:
    """The SQLite stores of these settings that exist, history first."""
    from ioc.auth.db import auth_db_path

    base = data_dir(settings)
    candidates = [base / SQLITE_FILE, auth_db_path(settings), base / OUTBOX_FILE]
    return [p for p in candidates if p.is_file()]


def backup_file(source: Path, dest: Path) -> None:
    """Copy one SQLite database with the online backup API."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    try:
        with sqlite3.connect(f"file:{source}?mode=ro", uri=True, timeout=30) as src:
            target = sqlite3.connect(dest)
            try:
                src.backup(target)
            finally:
                target.close()
    except sqlite3.Error as exc:
        raise StorageError(f"backup of {source} failed: {exc}") from None


def backup(settings: Settings, dest: Path) -> list[Path]:
    """Back up every store into `dest` (created; existing copies of the same name are refused)."""
    files = store_files(settings)
    if not files:
        raise ConfigError("IOC_DATA_DIR", str(data_dir(settings)), "no SQLite store to back up")
    written = []
    for source in files:
        target = dest / source.name
        if target.exists():
            raise ConfigError("DEST", str(target), "exists already; back up into a new folder")
        backup_file(source, target)
        written.append(target)
    return written
