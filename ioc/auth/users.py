"""Users (name, role, argon2 password hash, disabled) and the failed-sign-in policy.

Passwords are hashed with argon2id by argon2-cffi (its default, RFC 9106 low-memory profile);
hashes made with older parameters are upgraded at the next successful sign-in.

Failed sign-ins are counted per user name, whether the user exists or not, so the answer never
tells which names exist (an unknown name is checked against a dummy hash, so it takes as long):
the first `free_failures` cost nothing; then each attempt waits 1 s, 2 s, 4 s … after the last
failure; from `max_failures` on, each failure locks the name for `lockout_s` (so a wrong
password right after a lock locks it again). A refused attempt is not checked, nor counted. A
success clears the count.
"""

from __future__ import annotations

import re
import sqlite3
from dataclasses import dataclass
from typing import Literal

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from ioc.auth.db import AuthDb, now_ms
from ioc.auth.roles import Role, check_role
from ioc.errors import AuthError

NAME_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")
MIN_PASSWORD = 10
_HASHER = PasswordHasher()
_DUMMY_HASH = _HASHER.hash("not a real password: equal timing for unknown names")


@dataclass(frozen=True, slots=True)
class User:
    name: str
    role: Role
    disabled: bool
    created_ms: int
    changed_ms: int


@dataclass(frozen=True, slots=True)
class LoginPolicy:
    free_failures: int = 3
    max_failures: int = 5
    lockout_s: int = 900


@dataclass(frozen=True, slots=True)
class LoginResult:
    outcome: Literal["ok", "failed", "refused"]
    user: User | None = None
    retry_after_s: int = 0  # refused (or failed and now locked): how long until the next try


def check_name(name: str) -> str:
    if not NAME_RE.match(name):
        raise AuthError(
            f"bad user name {name!r}: 2-64 characters, lower-case letters, digits, . _ -"
        )
    return name


def check_password(password: str) -> str:
    if len(password) < MIN_PASSWORD:
        raise AuthError(f"the password must have at least {MIN_PASSWORD} characters")
    return password


def _user(row: sqlite3.Row) -> User:
    return User(row["name"], row["role"], bool(row["disabled"]), row["created_ms"],
                row["changed_ms"])  # fmt: skip


class Users:
    def __init__(self, db: AuthDb, policy: LoginPolicy | None = None) -> None:
        self.db = db
        self.policy = policy or LoginPolicy()

    # -- management -------------------------------------------------------------------------

    def add(self, name: str, role: str, password: str) -> User:
        check_name(name)
        check_role(role)
        pw_hash = _HASHER.hash(check_password(password))
        now = now_ms()
        try:
            with self.db.connect() as conn:
                conn.execute(
                    "INSERT INTO users(name, role, pw_hash, disabled, created_ms, changed_ms) "
                    "VALUES (?, ?, ?, 0, ?, ?)",
                    (name, role, pw_hash, now, now),
                )
        except sqlite3.IntegrityError:
            raise AuthError(f"user {name!r} already exists") from None
        return self.require(name)

    def get(self, name: str) -> User | None:
        with self.db.connect() as conn:
            row = conn.execute("SELECT * FROM users WHERE name = ?", (name,)).fetchone()
        return _user(row) if row else None

    def require(self, name: str) -> User:
        user = self.get(name)
        if user is None:
            raise AuthError(f"no user {name!r} (see `ioc users list`)")
        return user

    def list(self) -> list[User]:
        with self.db.connect() as conn:
            rows = conn.execute("SELECT * FROM users ORDER BY name").fetchall()
        return [_user(r) for r in rows]

    def count(self) -> int:
        with self.db.connect() as conn:
            return int(conn.execute("SELECT count(*) FROM users").fetchone()[0])

    def set_role(self, name: str, role: str) -> User:
        check_role(role)
        self._update(name, "role = ?", (role,))
        return self.require(name)

    def set_password(self, name: str, password: str) -> None:
        self._update(name, "pw_hash = ?", (_HASHER.hash(check_password(password)),))
        self.clear_failures(name)

    def set_disabled(self, name: str, disabled: bool = True) -> None:
        self._update(name, "disabled = ?", (int(disabled),))

    def _update(self, name: str, assignment: str, values: tuple[object, ...]) -> None:
        with self.db.connect() as conn:
            cur = conn.execute(
                f"UPDATE users SET {assignment}, changed_ms = ? WHERE name = ?",
                (*values, now_ms(), name),
            )
        if cur.rowcount == 0:
            raise AuthError(f"no user {name!r} (see `ioc users list`)")

    # -- sign-in ----------------------------------------------------------------------------

    def authenticate(self, name: str, password: str, now: int | None = None) -> LoginResult:
        """Check a sign-in attempt against the policy, then the password."""
        now = now_ms() if now is None else now
        key = name.strip().lower()[:64]
        wait = self._wait_s(key, now)
        if wait > 0:
            return LoginResult("refused", retry_after_s=wait)
        with self.db.connect() as conn:
            row = conn.execute("SELECT * FROM users WHERE name = ?", (key,)).fetchone()
        ok = _verify(row["pw_hash"] if row else _DUMMY_HASH, password)
        if ok and row is not None and not row["disabled"]:
            self.clear_failures(key)
            if _HASHER.check_needs_rehash(row["pw_hash"]):
                self._update(key, "pw_hash = ?", (_HASHER.hash(password),))
            return LoginResult("ok", _user(row))
        return LoginResult("failed", retry_after_s=self._count_failure(key, now))

    def clear_failures(self, name: str) -> None:
        with self.db.connect() as conn:
            conn.execute("DELETE FROM failures WHERE key = ?", (name.lower(),))

    def _wait_s(self, key: str, now: int) -> int:
        with self.db.connect() as conn:
            row = conn.execute("SELECT * FROM failures WHERE key = ?", (key,)).fetchone()
        if row is None:
            return 0
        until = max(int(row["locked_until_ms"]), int(row["last_ms"]) + self._delay_ms(row["count"]))
        return max(0, -(-(until - now) // 1000))

    def _delay_ms(self, count: int) -> int:
        extra = count - self.policy.free_failures
        if extra < 0:
            return 0
        return min(1 << min(extra, 30), self.policy.lockout_s) * 1000

    def _count_failure(self, key: str, now: int) -> int:
        with self.db.connect() as conn:
            row = conn.execute("SELECT count FROM failures WHERE key = ?", (key,)).fetchone()
            count = (row["count"] if row else 0) + 1
            locked = now + self.policy.lockout_s * 1000 if count >= self.policy.max_failures else 0
            conn.execute(
                "INSERT INTO failures(key, count, last_ms, locked_until_ms) VALUES (?, ?, ?, ?) "
                "ON CONFLICT(key) DO UPDATE SET count = excluded.count, last_ms = excluded.last_ms,"
                " locked_until_ms = excluded.locked_until_ms",
                (key, count, now, locked),
            )
        return self.policy.lockout_s if locked else -(-self._delay_ms(count) // 1000)


def _verify(pw_hash: str, password: str) -> bool:
    try:
        return _HASHER.verify(pw_hash, password)
    except (VerificationError, InvalidHashError):
        return False
