"""The request guard and the sign-in views through Flask's test client, on the embedded
backends (no service): proxies, cookies, redirects, frame settings, public snapshot, tokens."""

from __future__ import annotations

import pytest

from dashboards.app import create_app
from dashboards.auth import EXTENSION as AUTH
from dashboards.auth.views import safe_next
from ioc.settings import load_settings

PASSWORD = "correct horse battery"


def make_app(tmp_path, sqlite_storage, memory_live, **settings):
    app = create_app(
        load_settings(influx_url="", redis_url="", data_dir=str(tmp_path), **settings),
        live=memory_live,
        storage=sqlite_storage,
    )
    app.server.extensions[AUTH].users.add("lan", "admin", PASSWORD)
    return app


def login(client, origin="http://localhost", **headers):
    form = {"username": "lan", "password": PASSWORD, "next": "/devices"}
    return client.post("/login", data=form, headers={"Origin": origin, **headers})


def test_behind_a_proxy_the_cookie_is_secure_and_the_client_is_the_forwarded_one(
    tmp_path, sqlite_storage, memory_live
):
    app = make_app(tmp_path, sqlite_storage, memory_live, dashboard_proxies=1)
    forwarded = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "10.20.30.40"}
    with app.server.test_client() as client:
        response = login(client, origin="https://localhost", **forwarded)
        assert response.status_code == 302 and response.headers["Location"] == "/devices"
        cookie = response.headers["Set-Cookie"]
        assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
        assert response.headers["Strict-Transport-Security"].startswith("max-age=")
    (entry,) = app.server.extensions[AUTH].audit.query(action="login")
    assert entry.client == "10.20.30.40"


def test_without_a_proxy_forwarded_headers_are_not_believed(tmp_path, sqlite_storage, memory_live):
    app = make_app(tmp_path, sqlite_storage, memory_live)
    forwarded = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "10.20.30.40"}
    with app.server.test_client() as client:
        response = login(client, **forwarded)
        assert "Secure" not in response.headers["Set-Cookie"]
        assert "Strict-Transport-Security" not in response.headers
    (entry,) = app.server.extensions[AUTH].audit.query(action="login")
    assert entry.client == "127.0.0.1"


def test_sign_in_from_another_site_is_refused(tmp_path, sqlite_storage, memory_live):
    app = make_app(tmp_path, sqlite_storage, memory_live)
    with app.server.test_client() as client:
        assert login(client, origin="https://evil.example").status_code == 403
        assert app.server.extensions[AUTH].audit.query() == []


def test_the_snapshot_takes_a_token_or_is_public_when_set(tmp_path, sqlite_storage, memory_live):
    app = make_app(tmp_path, sqlite_storage, memory_live)
    token = app.server.extensions[AUTH].tokens.add("lgsp", by="test")
    with app.server.test_client() as client:
        anonymous = client.get("/api/v1/snapshot")
        assert anonymous.status_code == 401 and anonymous.headers["WWW-Authenticate"]
        assert (
            client.get("/api/v1/snapshot", headers={"Authorization": "Bearer x"}).status_code == 401
        )
        ok = client.get("/api/v1/snapshot", headers={"Authorization": f"Bearer {token}"})
        assert ok.status_code == 200
        app.server.extensions[AUTH].tokens.revoke("lgsp")
        revoked = client.get("/api/v1/snapshot", headers={"Authorization": f"Bearer {token}"})
        assert revoked.status_code == 401
        assert client.get("/").status_code == 302  # public snapshot or not, pages need a sign-in
    public = make_app(tmp_path / "p", sqlite_storage, memory_live, snapshot_public=True)
    with public.server.test_client() as client:
        assert client.get("/api/v1/snapshot").status_code == 200
        assert client.get("/").status_code == 302


def test_framing_is_refused_unless_a_portal_is_named(tmp_path, sqlite_storage, memory_live):
    strict = make_app(tmp_path, sqlite_storage, memory_live)
    with strict.server.test_client() as client:
        page = client.get("/login")
    assert page.headers["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in page.headers["Content-Security-Policy"]
    portal = "https://portal.caobang.gov.vn"
    framed = make_app(tmp_path / "f", sqlite_storage, memory_live, dashboard_frame_ancestors=portal)
    with framed.server.test_client() as client:
        page = client.get("/login")
    assert "X-Frame-Options" not in page.headers
    assert f"frame-ancestors {portal}" in page.headers["Content-Security-Policy"]


def test_a_bad_frame_setting_names_the_key():
    from ioc.errors import ConfigError

    with pytest.raises(ConfigError, match="IOC_DASHBOARD_FRAME_ANCESTORS"):
        load_settings(dashboard_frame_ancestors="javascript:alert(1)")


@pytest.mark.parametrize(
    ("value", "safe"),
    [("/devices?range=1h", "/devices?range=1h"), ("//evil.example/x", "/"),
     ("https://evil.example", "/"), ("/\\\\evil", "/"), (None, "/")],
)  # fmt: skip
def test_the_next_page_after_sign_in_stays_on_this_site(value, safe):
    assert safe_next(value) == safe


def test_admin_page_changes_are_checked_and_audited(tmp_path, sqlite_storage, memory_live):
    app = make_app(tmp_path, sqlite_storage, memory_live)
    store = app.server.extensions[AUTH]
    store.users.add("minh", "operator", PASSWORD)
    origin = {"Origin": "http://localhost"}
    with app.server.test_client() as client:
        form = {"username": "minh", "password": PASSWORD}
        client.post("/login", data=form, headers=origin)
        assert client.get("/admin").status_code == 403  # an operator
        assert client.post("/admin", data={"action": "user_add"}, headers=origin).status_code == 403
    with app.server.test_client() as client:
        login(client)
        added = client.post(
            "/admin",
            data={"action": "user_add", "name": "mai", "role": "supervisor", "password": PASSWORD},
            headers=origin,
        )
        assert added.status_code == 200 and store.users.require("mai").role == "supervisor"
        bad = client.post(
            "/admin", data={"action": "user_role", "name": "mai", "role": "boss"}, headers=origin
        )
        assert bad.status_code == 400 and "unknown role" in bad.get_data(as_text=True)
        token = client.post("/admin", data={"action": "token_add", "name": "lgsp"}, headers=origin)
        assert "ioc_" in token.get_data(as_text=True)  # shown once
        assert client.get("/audit?action=user").status_code == 200
        csv = client.get("/audit.csv?action=user_add").get_data(as_text=True)
        assert "mai" in csv and "supervisor" in csv
    actions = [(e.actor, e.action, e.target) for e in store.audit.query()]
    assert ("lan", "user_add", "mai") in actions and ("lan", "token_add", "lgsp") in actions
    assert ("lan", "audit_export", "audit") in actions
