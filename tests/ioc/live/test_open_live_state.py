"""open_live_state picks the implementation from the settings, without touching the network."""

from ioc.live import open_live_state
from ioc.live.memory import MemoryLiveState
from ioc.live.redis import RedisLiveState
from ioc.settings import load_settings


def settings(**overrides):
    return load_settings(_env_file=None, **{"influx_url": "", "redis_url": "", **overrides})


def test_no_redis_url_means_in_process(tmp_path):
    live = open_live_state(settings(data_dir=str(tmp_path), window_len=7, deadletter_maxlen=20))
    assert isinstance(live, MemoryLiveState)
    assert (live.window_len, live.deadletter_maxlen) == (7, 20)
    live.ping()
    live.close()


def test_a_redis_url_means_redis_and_no_connection_yet():
    live = open_live_state(settings(redis_url="redis://127.0.0.1:9/0"))
    assert isinstance(live, RedisLiveState)
    live.close()
