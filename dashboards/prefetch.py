"""A drill-down's first view, computed while the browser is still loading the page's scripts.

Before its chart can be drawn, a page load takes three round trips: the HTML (then ≈ 0.2 s of
scripts), Dash's layout, and the callback that renders the page, whose layout computes the first
view (the drill-down's queries: 30–150 ms). When a signed-in browser asks for a drill-down's
HTML, `start()` computes that view on a thread of its own; the layout `take()`s it if it is for the
same app, page and query and at most `FRESH_S` old, and computes its own otherwise (an error
here is computed, and shown, again there).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Hashable
from concurrent.futures import Future
from typing import Any

import flask

log = logging.getLogger(__name__)

FRESH_S = 5.0
MAX_PENDING = 64  # views asked for and not (yet) taken: older ones are dropped first

_lock = threading.Lock()
_pending: dict[Hashable, tuple[float, Future[Any]]] = {}


def start(key: Hashable, compute: Callable[[], Any]) -> None:
    """Compute `compute()` in the current app's context on a thread, for `take(key)`."""
    server = flask.current_app._get_current_object()  # type: ignore[attr-defined]

    future: Future[Any] = Future()

    def run() -> None:  # a thread of its own: a view stuck on storage holds up no other
        try:
            with server.app_context():
                future.set_result(compute())
        except BaseException as exc:
            future.set_exception(exc)

    now = time.monotonic()
    with _lock:
        for old in [k for k, (at, _) in _pending.items() if now - at > FRESH_S]:
            del _pending[old]
        while len(_pending) >= MAX_PENDING:
            del _pending[next(iter(_pending))]
        if key in _pending:
            return
        _pending[key] = (now, future)
    threading.Thread(target=run, name="view-prefetch", daemon=True).start()


def take(key: Hashable) -> Any | None:
    """The view `start(key)` computed (waiting for it), or None: none fresh, or it failed."""
    with _lock:
        found = _pending.pop(key, None)
    if found is None or time.monotonic() - found[0] > FRESH_S:
        return None
    try:
        return found[1].result(timeout=FRESH_S)
    except Exception as exc:  # the layout computes it again, and says what failed
        log.debug("prefetched view failed: %s", exc)
        return None
