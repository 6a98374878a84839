"""What only RedisLiveState does; the shared behaviour is in test_contract.py (run on both)."""

import pytest

from ioc.devservices import Redis
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
    live = RedisLiveState(server.url)
    live.ping()
    server.stop()
    with pytest.raises(LiveStateError):
        apply_one(live, 1, 1.0)
    with pytest.raises(LiveStateError):
        live.ping()
    server.start()
    apply_one(live, 1, 1.0)  # reconnects by itself
    assert live.latest("sensor")["a"].fields["pm25"] == 1.0
    live.close()
    server.close()
