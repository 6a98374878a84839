"""Sessions, display sign-ins and API tokens on the real SQLite store."""

from __future__ import annotations

import pytest

from ioc.auth import Auth
from ioc.auth.db import now_ms
from ioc.errors import AuthError
from ioc.settings import load_settings


def test_a_session_follows_its_user_and_expires_when_idle(auth):
    auth.users.add("lan", "operator", "correct horse battery")
    secret = auth.sessions.create("lan")
    session = auth.sessions.resolve(secret)
    assert (session.user, session.role, session.display) == ("lan", "operator", None)
    auth.users.set_role("lan", "viewer")
    assert auth.sessions.resolve(secret).role == "viewer"  # the role is read at every request
    assert auth.sessions.resolve(secret, now=now_ms() + (auth.sessions.idle_s + 1) * 1000) is None
    assert auth.sessions.resolve(secret) is None  # an expired session is gone for good


def test_a_disabled_user_and_sign_out_end_sessions(auth):
    auth.users.add("lan", "operator", "correct horse battery")
    first, second = auth.sessions.create("lan"), auth.sessions.create("lan")
    auth.sessions.end(first)
    assert auth.sessions.resolve(first) is None and auth.sessions.resolve(second) is not None
    auth.users.set_disabled("lan")
    assert auth.sessions.resolve(second) is None
    assert auth.sessions.resolve("made-up") is None


def test_only_hashes_are_stored(auth):
    auth.users.add("lan", "operator", "correct horse battery")
    secret = auth.sessions.create("lan")
    token = auth.tokens.add("lgsp", by="admin")
    code = auth.sessions.add_display("wall-1", by="admin")
    with auth.db.connect() as conn:
        dump = "\n".join(conn.iterdump())
    assert secret not in dump and token not in dump and code not in dump


def test_display_code_is_used_once_and_its_session_survives_a_reopen(tmp_path):
    settings = load_settings(data_dir=str(tmp_path))
    auth = Auth.open(settings)
    code = auth.sessions.add_display("wall-1", by="admin")
    name, secret = auth.sessions.redeem(code)
    assert name == "wall-1" and auth.sessions.redeem(code) is None
    reopened = Auth.open(settings)  # a dashboard restart
    session = reopened.sessions.resolve(secret)
    assert (session.user, session.role, session.display) == ("display:wall-1", "viewer", "wall-1")
    assert [d.name for d in reopened.sessions.displays()] == ["wall-1"]
    assert reopened.sessions.revoke_display("wall-1") == 1
    assert reopened.sessions.resolve(secret) is None
    with pytest.raises(AuthError, match="no display"):
        reopened.sessions.revoke_display("wall-1")


def test_tokens(auth):
    token = auth.tokens.add("lgsp", by="admin")
    assert auth.tokens.check(token) == "lgsp" and auth.tokens.check(token + "x") is None
    assert auth.tokens.list()[0].last_used_ms is not None
    with pytest.raises(AuthError, match="already exists"):
        auth.tokens.add("lgsp", by="admin")
    auth.tokens.revoke("lgsp")
    assert auth.tokens.check(token) is None
