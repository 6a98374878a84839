"""Browser sessions, display sign-ins for wall screens, and API tokens.

Every secret is made by `secrets.token_urlsafe(32)` (256 bits) and only its SHA-256 is stored: a
copy of the store gives no usable cookie, code or token. (A slow hash is for passwords people
choose; these are random.)

- A **session** belongs to a user (rights from the user's current role, so `set-role` and
  `disable` act at once) or to a display (viewer rights). It ends after `idle_s` without a
  request, at sign-out, when its user is disabled or when its display is revoked.
- A **display sign-in** is made by an admin for a named screen: a one-time code (valid
  `CODE_TTL_S`) that, opened once on the wall PC, gives that browser a long-lived display session
  — kept in this store, so it survives dashboard restarts. Revoking the display ends its sessions.
- An **API token** lets a machine read `GET /api/v1/snapshot` (`Authorization: Bearer …`).
"""

from __future__ import annotations

import hashlib
import secrets
import sqlite3
from dataclasses import dataclass

from ioc.auth.db import AuthDb, now_ms
from ioc.auth.roles import Role, check_role
from ioc.auth.users import check_name
from ioc.errors import AuthError

CODE_TTL_S = 24 * 3600
TOUCH_EVERY_MS = 30_000  # last-seen is written at most this often per session


def new_secret() -> str:
    return secrets.token_urlsafe(32)


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class Session:
    user: str  # the user name, or "display:<name>"
    role: Role
    display: str | None
    created_ms: int
    last_seen_ms: int


@dataclass(frozen=True, slots=True)
class Display:
    name: str
    created_ms: int
    created_by: str
    code_pending: bool  # a one-time code was made and not yet used (nor expired)
    sessions: int


@dataclass(frozen=True, slots=True)
class Token:
    name: str
    created_ms: int
    created_by: str
    last_used_ms: int | None


