"""How a wall's streams wait for the next frame (dashboards/push.py `Hub.next`): woken one after
another by the relay, every one of them, promptly; one that stops waiting is forgotten; the hub
stopping wakes them all."""

from __future__ import annotations

import threading

import flask
import orjson
import pytest

from dashboards import push
from ioc.devservices.wait import wait_until

VARIANT = ("vi", "")
WAITS = 30
LONG_S = 60.0  # a stream the relay forgot would wait this long


@pytest.fixture
def hub():
    renders = iter(range(1, 1000))  # every render a new value (a frame to send)
    the_hub = push.Hub(
        flask.Flask(__name__),
        lambda variant, live, last: (orjson.dumps({"ms": 0, "n": next(renders)}), None),
        lambda: None,
    )
    the_hub._start = lambda: None  # the test renders, not the hub's thread
    yield the_hub
    the_hub.stop()


def _waiting(hub: push.Hub, after: int, count: int) -> tuple[list, list[threading.Thread]]:
    got: list = []
    threads = [
        threading.Thread(target=lambda: got.append(hub.next(VARIANT, after, LONG_S)), daemon=True)
        for _ in range(count)
    ]
    for thread in threads:
        thread.start()
    wait_until(
        lambda: len(hub._waiting.get(VARIANT, [])) == count, timeout=10, message="all waiting"
    )
    return got, threads


def test_a_new_frame_reaches_every_waiting_stream_at_once(hub):
    first = hub.frame(VARIANT, timeout_s=0)  # asked for: the next render has it
    assert first is None
    hub._render_all()
    first = hub.frame(VARIANT)
    assert first is not None
    got, _ = _waiting(hub, first.seq, WAITS)
    hub._render_all()
    wait_until(lambda: len(got) == WAITS, timeout=10, message="every stream woken")  # < LONG_S
    assert {frame.seq for frame in got} == {first.seq + 1}
    assert not hub._waiting and not hub._relay


def test_a_stream_that_stops_waiting_is_forgotten_and_holds_up_no_other(hub):
    hub.frame(VARIANT, timeout_s=0)
    hub._render_all()
    first = hub.frame(VARIANT)
    assert hub.next(VARIANT, first.seq, 0.05) is None  # nothing new within its time
    assert not hub._waiting and not hub._relay
    got, _ = _waiting(hub, first.seq, 3)
    hub._render_all()
    wait_until(lambda: len(got) == 3, timeout=10, message="the others woken")


def test_stopping_the_hub_wakes_every_waiting_stream(hub):
    hub.frame(VARIANT, timeout_s=0)
    hub._render_all()
    first = hub.frame(VARIANT)
    got, threads = _waiting(hub, first.seq, 5)
    hub.stop()
    for thread in threads:
        thread.join(10)
    assert got == [None] * 5
