"""A drill-down's first view computed while the browser loads the page (`dashboards.prefetch`)."""

from __future__ import annotations

import threading

import flask
import pytest

from dashboards import prefetch
from dashboards.app import create_app
from dashboards.auth import EXTENSION as AUTH
from dashboards.pages import common, environment
from dashboards.urlstate import ViewState
from ioc.settings import load_settings

PASSWORD = "correct horse battery"


@pytest.fixture
def server():
    app = flask.Flask("prefetch-test")
    with app.app_context():
        yield app


def test_a_view_is_computed_in_the_app_and_taken_once_by_its_own_key(server):
    prefetch.start("k1", lambda: flask.current_app.name)  # the worker has the app's context
    assert prefetch.take("k2") is None
    assert prefetch.take("k1") == "prefetch-test"
    assert prefetch.take("k1") is None  # taken: the next page load computes its own


def test_a_stale_or_failed_view_is_not_taken(server, monkeypatch):
    def fail() -> None:
        raise RuntimeError("storage unreadable")

    prefetch.start("failed", fail)
    assert prefetch.take("failed") is None  # the layout computes it again and says why
    monkeypatch.setattr(prefetch, "FRESH_S", -1.0)
    prefetch.start("stale", lambda: 1)
    assert prefetch.take("stale") is None


def test_views_stuck_on_storage_hold_up_no_other(server):
    release = threading.Event()
    try:
        for i in range(3):
            prefetch.start(("stuck", i), lambda: release.wait(30))
        prefetch.start("free", lambda: 2)
        assert prefetch.take("free") == 2
    finally:
        release.set()


def test_at_most_max_pending_views_wait(server, monkeypatch):
    monkeypatch.setattr(prefetch, "MAX_PENDING", 3)
    for i in range(5):
        prefetch.start(("bound", i), lambda i=i: i)
    assert [prefetch.take(("bound", i)) for i in range(5)] == [None, None, 2, 3, 4]


def test_the_page_html_of_a_signed_in_browser_starts_its_view(
    tmp_path, sqlite_storage, memory_live
):
    app = create_app(
        load_settings(influx_url="", redis_url="", data_dir=str(tmp_path)),
        live=memory_live,
        storage=sqlite_storage,
    )
    app.server.extensions[AUTH].users.add("lan", "viewer", PASSWORD)
    state = environment.SPEC.normalise(ViewState.from_query({"range": "7d", "kind": "water"}))
    with app.server.test_client() as client, app.server.app_context():
        key = common._view_key(environment.SPEC, state)
        assert client.get("/environment?range=7d&kind=water").status_code == 302  # to /login
        assert prefetch.take(key) is None  # nobody signed in: nothing computed
        form = {"username": "lan", "password": PASSWORD, "next": "/"}
        assert (
            client.post("/login", data=form, headers={"Origin": "http://localhost"}).status_code
            == 302
        )
        assert client.get("/environment?range=7d&kind=water").status_code == 200
        view = prefetch.take(key)
    assert isinstance(view, common.ViewOutputs)
    assert view.query == state.with_(alert="").to_query() and "kind=water" in view.query
    assert view.history and view.history["data"] == []  # the figure of an empty range
