"""Who may do what: users and roles, sign-in sessions, display sign-ins, API tokens, the audit
trail. One SQLite file (`IOC_AUTH_DB`, default `<data dir>/auth.sqlite`, WAL) needs no extra
server and is shared by every dashboard worker and the `ioc users|tokens|audit` commands.

- `roles` — viewer < operator < supervisor < admin, and what each may do.
- `db` — the connection and schema (the audit table refuses UPDATE and DELETE by trigger).
- `users` — users with argon2 password hashes (argon2-cffi), the failed-sign-in policy.
- `sessions` — browser sessions (random id in the cookie, only its SHA-256 in the store),
  display sign-ins for wall screens, API tokens.
- `audit` — append and query the trail.

No web framework here: `dashboards.auth` puts this behind Flask.
"""

from ioc.auth.audit import AuditEntry, AuditLog
from ioc.auth.db import AuthDb, open_auth_db
from ioc.auth.roles import ROLES, Role, allows
from ioc.auth.service import Auth
from ioc.auth.sessions import Session, Sessions, Tokens
from ioc.auth.users import LoginPolicy, LoginResult, User, Users

__all__ = [
    "ROLES",
    "AuditEntry",
    "AuditLog",
    "Auth",
    "AuthDb",
    "LoginPolicy",
    "LoginResult",
    "Role",
    "Session",
    "Sessions",
    "Tokens",
    "User",
    "Users",
    "allows",
    "open_auth_db",
]
