"""`Auth`: the store's parts opened together from the settings (what the dashboard and the
`ioc users|tokens|displays|audit` commands use)."""

from __future__ import annotations

from dataclasses import dataclass

from ioc.auth.audit import AuditLog
from ioc.auth.db import AuthDb, open_auth_db
from ioc.auth.sessions import Sessions, Tokens
from ioc.auth.users import LoginPolicy, Users
from ioc.settings import Settings


@dataclass(frozen=True)
class Auth:
    db: AuthDb
    users: Users
    sessions: Sessions
    tokens: Tokens
    audit: AuditLog

    @classmethod
    def open(cls, settings: Settings) -> Auth:
        """Open (or create) the store; a bad path is a ConfigError naming IOC_AUTH_DB."""
        db = open_auth_db(settings)
        policy = LoginPolicy(
            free_failures=settings.auth_free_failures,
            max_failures=settings.auth_max_failures,
            lockout_s=settings.auth_lockout_s,
        )
        return cls(
            db=db,
            users=Users(db, policy),
            sessions=Sessions(db, settings.auth_session_idle_s, settings.auth_display_days * 86400),
            tokens=Tokens(db),
            audit=AuditLog(db),
        )
