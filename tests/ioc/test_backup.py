"""Backups of the embedded stores: `ioc backup` taken while the stores are open and being
written, restored by copying into a fresh data directory, finds the same history, the same
users (who can still sign in) and the same audit trail."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

from ioc.auth import Auth
from ioc.model import NS_PER_MS, Reading
from ioc.settings import load_settings
from ioc.storage.base import TimeRange
from ioc.storage.sqlite import SqliteStorage

EVERYTHING = TimeRange(0, 2**62)
T0 = 1_764_547_200_000  # 2025-12-01 00:00 UTC


def readings(n, offset=0):
    return [
        Reading(
            "sensor",
            (T0 + (offset + i) * 60_000) * NS_PER_MS,
            {"district": "hoa-an", "source": "water-bang-giang-hoa-an", "kind": "water"},
            {"level_cm": 180.0 + i % 7},
        )
        for i in range(n)
    ]


def history(storage):
    frame = storage.records("sensor", EVERYTHING, limit=0).sort_values("time")
    return list(zip(frame["time"], frame["level_cm"], strict=True))


def test_backup_restored_into_a_fresh_data_dir_has_the_same_history_and_users(tmp_path):
    live_dir, backup_dir, fresh_dir = tmp_path / "data", tmp_path / "backup", tmp_path / "fresh"
    settings = load_settings(data_dir=str(live_dir))
    live_dir.mkdir()
    storage = SqliteStorage(live_dir / "ioc.sqlite3")
    auth = Auth.open(settings)
    try:
        storage.write(readings(500))
        auth.users.add("hoang.mai", "supervisor", "mat-khau-dai-du-12")
        auth.users.add("truc.ban.1", "operator", "mat-khau-khac-345")
        auth.audit.record("admin", "user.add", "hoang.mai", "127.0.0.1", {"role": "supervisor"})
        storage.write(readings(250, offset=500))  # still open, its WAL not checkpointed
        assert (live_dir / "ioc.sqlite3-wal").stat().st_size > 0

        done = subprocess.run(
            [sys.executable, "-m", "ioc.cli", "backup", str(backup_dir)],
            env={**os.environ, "IOC_DATA_DIR": str(live_dir)},
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, done.stderr
        assert sorted(p.name for p in backup_dir.iterdir()) == ["auth.sqlite", "ioc.sqlite3"]
        before, users_before = history(storage), auth.users.list()
        audit_before = [e.as_dict() for e in auth.audit.query()]
        storage.write(readings(10, offset=10_000))  # after the backup: not in it
    finally:
        storage.close()

    fresh_dir.mkdir()
    for copy in backup_dir.iterdir():  # the restore: copy the files into the new data dir
        shutil.copy2(copy, fresh_dir / copy.name)
    restored = SqliteStorage(fresh_dir / "ioc.sqlite3")
    restored_auth = Auth.open(load_settings(data_dir=str(fresh_dir)))
    try:
        assert history(restored) == before and len(before) == 750
        assert restored_auth.users.list() == users_before
        assert restored_auth.users.get("hoang.mai").role == "supervisor"
        login = restored_auth.users.authenticate("hoang.mai", "mat-khau-dai-du-12")
        assert login.outcome == "ok"
        assert [e.as_dict() for e in restored_auth.audit.query()] == audit_before
    finally:
        restored.close()

    again = subprocess.run(
        [sys.executable, "-m", "ioc.cli", "backup", str(backup_dir)],
        env={**os.environ, "IOC_DATA_DIR": str(live_dir)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert again.returncode == 2 and "exists already" in again.stderr
