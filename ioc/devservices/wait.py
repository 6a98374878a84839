"""Polling instead of sleeping: wait for a condition with a deadline."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def wait_until(
    predicate: Callable[[], T],
    *,
    timeout: float = 10.0,
    interval: float = 0.05,
    message: str = "condition",
    ignore: tuple[type[BaseException], ...] = (),
) -> T:
    """Call `predicate` every `interval` seconds until it returns something truthy; return that.

    The predicate is always called at least once, and once more at the deadline. Exceptions of the
    types in `ignore` count as "not yet". Raises TimeoutError naming `message` (and the last
    ignored exception, if any) when `timeout` seconds pass first.
    """
    deadline = time.monotonic() + timeout
    last_error: BaseException | None = None
    while True:
        expired = time.monotonic() >= deadline
        try:
            result = predicate()
        except ignore as exc:
            last_error = exc
        else:
            if result:
                return result
        if expired:
            detail = f" (last error: {last_error!r})" if last_error is not None else ""
            raise TimeoutError(f"{message}: not reached within {timeout:g} s{detail}")
        time.sleep(max(0.0, min(interval, deadline - time.monotonic())))
