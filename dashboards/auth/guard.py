"""What every request passes through (before_request / after_request on the Flask server).

Access: the static parts (`/assets/`, Dash's component bundles, the favicon), the sign-in
pages and monitoring (`/metrics`, `/healthz`, `/readyz`: no data) are open; everything else
needs a session — a page answers an anonymous browser with a redirect to `/login?next=…`,
Dash's own endpoints (`/_dash-layout`, `/_dash-update-component`…)
and the API with 401 and no data. `GET /api/v1/snapshot` also takes `Authorization: Bearer
<token>` (`ioc tokens add`), or nothing at all when `IOC_SNAPSHOT_PUBLIC=true`.

Cross-site requests: a state-changing request (any method but GET/HEAD/OPTIONS) must carry an
`Origin` (or, failing that, a `Referer`) of this very site, else 403 — so another site cannot
make a signed-in browser fire a callback, sign in or out; the session cookie is also
`SameSite=Lax` and `HttpOnly` (`Secure` over HTTPS).

Headers: a content security policy that allows only the app itself — scripts from this origin
plus the hashes of Dash's inline scripts (`Dash.csp_hashes()`: the renderer start-up and the
client-side callbacks), no `'unsafe-eval'` and no inline scripts (measured: the wall, its map —
plain Plotly scatter, no MapLibre — and the drill-downs' charts and grid run without them,
tests/dashboards/test_auth.py); inline styles are allowed (Plotly and the components set
them); no framing unless `IOC_DASHBOARD_FRAME_ANCESTORS` names who may; nosniff, no referrer
to other sites, HSTS over HTTPS.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote, urlsplit

import flask
from werkzeug.middleware.proxy_fix import ProxyFix

from dashboards.api import SNAPSHOT_PATH
from dashboards.auth import COOKIE, EXTENSION, auth
from dashboards.health import PATHS as HEALTH_PATHS

OPEN_PREFIXES = ("/assets/", "/_dash-component-suites/", "/login", "/display/")
# monitoring (dashboards.health: no data), the favicon
OPEN_PATHS = frozenset({"/_favicon.ico", "/favicon.ico", *HEALTH_PATHS})
DATA_SUFFIXES = (".csv", ".json")  # downloads: 401, not a sign-in page
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
CSP_KEY = "ioc_csp"


def _own_origin() -> str:
    return flask.request.host_url.rstrip("/").lower()


def cross_site() -> bool:
    """Whether this request comes from another site (judged by Origin, else Referer)."""
    origin = flask.request.headers.get("Origin")
    if origin is None:
        referer = flask.request.headers.get("Referer", "")
        if not referer:
            return True  # browsers send Origin on every POST: its absence is not a browser's
        parts = urlsplit(referer)
        origin = f"{parts.scheme}://{parts.netloc}"
    return origin.lower() != _own_origin()


def _unauthorized() -> flask.Response:
    response = flask.jsonify(error="sign-in required", login="/login")
    response.status_code = 401
    return response


def _bearer() -> str:
    header = flask.request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    return value.strip() if scheme.lower() == "bearer" else ""


def before() -> flask.Response | None:
    request = flask.request
    if request.method not in SAFE_METHODS and cross_site():
        response = flask.jsonify(error="cross-site request refused")
        response.status_code = 403
        return response
    store = auth()
    secret = request.cookies.get(COOKIE, "")
    flask.g.ioc_session = store.sessions.resolve(secret) if secret else None
    path = request.path
    if path in OPEN_PATHS or path.startswith(OPEN_PREFIXES):
        return None
    if path == SNAPSHOT_PATH:
        settings = flask.current_app.extensions[EXTENSION + "_settings"]
        if settings.snapshot_public or flask.g.ioc_session is not None:
            return None
        token = _bearer()
        if token and store.tokens.check(token):
            return None
        response = _unauthorized()
        response.headers["WWW-Authenticate"] = 'Bearer realm="ioc"'
        return response
    if flask.g.ioc_session is not None:
        return None
    if (
        path.startswith(("/_", "/api/"))
        or path.endswith(DATA_SUFFIXES)
        or (request.method not in SAFE_METHODS)
    ):
        return _unauthorized()
    target = request.full_path.rstrip("?")
    return flask.redirect(f"/login?next={quote(target, safe='/')}")


def csp(app: Any, frame_ancestors: str) -> str:
    scripts = " ".join(["'self'", *app.csp_hashes()])
    return "; ".join(
        [
            "default-src 'self'",
            f"script-src {scripts}",
            "style-src 'self' 'unsafe-inline'",
            "img-src 'self' data: blob:",
            "font-src 'self' data:",
            "connect-src 'self'",
            "worker-src 'self' blob:",
            "child-src 'self' blob:",
            "object-src 'none'",
            "base-uri 'self'",
            "form-action 'self'",
            f"frame-ancestors {frame_ancestors or chr(39) + 'none' + chr(39)}",
        ]
    )


def install(app: Any, settings: Any) -> None:
    server: flask.Flask = app.server
    server.extensions[EXTENSION + "_settings"] = settings
    if settings.dashboard_proxies:
        n = settings.dashboard_proxies
        server.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            server.wsgi_app, x_for=n, x_proto=n, x_host=n, x_port=n
        )
    frame_ancestors = settings.dashboard_frame_ancestors.strip()

    def after(response: flask.Response) -> flask.Response:
        policy = server.extensions.get(CSP_KEY)
        if policy is None:  # after the first request: every callback is registered by then
            policy = server.extensions[CSP_KEY] = csp(app, frame_ancestors)
        headers = response.headers
        headers.setdefault("Content-Security-Policy", policy)
        if not frame_ancestors:
            headers["X-Frame-Options"] = "DENY"
        elif frame_ancestors == "'self'":
            headers["X-Frame-Options"] = "SAMEORIGIN"
        headers["X-Content-Type-Options"] = "nosniff"
        headers["Referrer-Policy"] = "same-origin"
        headers["Cross-Origin-Opener-Policy"] = "same-origin"
        headers["Permissions-Policy"] = "camera=(), microphone=(), geolocation=()"
        if flask.request.is_secure:
            headers["Strict-Transport-Security"] = "max-age=31536000"
        if not flask.request.path.startswith(("/assets/", "/_dash-component-suites/")):
            headers.setdefault("Cache-Control", "no-store")
        return response

    server.before_request(before)
    server.after_request(after)
