"""Live state: the snapshot the wall screen reads (Redis, or in process for the demo).

`LiveState` is the protocol; `open_live_state(settings)` picks the implementation: Redis when
`IOC_REDIS_URL` is set, else `MemoryLiveState` (this process only).
"""

from __future__ import annotations

from ioc.live.base import LiveState, LiveUpdate
from ioc.settings import Settings

__all__ = ["LiveState", "LiveUpdate", "open_live_state"]


def open_live_state(settings: Settings) -> LiveState:
    """The live state the settings describe. Does not touch the network."""
    if settings.redis_url:
        from ioc.live.redis import RedisLiveState

        return RedisLiveState(
            settings.redis_url,
            window_len=settings.window_len,
            deadletter_maxlen=settings.deadletter_maxlen,
        )
    from ioc.live.memory import MemoryLiveState

    return MemoryLiveState(
        window_len=settings.window_len, deadletter_maxlen=settings.deadletter_maxlen
    )
