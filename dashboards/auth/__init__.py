"""Sign-in, roles and the audit trail on the dashboard's Flask server (`ioc.auth` behind Flask).

`install(app, settings)` puts it all on one Dash app:
- `guard` — every request: the session from the cookie, anonymous requests turned away (pages →
  `/login`, callbacks and the API → 401), cross-site state changes refused, security headers.
- `views` — `/login`, `/logout`, `/display/<code>` (a wall screen's one-time sign-in link).
- `admin` — `/admin` (users, display sign-ins, API tokens; admin) and `/audit` (supervisor).

Callbacks ask `require(role)` before they change anything: a lower role gets 403 whatever the
browser sent. The identity on an acknowledgement is `current().user`, never a typed name.
"""

from __future__ import annotations

from typing import Any

import flask

from ioc.auth import Auth, Session, allows

EXTENSION = "ioc_auth"
COOKIE = "ioc_session"


def auth() -> Auth:
    """The store of the app serving this request."""
    return flask.current_app.extensions[EXTENSION]  # type: ignore[no-any-return]


def current() -> Session | None:
    """The signed-in session of this request (None: anonymous)."""
    return flask.g.get("ioc_session")


def role() -> str | None:
    session = current()
    return session.role if session else None


def can(needed: str) -> bool:
    return allows(role(), needed)


def require(needed: str) -> Session:
    """The session if its role has `needed`'s rights; else the request ends with 401/403."""
    session = current()
    if session is None:
        flask.abort(401)
    if not allows(session.role, needed):
        flask.abort(403)
    return session


def client() -> str:
    """The client's address (the proxy's X-Forwarded-For when IOC_DASHBOARD_PROXIES says so)."""
    return flask.request.remote_addr or "" if flask.has_request_context() else ""


def record(action: str, target: str = "", detail: dict[str, Any] | None = None,
           actor: str | None = None) -> None:  # fmt: skip
    """Write one audit entry for this request (actor: the signed-in user)."""
    session = current()
    name = actor if actor is not None else (session.user if session else "anonymous")
    auth().audit.record(name, action, target, client(), detail)


def install(app: Any, settings: Any) -> Auth:
    from dashboards.auth import admin, guard, views

    store = Auth.open(settings)
    app.server.extensions[EXTENSION] = store
    guard.install(app, settings)
    app.server.register_blueprint(views.blueprint)
    app.server.register_blueprint(admin.blueprint)
    return store
