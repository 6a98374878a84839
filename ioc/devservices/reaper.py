"""A watchdog process that kills our services if this Python process dies without cleaning up.

`atexit` handlers do not run on SIGKILL, on an unhandled SIGTERM or on `os._exit`. So the first
service started also starts one tiny watchdog (`python -c`), which reads "+pid" / "-pid" lines on
its stdin. When this process dies for any reason the pipe closes, the watchdog reads EOF and
SIGKILLs the process group of every service still registered. Services run in their own session,
so their pid is their process-group id, and terminal Ctrl-C does not reach them behind our back.
"""

from __future__ import annotations

import atexit
import contextlib
import subprocess
import sys
import threading
from typing import IO

_WATCHDOG = """
import os, signal, sys
signal.signal(signal.SIGINT, signal.SIG_IGN)
pids = set()
for line in sys.stdin:
    line = line.strip()
    if line[:1] == "+":
        pids.add(int(line[1:]))
    elif line[:1] == "-":
        pids.discard(int(line[1:]))
for pid in pids:
    try:
        os.killpg(pid, signal.SIGKILL)
    except OSError:
        pass
"""

_lock = threading.Lock()
_watchdog: subprocess.Popen[bytes] | None = None


def _send(line: str, *, spawn: bool = True) -> None:
    global _watchdog
    with _lock:
        if not spawn and _watchdog is None:
            return
        if _watchdog is None or _watchdog.poll() is not None:
            _watchdog = subprocess.Popen(
                [sys.executable, "-c", _WATCHDOG],
                stdin=subprocess.PIPE,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                start_new_session=True,
            )
        stdin: IO[bytes] | None = _watchdog.stdin
        assert stdin is not None
        stdin.write(line.encode() + b"\n")
        stdin.flush()


def track(pid: int) -> None:
    """Kill the process group `pid` if this process dies before `untrack(pid)`."""
    _send(f"+{pid}")


def untrack(pid: int) -> None:
    """The service `pid` was stopped by us; forget it."""
    _send(f"-{pid}", spawn=False)


def _close() -> None:
    """At exit, after the services' own atexit stop (registered later, so run earlier)."""
    global _watchdog
    with _lock:
        watchdog, _watchdog = _watchdog, None
    if watchdog is None:
        return
    with contextlib.suppress(OSError):
        if watchdog.stdin is not None:
            watchdog.stdin.close()  # EOF: it kills whatever is still registered, then exits
    with contextlib.suppress(subprocess.TimeoutExpired):
        watchdog.wait(10)


atexit.register(_close)
