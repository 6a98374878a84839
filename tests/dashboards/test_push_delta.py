"""What a wall stream sends after its first frame (dashboards/push.py): only what changed, and
nothing for a frame that changed only its time (unless the last one is `RESEND_S` old)."""

from __future__ import annotations

import flask
import orjson

from dashboards import push


def _view(ms: int, temp: str, status: str = "ok") -> dict:
    return {
        "ms": ms,
        "tiles": {
            "temp": {"value": temp, "age": "1 giây", "class": "tile"},
            "rain": {"value": "2,0", "age": "3 giây", "class": "tile"},
        },
        "status": status,
        "map": {"data": [{"x": [1, 2]}], "layout": {"height": 5}},
    }


def test_delta_names_the_changed_entries_and_the_changed_tiles_whole():
    old, new = _view(1, "19,5"), _view(2, "20,1", status="late")
    new["tiles"]["temp"]["age"] = "0 giây"
    assert push.delta(old, new) == {
        "ms": 2,
        "tiles": {"temp": {"value": "20,1", "age": "0 giây", "class": "tile"}},
        "status": "late",
    }
    new["map"]["layout"]["height"] = 6  # a figure is not a mapping of mappings: sent whole
    assert push.delta(old, new)["map"] == new["map"]
    assert push.delta(new, new) == {}


def test_a_stream_gets_the_whole_frame_then_deltas_that_rebuild_it():
    hub = push.Hub(flask.Flask(__name__), lambda *a: (b"", None), lambda: None)
    now = 100.0
    first = hub._frame(None, orjson.dumps(_view(1, "19,5")), now)
    assert first is not None and first.base == -1 and first.delta == b""
    # only the time changed, within RESEND_S: nothing to send
    assert hub._frame(first, orjson.dumps(_view(2, "19,5")), now + push.RESEND_S / 2) is None
    # the same a second later: sent (the browser counts frames to know the stream is alive)
    tick = hub._frame(first, orjson.dumps(_view(3, "19,5")), now + push.RESEND_S * 1.5)
    assert tick is not None and orjson.loads(tick.delta.split(b"data: ")[1]) == {
        "ms": 3,
        "base": first.seq,
    }
    second = hub._frame(tick, orjson.dumps(_view(4, "20,1")), now + push.RESEND_S * 1.6)
    assert second is not None and second.base == tick.seq
    changed = orjson.loads(second.delta.split(b"data: ")[1])
    assert changed == {
        "ms": 4,
        "tiles": {"temp": _view(4, "20,1")["tiles"]["temp"]},
        "base": tick.seq,
    }
    rebuilt = first.view | {k: v for k, v in changed.items() if k not in ("tiles", "base")}
    rebuilt["tiles"] = first.view["tiles"] | changed["tiles"]
    assert rebuilt == second.view  # what the browser's merge (40-wall-push.js) makes of it
