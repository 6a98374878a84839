"""The auth store's connections (ioc/auth/db.py): one kept per thread, a nested `connect()` its
own transaction, a fresh one after an error, and what one thread commits the others see."""

from __future__ import annotations

import sqlite3
import threading

import pytest

from ioc.auth.db import AuthDb


@pytest.fixture
def db(tmp_path) -> AuthDb:
    return AuthDb(tmp_path / "auth.sqlite")


def _user(conn: sqlite3.Connection, name: str) -> None:
    conn.execute(
        "INSERT INTO users(name, role, pw_hash, created_ms, changed_ms) "
        "VALUES (?, 'viewer', '', 0, 0)",
        (name,),
    )


def _users(db: AuthDb) -> list[str]:
    with db.connect() as conn:
        return [r["name"] for r in conn.execute("SELECT name FROM users ORDER BY name")]


def test_a_thread_keeps_its_connection_and_other_threads_have_their_own(db):
    with db.connect() as first:
        pass
    with db.connect() as again:
        assert again is first
    theirs: list[sqlite3.Connection] = []

    def other() -> None:
        with db.connect() as conn:
            _user(conn, "from-thread")
            theirs.append(conn)

    thread = threading.Thread(target=other)
    thread.start()
    thread.join()
    assert theirs and theirs[0] is not first
    assert _users(db) == ["from-thread"]  # committed there, seen here


def test_a_nested_connect_is_its_own_transaction(db):
    with db.connect() as conn:
        _user(conn, "before")
    with pytest.raises(RuntimeError), db.connect() as outer:
        _user(outer, "rolled-back")
        assert _users(db) == ["before"]  # another connection: the outer write is not seen yet
        raise RuntimeError("the outer operation fails")
    assert _users(db) == ["before"]


def test_an_error_rolls_back_and_the_next_operation_gets_a_working_connection(db):
    with pytest.raises(sqlite3.IntegrityError), db.connect() as conn:
        _user(conn, "twice")
        _user(conn, "twice")
    with db.connect() as fresh:
        assert fresh is not conn
        _user(fresh, "after")
    assert _users(db) == ["after"]
