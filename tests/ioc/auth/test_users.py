"""Users, roles and the failed-sign-in policy on the real SQLite store (the clock is passed in)."""

from __future__ import annotations

import pytest

from ioc.auth import allows
from ioc.errors import AuthError

PASSWORD = "correct horse battery"


def test_add_list_role_disable_and_password(auth):
    auth.users.add("lan", "operator", PASSWORD)
    assert [(u.name, u.role, u.disabled) for u in auth.users.list()] == [("lan", "operator", False)]
    assert auth.users.authenticate("lan", PASSWORD).outcome == "ok"
    auth.users.set_role("lan", "supervisor")
    assert auth.users.require("lan").role == "supervisor"
    auth.users.set_password("lan", "another long one")
    assert auth.users.authenticate("lan", PASSWORD).outcome == "failed"
    assert auth.users.authenticate("lan", "another long one").outcome == "ok"
    auth.users.set_disabled("lan")
    assert auth.users.authenticate("lan", "another long one").outcome == "failed"


def test_the_hash_is_argon2_and_not_the_password(auth):
    auth.users.add("lan", "viewer", PASSWORD)
    with auth.db.connect() as conn:
        (stored,) = conn.execute("SELECT pw_hash FROM users").fetchone()
    assert stored.startswith("$argon2id$") and PASSWORD not in stored


@pytest.mark.parametrize(
    ("name", "role", "password", "problem"),
    [
        ("Lan Anh", "viewer", PASSWORD, "bad user name"),
        ("lan", "boss", PASSWORD, "unknown role"),
        ("lan", "viewer", "short", "at least 10"),
    ],
)
def test_bad_requests_say_why(auth, name, role, password, problem):
    with pytest.raises((AuthError, ValueError), match=problem):
        auth.users.add(name, role, password)


def test_duplicate_and_unknown_names(auth):
    auth.users.add("lan", "viewer", PASSWORD)
    with pytest.raises(AuthError, match="already exists"):
        auth.users.add("lan", "admin", PASSWORD)
    with pytest.raises(AuthError, match="no user 'minh'"):
        auth.users.set_role("minh", "admin")


def test_roles_are_ordered():
    assert allows("admin", "operator") and allows("operator", "operator")
    assert not allows("viewer", "operator") and not allows(None, "viewer")
    assert not allows("root", "viewer")


def test_failures_slow_down_then_lock_then_the_right_password_works(auth):
    auth.users.add("lan", "operator", PASSWORD)
    t = 1_000_000_000
    outcomes = [auth.users.authenticate("lan", "wrong", now=t + i * 10).outcome for i in range(3)]
    assert outcomes == ["failed"] * 3  # the free failures
    # 4th failure, then the next try must wait 2 s; a try inside the wait is refused unchecked
    assert auth.users.authenticate("lan", "wrong", now=t + 5_000).outcome == "failed"
    early = auth.users.authenticate("lan", PASSWORD, now=t + 5_500)
    assert (early.outcome, early.retry_after_s) == ("refused", 2)
    # 5th failure locks for the lockout time (60 s here): even the right password is refused
    locked = auth.users.authenticate("lan", "wrong", now=t + 8_000)
    assert (locked.outcome, locked.retry_after_s) == ("failed", 60)
    assert auth.users.authenticate("lan", PASSWORD, now=t + 60_000).outcome == "refused"
    # after the lock, one more wrong password locks again at once
    relocked = auth.users.authenticate("lan", "wrong", now=t + 68_001)
    assert (relocked.outcome, relocked.retry_after_s) == ("failed", 60)
    assert auth.users.authenticate("lan", PASSWORD, now=t + 127_500).outcome == "refused"
    assert auth.users.authenticate("lan", PASSWORD, now=t + 128_002).outcome == "ok"
    assert auth.users.authenticate("lan", "wrong", now=t + 128_100).outcome == "failed"  # reset
    assert auth.users.authenticate("lan", PASSWORD, now=t + 128_200).outcome == "ok"


def test_unknown_names_are_counted_the_same_way(auth):
    t = 1_000_000_000
    results = [auth.users.authenticate("nobody", "x", now=t + i * 10_000) for i in range(5)]
    assert [r.outcome for r in results] == ["failed"] * 5
    assert auth.users.authenticate("nobody", "x", now=t + 50_000).outcome == "refused"
