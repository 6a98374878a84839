"""What only RedisLiveState does; the shared behaviour is in test_contract.py (run on both)."""

import os
import signal
import time

import pytest

from ioc.devservices import Redis, wait_until
from ioc.errors import LiveStateError
from ioc.live.base import LiveUpdate
from ioc.live.redis import RedisLiveState
from ioc.model import Reading

pytestmark = pytest.mark.services


def apply_one(live, time_ms, value):
    update = LiveUpdate(window_len=live.window_len)
    tags = {"source": "a", "district": "hoa-an", "kind": "air"}
    update.add_readings([Reading("sensor", time_ms * 1_000_000, tags, {"pm25": value})])
    live.apply(update)


def test_unreachable_raises_live_state_error(tmp_path):
    server = Redis(tmp_path)
    server.start()
    live = RedisLiveState(server.url, retry_s=0.3)
    live.ping()
    server.stop()
    with pytest.raises(LiveStateError):
        apply_one(live, 1, 1.0)
    assert live.breaker.is_open
    with pytest.raises(LiveStateError, match="Redis unavailable"):
        live.ping()  # at once: the circuit is open
    server.start()
    # reconnects by itself once the retry interval has passed and a probe answers
    wait_until(lambda: live.ping() is None, timeout=10, ignore=(LiveStateError,), message="back")
    assert not live.breaker.is_open
    apply_one(live, 1, 1.0)
    assert live.latest("sensor")["a"].fields["pm25"] == 1.0
    live.close()
    server.close()


def test_a_frozen_redis_costs_one_timeout_then_calls_fail_at_once(tmp_path):
    """SIGSTOP: connections are accepted but nothing answers. The first call waits its socket
    timeout, every later one fails within milliseconds while frozen (one probe per retry
    interval, 250 ms at most), and after SIGCONT the circuit closes by itself."""
    server = Redis(tmp_path)
    server.start()
    live = RedisLiveState(server.url, timeout_s=0.5, retry_s=0.5)
    live.ping()
    assert server.pid is not None
    os.kill(server.pid, signal.SIGSTOP)
    try:
        started = time.monotonic()
        with pytest.raises(LiveStateError):
            live.counters()
        assert time.monotonic() - started < 2.0
        slowest = 0.0
        deadline = time.monotonic() + 1.5  # three retry intervals: probes included
        while time.monotonic() < deadline:
            started = time.monotonic()
            with pytest.raises(LiveStateError, match="Redis unavailable"):
                live.counters()
            slowest = max(slowest, time.monotonic() - started)
            time.sleep(0.01)
        assert slowest < 0.4, f"a call took {slowest:.2f} s while the circuit was open"
        assert live.breaker.trips == 1
    finally:
        os.kill(server.pid, signal.SIGCONT)
    wait_until(lambda: live.counters() == {}, timeout=10, ignore=(LiveStateError,), message="back")
    live.close()
    server.close()