class Sessions:
    def __init__(self, db: AuthDb, idle_s: int = 1800, display_idle_s: int = 365 * 86400) -> None:
        self.db = db
        self.idle_s = idle_s
        self.display_idle_s = display_idle_s

    def create(self, user: str) -> str:
        """A new session for `user`; returns the secret for the cookie."""
        return self._insert(user, None, self.idle_s)

    def _insert(self, user: str, display: str | None, idle_s: int) -> str:
        secret, now = new_secret(), now_ms()
        with self.db.connect() as conn:
            conn.execute(
                "INSERT INTO sessions(id_hash, user, display, created_ms, last_seen_ms, idle_s) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (digest(secret), user, display, now, now, idle_s),
            )
        return secret

    def resolve(self, secret: str, now: int | None = None) -> Session | None:
        """The live session for a cookie value, or None (unknown, expired, user disabled,
        display revoked). Refreshes its last-seen time."""
        if not secret or len(secret) > 200:
            return None
        now = now_ms() if now is None else now
        key = digest(secret)
        with self.db.connect() as conn:
            row = conn.execute(
                "SELECT s.*, u.role AS role, u.disabled AS disabled, d.name AS d_name "
                "FROM sessions s LEFT JOIN users u ON u.name = s.user "
                "LEFT JOIN displays d ON d.name = s.display WHERE s.id_hash = ?",
                (key,),
            ).fetchone()
            if row is None:
                return None
            expired = now - row["last_seen_ms"] > row["idle_s"] * 1000
            if row["display"] is not None:
                role, alive = "viewer", row["d_name"] is not None
            else:
                role, alive = row["role"], row["role"] is not None and not row["disabled"]
            if expired or not alive:
                conn.execute("DELETE FROM sessions WHERE id_hash = ?", (key,))
                return None
            if now - row["last_seen_ms"] >= TOUCH_EVERY_MS:
                conn.execute("UPDATE sessions SET last_seen_ms = ? WHERE id_hash = ?", (now, key))
        return Session(
            row["user"], check_role(role), row["display"], row["created_ms"], row["last_seen_ms"]
        )

    def end(self, secret: str) -> None:
        with self.db.connect() as conn:
            conn.execute("DELETE FROM sessions WHERE id_hash = ?", (digest(secret),))

    def end_all(self, user: str) -> int:
        with self.db.connect() as conn:
            return conn.execute("DELETE FROM sessions WHERE user = ?", (user,)).rowcount

    # -- display sign-ins -------------------------------------------------------------------

    def add_display(self, name: str, by: str) -> str:
        """Register a screen (or renew its code); returns its one-time code."""
        check_name(name)
        code, now = new_secret(), now_ms()
        with self.db.connect() as conn:
            conn.execute(
                "INSERT INTO displays(name, code_hash, code_expires_ms, created_ms, created_by) "
                "VALUES (?, ?, ?, ?, ?) ON CONFLICT(name) DO UPDATE SET "
                "code_hash = excluded.code_hash, code_expires_ms = excluded.code_expires_ms",
                (name, digest(code), now + CODE_TTL_S * 1000, now, by),
            )
        return code

    def redeem(self, code: str) -> tuple[str, str] | None:
        """Use a one-time code: (display name, session secret), or None if unknown/used/old."""
        if not code or len(code) > 200:
            return None
        with self.db.connect() as conn:
            row = conn.execute(
                "UPDATE displays SET code_hash = NULL WHERE code_hash = ? AND code_expires_ms > ? "
                "RETURNING name",
                (digest(code), now_ms()),
            ).fetchone()
        if row is None:
            return None
        name = row["name"]
        return name, self._insert(f"display:{name}", name, self.display_idle_s)

    def revoke_display(self, name: str) -> int:
        """Forget the screen and end its sessions; returns how many were ended."""
        with self.db.connect() as conn:
            if conn.execute("DELETE FROM displays WHERE name = ?", (name,)).rowcount == 0:
                raise AuthError(f"no display {name!r}")
            return conn.execute("DELETE FROM sessions WHERE display = ?", (name,)).rowcount

    def displays(self) -> list[Display]:
        now = now_ms()
        with self.db.connect() as conn:
            rows = conn.execute(
                "SELECT d.*, (SELECT count(*) FROM sessions s WHERE s.display = d.name) AS n "
                "FROM displays d ORDER BY d.name"
            ).fetchall()
        return [
            Display(r["name"], r["created_ms"], r["created_by"],
                    r["code_hash"] is not None and r["code_expires_ms"] > now, r["n"])
            for r in rows
        ]  # fmt: skip


class Tokens:
    def __init__(self, db: AuthDb) -> None:
        self.db = db

    def add(self, name: str, by: str) -> str:
        """A new token; the secret is returned once and never stored."""
        check_name(name)
        secret = "ioc_" + new_secret()
        try:
            with self.db.connect() as conn:
                conn.execute(
                    "INSERT INTO tokens(name, token_hash, created_ms, created_by) "
                    "VALUES (?, ?, ?, ?)",
                    (name, digest(secret), now_ms(), by),
                )
        except sqlite3.IntegrityError:
            raise AuthError(f"token {name!r} already exists (revoke it first)") from None
        return secret

    def check(self, secret: str) -> str | None:
        """The token's name if `secret` is a current token, else None."""
        if not secret or len(secret) > 200:
            return None
        with self.db.connect() as conn:
            row = conn.execute(
                "UPDATE tokens SET last_used_ms = ? WHERE token_hash = ? RETURNING name",
                (now_ms(), digest(secret)),
            ).fetchone()
        return row["name"] if row else None

    def revoke(self, name: str) -> None:
        with self.db.connect() as conn:
            if conn.execute("DELETE FROM tokens WHERE name = ?", (name,)).rowcount == 0:
                raise AuthError(f"no token {name!r} (see `ioc tokens list`)")

    def list(self) -> list[Token]:
        with self.db.connect() as conn:
            rows = conn.execute("SELECT * FROM tokens ORDER BY name").fetchall()
        return [Token(r["name"], r["created_ms"], r["created_by"], r["last_used_ms"]) for r in rows]
