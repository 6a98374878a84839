"""Push for the wall: its view computed once per change in each server process, and the same
bytes sent to every open wall over server-sent events (`GET /_push/wall`).

One thread per server process (started by the first wall that asks) waits for the live state's
change notification (`LiveState.changes()`: the KPI engine's writes, a Redis PUBLISH) or for
the next second (ages and staleness move with the clock), reads the live state once, renders the
wall once for every variant a wall has asked for in the last `IDLE_S` (language, and the kiosk /
rotation parameters its links keep) and serialises each to JSON once. Every stream of that
variant then writes those same bytes: the whole frame to a stream that just opened, else only
what changed since the frame it has (`delta`: the top-level entries that differ, and of a
mapping of mappings such as the tiles, the entries that differ; ≈ 1 KB instead of ≈ 18). A frame
that changes nothing but its time is not sent unless the last one is `RESEND_S` old. The
streams waiting for a frame are woken one after another (`Hub.next`), which halves what each
costs the server. A browser that cannot hold a stream polls through a Dash callback that
returns the same whole frame (`frame()`), never a render of its own.

Why server-sent events, not Dash 4's WebSocket callbacks: those need the FastAPI or Quart
backend (this server is Flask, with its sign-in guard, API and downloads on Flask) and run one
callback per connection, so the fan-out would have to be built there too; the stream is one
Flask view behind the same guard as every request (anonymous: 401), the browser's EventSource
reconnects by itself, and the traffic is one way. Under gunicorn a stream holds a thread: run
the `gthread` worker with more threads than walls per worker (docker-compose.yml).

A stream ends itself after `MAX_STREAM_S` (the browser reconnects at once, through the guard
again) and checks its session every `RECHECK_S`: a session ended meanwhile gets a `signed-out`
event and the end of the stream.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import flask
import orjson

from dashboards.auth import COOKIE, auth
from ioc.errors import IocError
from ioc.live.base import Changes

log = logging.getLogger(__name__)

STREAM_PATH = "/_push/wall"
EXTENSION = "ioc_push"
TICK_S = 1.0  # a render at least this often while a wall watches (ages move with the clock)
SLICE_S = 0.1  # how soon a new variant is noticed
COALESCE_S = 0.01  # writes that come together (readings, KPIs, alerts) make one render
IDLE_S = 60.0  # a variant nobody asked for this long is no longer rendered
KEEPALIVE_S = 5.0
RECHECK_S = 3.0  # a revoked display or ended session leaves the wall within seconds (one lookup)
MAX_STREAM_S = 600.0
MAX_VARIANTS = 16
RETRY_MS = 1000
RESEND_S = 1.0  # a frame that changes nothing but "ms" is still sent this often (the browser's
# liveness check counts frames)

Variant = tuple[str, str]  # (language, the query the wall's links keep)
# (variant, live data, last good view) -> (the view as JSON, last good view)
Render = Callable[[Variant, Any, Any], tuple[bytes, Any]]


@dataclass(frozen=True)
class Frame:
    seq: int
    body: bytes  # the view as JSON
    event: bytes  # the same as one server-sent event
    base: int = -1  # the frame `delta` applies to
    delta: bytes = b""  # as an event: what changed since frame `base`
    view: Any = None  # the body as parsed (what the next frame is compared with)
    at: float = 0.0  # when it was rendered (monotonic)


def delta(old: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
    """The entries of `new` that differ from `old` (a key gone from `new` is not said: the
    frames of one wall have the same keys); a mapping of mappings is compared entry by entry."""
    out: dict[str, Any] = {}
    for key, value in new.items():
        before = old.get(key)
        if value == before:
            continue
        if (
            isinstance(value, dict)
            and isinstance(before, dict)
            and value
            and all(isinstance(v, dict) for v in value.values())
        ):
            out[key] = {k: v for k, v in value.items() if before.get(k) != v}
        else:
            out[key] = value
    return out


class Hub:
    """The renders of one server process and the streams waiting for them."""

    def __init__(self, server: flask.Flask, render: Render, read_live: Callable[[], Any]) -> None:
        self._server = server
        self._render = render
        self._read_live = read_live
        self._cond = threading.Condition()
        self._frames: dict[Variant, Frame] = {}
        self._last: dict[Variant, Any] = {}
        self._asked: dict[Variant, float] = {}
        self._waiting: dict[Variant, list[threading.Lock]] = {}  # streams waiting for a frame
        self._relay: dict[Variant, deque[threading.Lock]] = {}  # woken one after another
        self._streams = 0
        self._seq = 0
        self._wake = False
        self._thread: threading.Thread | None = None
        self._stopped = threading.Event()
        self.renders = 0  # how many times the live state was read and the walls rendered

    # -- the thread ---------------------------------------------------------------------------

    def _start(self) -> None:
        if self._thread is None or not self._thread.is_alive():
            self._thread = threading.Thread(target=self._run, name="wall-push", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        """End the thread and every stream (the app's clients are being closed)."""
        self._stopped.set()
        with self._cond:
            self._cond.notify_all()
            for batons in [*self._waiting.values(), *self._relay.values()]:
                for baton in batons:
                    baton.release()
            self._waiting.clear()
            self._relay.clear()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(5)

    def _run(self) -> None:
        changes: Changes | None = None
        last = 0.0
        while not self._stopped.is_set():
            due = last + TICK_S - time.monotonic()
            if due > 0 and not self._woken():
                wait = min(due, SLICE_S)
                try:
                    if changes is None:
                        changes = self._open_changes()
                    if changes is None:
                        self._stopped.wait(wait)
                        continue
                    if not changes.wait(wait):
                        continue
                    changes.wait(COALESCE_S)
                except IocError as exc:  # the live state is away: the tick still renders
                    log.debug("wall push: %s", exc)
                    self._stopped.wait(wait)
                    continue
            if self._stopped.is_set():
                break
            last = time.monotonic()
            self._render_all()
        if changes is not None:
            changes.close()

    def _woken(self) -> bool:
        with self._cond:
            woken, self._wake = self._wake, False
            return woken

    def _open_changes(self) -> Changes | None:
        from dashboards import data

        with self._server.app_context():
            live = data.backend().live
            return live.changes() if live is not None else None

    def _render_all(self) -> None:
        now = time.monotonic()
        with self._cond:
            for variant, at in list(self._asked.items()):
                if now - at > IDLE_S:
                    del self._asked[variant]
                    self._frames.pop(variant, None)
                    self._last.pop(variant, None)
            variants = list(self._asked)
        if not variants:
            return
        frames: dict[Variant, Frame] = {}
        with self._server.app_context():
            try:
                live = self._read_live()
                for variant in variants:
                    body, last = self._render(variant, live, self._last.get(variant))
                    self._last[variant] = last
                    frame = self._frame(self._frames.get(variant), body, time.monotonic())
                    if frame is not None:
                        frames[variant] = frame
            except Exception:  # a bug in one render must not stop the walls' updates for good
                log.exception("wall push: render failed")
        self.renders += 1
        with self._cond:
            self._frames.update(frames)
            for variant in frames:
                waiting = self._waiting.pop(variant, None)
                if waiting:
                    self._relay.setdefault(variant, deque()).extend(waiting)
                    self._hand_on(variant)
            self._cond.notify_all()

    def _frame(self, previous: Frame | None, body: bytes, now: float) -> Frame | None:
        """The next frame after `previous`, rendered at `now` (monotonic; None: nothing to send
        yet)."""
        view = orjson.loads(body)
        if previous is None or not isinstance(view, dict):
            self._seq += 1
            return Frame(self._seq, body, self._event(self._seq, body), view=view, at=now)
        changed = delta(previous.view, view)
        if set(changed) <= {"ms"} and now - previous.at < RESEND_S:
            return None
        self._seq += 1
        return Frame(
            self._seq,
            body,
            self._event(self._seq, body),
            base=previous.seq,
            delta=self._event(self._seq, orjson.dumps(changed | {"base": previous.seq})),
            view=view,
            at=now,
        )

    @staticmethod
    def _event(seq: int, data: bytes) -> bytes:
        return b"id: %d\ndata: %s\n\n" % (seq, data)

    # -- what walls call ----------------------------------------------------------------------

    def _ask(self, variant: Variant) -> None:
        """Under the lock: `variant` is watched (a new one is rendered at once)."""
        if self._stopped.is_set():
            return
        if variant not in self._asked:
            if len(self._asked) >= MAX_VARIANTS:
                oldest = min(self._asked, key=self._asked.__getitem__)
                del self._asked[oldest]
                self._frames.pop(oldest, None)
            self._wake = True
        self._asked[variant] = time.monotonic()
        self._start()

    def frame(self, variant: Variant, timeout_s: float = 5.0) -> Frame | None:
        """The newest frame of `variant` (the polling fallback), waiting for the first one."""
        deadline = time.monotonic() + timeout_s
        with self._cond:
            self._ask(variant)
            self._cond.notify_all()
            while variant not in self._frames and not self._stopped.is_set():
                left = deadline - time.monotonic()
                if left <= 0:
                    return None
                self._cond.wait(left)
            return self._frames.get(variant)

    def next(self, variant: Variant, after: int, timeout_s: float) -> Frame | None:
        """The first frame of `variant` newer than `after` (None: none within `timeout_s`).

        The streams waiting for a frame are woken one after another, not all at once: each
        wakes the next before it writes its own (a slow client holds up nobody). Woken at once,
        fifty threads fight for the interpreter's lock, and each one's wake-up cost about twice
        as much CPU (context switches)."""
        deadline = time.monotonic() + timeout_s
        with self._cond:
            self._ask(variant)
            while not self._stopped.is_set():
                frame = self._frames.get(variant)
                if frame is not None and frame.seq > after:
                    return frame
                left = deadline - time.monotonic()
                if left <= 0:
                    return None
                baton = threading.Lock()
                baton.acquire()
                self._waiting.setdefault(variant, []).append(baton)
                self._cond.release()
                try:
                    woken = baton.acquire(timeout=left)
                finally:
                    self._cond.acquire()
                if woken or baton.acquire(blocking=False):  # (handed on as it timed out)
                    self._hand_on(variant)
                else:
                    self._forget(variant, baton)
            return None

    def _hand_on(self, variant: Variant) -> None:
        """Under the lock: wake the next stream of `variant` in the relay."""
        relay = self._relay.get(variant)
        if relay:
            relay.popleft().release()
            if not relay:
                del self._relay[variant]

    def _forget(self, variant: Variant, baton: threading.Lock) -> None:
        """Under the lock: a stream that stopped waiting (its baton never released)."""
        for queues in (self._waiting, self._relay):
            batons = queues.get(variant)
            if batons is not None and baton in batons:
                batons.remove(baton)
                if not batons:
                    del queues[variant]

    @property
    def streams(self) -> int:
        return self._streams

    def _count(self, delta: int) -> None:
        with self._cond:
            self._streams += delta

    def stream(self, variant: Variant, secret: str, sessions: Any) -> Iterator[bytes]:
        """One wall's server-sent events: every new frame, keep-alive comments between them."""
        began = checked = time.monotonic()
        self._count(+1)
        try:
            yield b"retry: %d\n\n" % RETRY_MS
            seq = -1
            while not self._stopped.is_set():
                frame = self.next(variant, seq, KEEPALIVE_S)
                now = time.monotonic()
                if now - checked > RECHECK_S:
                    checked = now
                    if sessions.resolve(secret) is None:
                        yield b"event: signed-out\ndata: {}\n\n"
                        return
                if frame is None:
                    yield b": keep-alive\n\n"
                else:
                    event = frame.delta if frame.base == seq and frame.delta else frame.event
                    seq = frame.seq
                    yield event
                if now - began > MAX_STREAM_S:
                    return
        finally:
            self._count(-1)


def hub() -> Hub:
    """The hub of the app serving this request."""
    found: Hub = flask.current_app.extensions[EXTENSION]
    return found


def install(
    server: flask.Flask,
    render: Render,
    read_live: Callable[[], Any],
    variant: Callable[[dict[str, str]], Variant],
) -> Hub:
    """Put a hub on `server` and serve its stream at `STREAM_PATH` (the guard in front: no
    session, 401). `variant` turns the request's query parameters into a checked variant."""
    from dashboards import data

    the_hub = Hub(server, render, read_live)
    server.extensions[EXTENSION] = the_hub
    server.extensions[data.EXTENSION].on_close.append(the_hub.stop)

    def view() -> flask.Response:
        request = flask.request
        chosen = variant(dict(request.args))
        secret = request.cookies.get(COOKIE, "")
        response = flask.Response(
            the_hub.stream(chosen, secret, auth().sessions),
            mimetype="text/event-stream",
            direct_passthrough=True,
        )
        response.headers["Cache-Control"] = "no-store"
        response.headers["X-Accel-Buffering"] = "no"  # a proxy must not hold the events back
        return response

    server.add_url_rule(STREAM_PATH, "wall_push", view, methods=["GET"])
    return the_hub
