"""The notification outbox: an SQLite file in the data directory (`notifications.sqlite3`).

It is what makes notifications exactly-once per transition and channel, across engine restarts:

- `episodes` — per alert key (`<rule>|<scope>`) the last transition notified about (raised,
  escalated, cleared) and its alert id. A restarted engine that lost its alert states raises the
  same condition again with a new alert id: the episode is still open, so it is not sent again.
- `outbox` — one row per (channel, alert id, event), primary key, inserted with
  `INSERT OR IGNORE`: enqueuing the same transition twice keeps one row. A row is pending until
  delivered (or failed for good: the receiver refused it), with its next attempt time.
- `attempts` — every delivery attempt: when, ok or not, and what the server said (also
  "deferred: quiet hours").

The engine thread enqueues (one transaction per tick), the delivery thread reads and updates;
SQLite in WAL mode serialises them, each thread with its own connection.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import orjson

from ioc.notify.message import Notice

OUTBOX_FILE = "notifications.sqlite3"
Status = Literal["pending", "delivered", "failed"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS episodes (
    alert_key TEXT PRIMARY KEY, alert_id TEXT NOT NULL, event TEXT NOT NULL, at_ms INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS outbox (
    channel TEXT NOT NULL, alert_id TEXT NOT NULL, event TEXT NOT NULL,
    notice TEXT NOT NULL, created_ms INTEGER NOT NULL, next_ms INTEGER NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0, status TEXT NOT NULL DEFAULT 'pending',
    done_ms INTEGER,
    PRIMARY KEY (channel, alert_id, event)
);
CREATE INDEX IF NOT EXISTS outbox_due ON outbox (status, next_ms);
CREATE TABLE IF NOT EXISTS attempts (
    channel TEXT NOT NULL, alert_id TEXT NOT NULL, event TEXT NOT NULL,
    at_ms INTEGER NOT NULL, ok INTEGER NOT NULL, detail TEXT NOT NULL
);
"""


@dataclass(frozen=True, slots=True)
class Item:
    channel: str
    notice: Notice
    attempts: int
    next_ms: int
    status: Status

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.channel, self.notice.alert_id, self.notice.event)


@dataclass(frozen=True, slots=True)
class Attempt:
    channel: str
    alert_id: str
    event: str
    at_ms: int
    ok: bool
    detail: str


class Outbox:
    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._local = threading.local()
        self._all: list[sqlite3.Connection] = []
        self._lock = threading.Lock()
        with self._db() as db:
            db.executescript(_SCHEMA)

    def _db(self) -> sqlite3.Connection:
        db: sqlite3.Connection | None = getattr(self._local, "db", None)
        if db is None:
            db = sqlite3.connect(self.path, timeout=30, check_same_thread=False)
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=FULL")
            self._local.db = db
            with self._lock:
                self._all.append(db)
        return db

    # -- the engine's side ------------------------------------------------------------------

    def episode(self, alert_key: str) -> tuple[str, str] | None:
        """(alert id, last event notified about) of an alert key, if any."""
        row = (
            self._db()
            .execute("SELECT alert_id, event FROM episodes WHERE alert_key = ?", (alert_key,))
            .fetchone()
        )
        return None if row is None else (row[0], row[1])

    def enqueue(
        self, alert_key: str, notice: Notice, channels: Iterable[str], now_ms: int
    ) -> list[str]:
        """Record the episode and queue `notice` for each channel not queued yet (one
        transaction); returns the channels it was newly queued for."""
        blob = orjson.dumps(notice.to_dict()).decode()
        queued: list[str] = []
        with self._db() as db:
            db.execute(
                "INSERT INTO episodes VALUES (?, ?, ?, ?) ON CONFLICT(alert_key) DO UPDATE SET "
                "alert_id = excluded.alert_id, event = excluded.event, at_ms = excluded.at_ms",
                (alert_key, notice.alert_id, notice.event, notice.at_ms),
            )
            for channel in channels:
                cursor = db.execute(
                    "INSERT OR IGNORE INTO outbox (channel, alert_id, event, notice, created_ms,"
                    " next_ms) VALUES (?, ?, ?, ?, ?, ?)",
                    (channel, notice.alert_id, notice.event, blob, now_ms, now_ms),
                )
                if cursor.rowcount:
                    queued.append(channel)
        return queued

    # -- the delivery side ------------------------------------------------------------------

    def due(self, now_ms: int, limit: int = 100) -> list[Item]:
        rows = (
            self._db()
            .execute(
                "SELECT channel, notice, attempts, next_ms, status FROM outbox "
                "WHERE status = 'pending' AND next_ms <= ? ORDER BY next_ms LIMIT ?",
                (now_ms, limit),
            )
            .fetchall()
        )
        return [Item(r[0], Notice.from_dict(orjson.loads(r[1])), r[2], r[3], r[4]) for r in rows]

    def next_due_ms(self) -> int | None:
        row = (
            self._db()
            .execute("SELECT MIN(next_ms) FROM outbox WHERE status = 'pending'")
            .fetchone()
        )
        return None if row is None or row[0] is None else int(row[0])

    def record(
        self,
        item: Item,
        at_ms: int,
        *,
        ok: bool,
        detail: str,
        status: Status,
        next_ms: int | None = None,
        counts: bool = True,
    ) -> None:
        """One attempt: its outcome, and the row's new status (and next attempt when pending).
        `counts=False` for a deferral (quiet hours), which is no delivery attempt."""
        channel, alert_id, event = item.key
        with self._db() as db:
            db.execute(
                "INSERT INTO attempts VALUES (?, ?, ?, ?, ?, ?)",
                (channel, alert_id, event, at_ms, int(ok), detail[:500]),
            )
            db.execute(
                "UPDATE outbox SET attempts = attempts + ?, status = ?, next_ms = ?, done_ms = ? "
                "WHERE channel = ? AND alert_id = ? AND event = ?",
                (
                    int(counts),
                    status,
                    next_ms if next_ms is not None else at_ms,
                    at_ms if status != "pending" else None,
                    channel,
                    alert_id,
                    event,
                ),
            )

    # -- reading (tests, `ioc notify`, metrics) -----------------------------------------------

    def items(self) -> list[Item]:
        rows = (
            self._db()
            .execute(
                "SELECT channel, notice, attempts, next_ms, status FROM outbox ORDER BY created_ms"
            )
            .fetchall()
        )
        return [Item(r[0], Notice.from_dict(orjson.loads(r[1])), r[2], r[3], r[4]) for r in rows]

    def attempts(self) -> list[Attempt]:
        rows = self._db().execute("SELECT * FROM attempts ORDER BY rowid").fetchall()
        return [Attempt(r[0], r[1], r[2], r[3], bool(r[4]), r[5]) for r in rows]

    def counts(self) -> dict[tuple[str, str], int]:
        """(channel, status) -> rows."""
        rows = (
            self._db()
            .execute("SELECT channel, status, COUNT(*) FROM outbox GROUP BY channel, status")
            .fetchall()
        )
        return {(r[0], r[1]): int(r[2]) for r in rows}

    def close(self) -> None:
        with self._lock:
            for db in self._all:
                db.close()
            self._all.clear()
        self._local = threading.local()


def as_row(item: Item) -> dict[str, Any]:
    return {"channel": item.channel, "status": item.status, **item.notice.to_dict()}
