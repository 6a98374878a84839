"""The auth store's SQLite file: a connection per thread and process (kept: opening one costs
≈ 0.9 ms, more than the session lookup every request makes), WAL, a busy timeout, and the schema
created on first use."""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from ioc.errors import ConfigError, StorageError
from ioc.settings import Settings

DB_NAME = "auth.sqlite"
BUSY_TIMEOUT_S = 10.0

SCHEMA = """
CREATE TABLE IF NOT EXISTS users (
    name TEXT PRIMARY KEY, role TEXT NOT NULL, pw_hash TEXT NOT NULL,
    disabled INTEGER NOT NULL DEFAULT 0, created_ms INTEGER NOT NULL, changed_ms INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS failures (
    key TEXT PRIMARY KEY, count INTEGER NOT NULL, last_ms INTEGER NOT NULL,
    locked_until_ms INTEGER NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS sessions (
    id_hash TEXT PRIMARY KEY, user TEXT NOT NULL, display TEXT,
    created_ms INTEGER NOT NULL, last_seen_ms INTEGER NOT NULL, idle_s INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS sessions_user ON sessions(user);
CREATE TABLE IF NOT EXISTS displays (
    name TEXT PRIMARY KEY, code_hash TEXT, code_expires_ms INTEGER NOT NULL,
    created_ms INTEGER NOT NULL, created_by TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS tokens (
    name TEXT PRIMARY KEY, token_hash TEXT NOT NULL UNIQUE, created_ms INTEGER NOT NULL,
    created_by TEXT NOT NULL, last_used_ms INTEGER);
CREATE TABLE IF NOT EXISTS audit (
    id INTEGER PRIMARY KEY AUTOINCREMENT, ts_ms INTEGER NOT NULL, actor TEXT NOT NULL,
    action TEXT NOT NULL, target TEXT NOT NULL DEFAULT '', client TEXT NOT NULL DEFAULT '',
    detail TEXT NOT NULL DEFAULT '{}');
CREATE INDEX IF NOT EXISTS audit_ts ON audit(ts_ms);
CREATE TRIGGER IF NOT EXISTS audit_no_update BEFORE UPDATE ON audit
    BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END;
CREATE TRIGGER IF NOT EXISTS audit_no_delete BEFORE DELETE ON audit
    BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END;
"""


def now_ms() -> int:
    return time.time_ns() // 1_000_000


class AuthDb:
    """The file; `connect()` yields a connection inside one transaction."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._local = threading.local()
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            with self.connect() as conn:
                conn.execute("PRAGMA journal_mode=WAL")
                conn.executescript(SCHEMA)
        except (OSError, sqlite3.Error) as exc:
            raise StorageError(f"auth store {path}: {exc}") from exc

    def _open(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_S)
        conn.row_factory = sqlite3.Row
        return conn

    @contextmanager
    def connect(self) -> Iterator[sqlite3.Connection]:
        """This thread's connection (a new one after a fork or an error), or, inside another
        `connect()` of the same thread, a connection of its own: its own transaction."""
        local = self._local
        if getattr(local, "busy", False):
            conn = self._open()
            try:
                with conn:
                    yield conn
            finally:
                conn.close()
            return
        if getattr(local, "pid", None) != os.getpid():
            local.conn, local.pid = self._open(), os.getpid()
        local.busy = True
        try:
            with local.conn:  # commit on success, roll back on error
                yield local.conn
        except sqlite3.Error:
            local.conn.close()
            local.pid = None  # opened again next time
            raise
        finally:
            local.busy = False


def auth_db_path(settings: Settings) -> Path:
    """`IOC_AUTH_DB`, else `auth.sqlite` in the data directory (next to the embedded history)."""
    if settings.auth_db:
        return Path(settings.auth_db).expanduser()
    from ioc.storage import data_dir  # the storage package loads pandas: only when opened

    return data_dir(settings) / DB_NAME


def open_auth_db(settings: Settings) -> AuthDb:
    path = auth_db_path(settings)
    if path.exists() and not path.is_file():
        raise ConfigError("IOC_AUTH_DB", str(path), "is not a file")
    try:
        return AuthDb(path)
    except StorageError as exc:
        raise ConfigError("IOC_AUTH_DB", str(path), str(exc.__cause__ or exc)) from None
