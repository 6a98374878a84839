"""Live state: the snapshot the wall screen reads (Redis, or in process for the demo).

`LiveState` is the protocol; `open_live_state(settings)` picks the implementation: Redis when
`IOC_REDIS_URL` is set, else `MemoryLiveState` (this process only).
"""

from __future__ import annotations

from ioc.live.base import LiveState, LiveUpdate
from ioc.model import DEADLETTER_ENTRY_MAX
from ioc.settings import Settings

__all__ = ["LiveState", "LiveUpdate", "deadletter_capacity", "open_live_state"]


def deadletter_capacity(settings: Settings) -> int:
    """How many dead letters the stream keeps: `IOC_DEADLETTER_MAXLEN`, fewer if that many
    entries of the largest size (`DEADLETTER_ENTRY_MAX`) would pass `IOC_DEADLETTER_MAX_BYTES`."""
    return max(
        10, min(settings.deadletter_maxlen, settings.deadletter_max_bytes // DEADLETTER_ENTRY_MAX)
    )


def open_live_state(settings: Settings) -> LiveState:
    """The live state the settings describe. Does not touch the network."""
    if settings.redis_url:
        from ioc.live.redis import RedisLiveState

        return RedisLiveState(
            settings.redis_url,
            window_len=settings.window_len,
            deadletter_maxlen=deadletter_capacity(settings),
            stored_maxlen=settings.stored_stream_maxlen,
            timeout_s=settings.redis_timeout_ms / 1000,
            retry_s=settings.redis_retry_ms / 1000,
        )
    from ioc.live.memory import MemoryLiveState

    return MemoryLiveState(
        window_len=settings.window_len,
        deadletter_maxlen=deadletter_capacity(settings),
        stored_maxlen=settings.stored_stream_maxlen,
    )
