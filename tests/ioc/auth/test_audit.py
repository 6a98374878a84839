"""The audit trail: filtered queries, and rows that cannot be changed or deleted."""

from __future__ import annotations

import sqlite3

import pytest


def test_record_and_filter(auth):
    auth.audit.record("lan", "login", client="10.0.0.5", ts_ms=1000)
    auth.audit.record("lan", "ack", target="water:x", detail={"comment": "đã cử người"}, ts_ms=2000)
    auth.audit.record("minh", "login_failed", client="10.0.0.9", ts_ms=3000)
    assert [e.action for e in auth.audit.query()] == ["login_failed", "ack", "login"]
    assert [e.action for e in auth.audit.query(action="login")] == ["login_failed", "login"]
    assert [e.action for e in auth.audit.query(actor="lan", since_ms=1500)] == ["ack"]
    assert auth.audit.query(action="ack")[0].detail == {"comment": "đã cử người"}


def test_rows_cannot_be_edited_or_deleted(auth):
    auth.audit.record("lan", "login")
    with auth.db.connect() as conn, pytest.raises(sqlite3.IntegrityError, match="append-only"):
        conn.execute("UPDATE audit SET actor = 'someone else'")
    with auth.db.connect() as conn, pytest.raises(sqlite3.IntegrityError, match="append-only"):
        conn.execute("DELETE FROM audit")
    assert [e.actor for e in auth.audit.query()] == ["lan"]
