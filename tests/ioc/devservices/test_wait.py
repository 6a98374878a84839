"""wait_until: polling with a deadline instead of sleeping."""

from __future__ import annotations

import itertools

import pytest

from ioc.devservices import wait_until


def test_returns_the_first_truthy_value() -> None:
    counter = itertools.count()
    assert wait_until(lambda: next(counter) >= 3 and "done", timeout=5, interval=0.001) == "done"


def test_times_out_with_the_message() -> None:
    with pytest.raises(TimeoutError, match=r"the thing: not reached within 0\.05 s"):
        wait_until(lambda: False, timeout=0.05, interval=0.01, message="the thing")


def test_ignored_errors_count_as_not_yet_and_are_reported() -> None:
    def broken() -> bool:
        raise ConnectionError("refused")

    with pytest.raises(TimeoutError, match="refused"):
        wait_until(broken, timeout=0.05, interval=0.01, ignore=(ConnectionError,))


def test_other_errors_propagate() -> None:
    def broken() -> bool:
        raise ValueError("bug")

    with pytest.raises(ValueError, match="bug"):
        wait_until(broken, timeout=5, ignore=(ConnectionError,))
