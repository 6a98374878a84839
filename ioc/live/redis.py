"""Redis live state. Keys (all under `ioc:`), the public map for anyone reading Redis directly:

    ioc:latest:<measurement>    hash  source -> JSON reading (newest by reading time wins)
    ioc:latest_ms:<measurement> hash  source -> epoch ms of that reading
    ioc:seen                    hash  source -> epoch ms of its newest reading, any measurement
    ioc:district                hash  source -> district slug
    ioc:win:<source>:<field>    list  "ms value" strings, oldest first, at most window_len
    ioc:counters                hash  counter name -> integer
    ioc:deadletter              stream, bounded (MAXLEN ~, in entries and so in bytes: each
                                entry capped, see ioc.model): feed, topic, reason, detail, payload
    ioc:kpis                    string JSON {"ts": ms, "values": [KpiValue.to_dict(), ...]}
    ioc:alerts                  string JSON [alert state, ...]
    ioc:ack_requests            list of JSON {"alert_id", "by", "comment", "at_ms"} (FIFO)
    ioc:heartbeat               hash  component -> JSON {"ts": ms, **info}
    ioc:stored                  stream, bounded (MAXLEN ~): writer, written_ms, gap, readings (JSON)
                                consumer group `engine` (see ioc.live.stream)
    ioc:sources                 string JSON [per-source facts, ...] (the engine's)
    ioc:sentinel                string, the running engine's token (absent: state was lost)
    ioc:changed                 pub/sub channel: a message (epoch ms) after every write of latest
                                readings, KPI values, alerts or per-source facts (`changes()`)

One `apply` is one pipelined round trip; redis-py errors become `LiveStateError` here.

Failing fast: every command has a short socket timeout (`IOC_REDIS_TIMEOUT_MS`; `apply`, one
large pipelined write, gets at least 5 s), and a circuit breaker stops a dead or frozen Redis
from costing every caller that timeout. After a connection failure or timeout, every call fails
at once with `LiveStateError` for `IOC_REDIS_RETRY_MS`; then one caller probes with a PING on
its own connection (a quarter of the timeout, at most 250 ms) while the others keep failing at
once, and the first answer closes the circuit. So a frozen Redis (SIGSTOP) costs the wall one
slow read, then "live state lost" within milliseconds, and it is back within the retry interval
of Redis answering. Measured by tests/faults/test_outages.py::test_redis_killed_and_frozen_….
"""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping, Sequence
from typing import Any

import orjson
import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from ioc.errors import LiveStateError
from ioc.live.base import LiveUpdate
from ioc.live.stream import StoredRead, decode_entry, encode_batch
from ioc.model import (
    DEADLETTER_DETAIL_MAX,
    DEADLETTER_PAYLOAD_MAX,
    DEADLETTER_TOPIC_MAX,
    NS_PER_MS,
    Reading,
)

PREFIX = "ioc:"
APPLY_TIMEOUT_S = 5.0
PROBE_TIMEOUT_S = 0.25
CHANGED = f"{PREFIX}changed"

# ARGV in groups of five: measurement, source, time_ms, district, reading JSON.
_LATEST_SCRIPT = """
for i = 1, #ARGV, 5 do
  local m, src, t = ARGV[i], ARGV[i + 1], tonumber(ARGV[i + 2])
  local district, js = ARGV[i + 3], ARGV[i + 4]
  local cur = redis.call('HGET', 'ioc:latest_ms:' .. m, src)
  if (not cur) or tonumber(cur) <= t then
    redis.call('HSET', 'ioc:latest_ms:' .. m, src, t)
    redis.call('HSET', 'ioc:latest:' .. m, src, js)
  end
  local seen = redis.call('HGET', 'ioc:seen', src)
  if (not seen) or tonumber(seen) < t then
    redis.call('HSET', 'ioc:seen', src, t)
  end
  if district ~= '' then
    redis.call('HSET', 'ioc:district', src, district)
  end
end
return 1
"""


# ARGV: window length, then pairs of key and "ms value;ms value;..." (at most window length points).
_WINDOWS_SCRIPT = """
local keep = tonumber(ARGV[1])
for i = 2, #ARGV, 2 do
  local points = {}
  for point in string.gmatch(ARGV[i + 1], "[^;]+") do
    points[#points + 1] = point
  end
  redis.call('RPUSH', ARGV[i], unpack(points))
  redis.call('LTRIM', ARGV[i], -keep, -1)
end
return 1
"""


# KEYS[1] the dead-letter stream; ARGV[1] its MAXLEN (~), then six values a dead letter.
_DEADLETTERS_SCRIPT = """
local keep = ARGV[1]
for i = 2, #ARGV, 6 do
  redis.call('XADD', KEYS[1], 'MAXLEN', '~', keep, '*', 'feed', ARGV[i], 'topic', ARGV[i + 1],
    'reason', ARGV[i + 2], 'detail', ARGV[i + 3], 'payload', ARGV[i + 4],
    'received_ms', ARGV[i + 5])
end
return 1
"""


# KEYS[1] stream; ARGV group, consumer, count, consumed (entries this group has seen, the cut
# included). Trimming removes the oldest entries: entries-added - length of them are gone, and
# if that is more than the group has seen, some went unread. One atomic step.
_READ_SCRIPT = """
local ok, info = pcall(redis.call, 'XINFO', 'STREAM', KEYS[1])
if not ok then return {'nogroup', 0} end
local added, length = 0, 0
for i = 1, #info, 2 do
  if info[i] == 'entries-added' then added = info[i + 1] end
  if info[i] == 'length' then length = info[i + 1] end
end
local lost = 0
if added - length > tonumber(ARGV[4]) then lost = 1 end
local read_ok, entries = pcall(redis.call, 'XREADGROUP', 'GROUP', ARGV[1], ARGV[2],
  'COUNT', ARGV[3], 'STREAMS', KEYS[1], '>')
if not read_ok then return {'nogroup', 0} end
return {'ok', lost, entries}
"""

# KEYS[1] stream; ARGV group. Recreate the group at the stream's end; return that id and how
# many entries were ever added (all of them before the cut).
_RESET_SCRIPT = """
pcall(redis.call, 'XGROUP', 'DESTROY', KEYS[1], ARGV[1])
redis.call('XGROUP', 'CREATE', KEYS[1], ARGV[1], '$', 'MKSTREAM')
local info = redis.call('XINFO', 'STREAM', KEYS[1])
local last, added = '0-0', 0
for i = 1, #info, 2 do
  if info[i] == 'last-generated-id' then last = info[i + 1] end
  if info[i] == 'entries-added' then added = info[i + 1] end
end
return {last, added}
"""


class Breaker:
    """Open after a failure: `check` raises at once until `retry_s` have passed, then lets one
    caller `probe` (the others still raise at once); a probe that answers closes it."""

    def __init__(self, retry_s: float, probe: Any) -> None:
        self.retry_s = retry_s
        self._probe = probe
        self._lock = threading.Lock()
        self._open_until: float | None = None
        self._why = ""
        self.trips = 0  # how many times it opened (a failure while closed)

    @property
    def is_open(self) -> bool:
        return self._open_until is not None

    def check(self) -> None:
        open_until = self._open_until
        if open_until is None:
            return
        if time.monotonic() >= open_until and self._lock.acquire(blocking=False):
            try:
                self._probe()
            except redis.RedisError as exc:
                self.trip(exc)
            else:
                self._open_until = None
                return
            finally:
                self._lock.release()
        raise LiveStateError(
            f"Redis unavailable ({self._why}); trying again every {self.retry_s:g} s"
        )

    def trip(self, exc: Exception) -> None:
        if self._open_until is None:
            self.trips += 1
        self._why = str(exc) or type(exc).__name__
        self._open_until = time.monotonic() + self.retry_s


class RedisLiveState:
    def __init__(
        self,
        url: str,
        *,
        window_len: int = 120,
        deadletter_maxlen: int = 10_000,
        stored_maxlen: int = 2_000,
        timeout_s: float = 1.0,
        retry_s: float = 2.0,
    ):
        self.url = url
        self.window_len = window_len
        self.deadletter_maxlen = deadletter_maxlen
        self.stored_maxlen = stored_maxlen

        def client(timeout: float) -> redis.Redis:
            return redis.Redis.from_url(
                url,
                socket_timeout=timeout,
                socket_connect_timeout=timeout,
                retry=Retry(NoBackoff(), 0),
                health_check_interval=0,
            )

        self._redis = client(timeout_s)
        self._bulk = client(max(timeout_s, APPLY_TIMEOUT_S))  # apply's one large pipeline
        prober = client(min(timeout_s / 4, PROBE_TIMEOUT_S))
        self.breaker = Breaker(retry_s, prober.ping)
        self._prober = prober
        self._latest_script = self._redis.register_script(_LATEST_SCRIPT)
        self._windows_script = self._redis.register_script(_WINDOWS_SCRIPT)
        self._deadletters_script = self._redis.register_script(_DEADLETTERS_SCRIPT)
        self._read_script = self._redis.register_script(_READ_SCRIPT)
        self._reset_script = self._redis.register_script(_RESET_SCRIPT)
        self._consumed: dict[str, int] = {}  # per group: entries added up to what it has read

    def changes(self) -> RedisChanges:
        return RedisChanges(self._redis)

    def apply(self, update: LiveUpdate) -> None:
        pipe = self._bulk.pipeline(transaction=False)
        if update.latest:
            args: list[str | bytes | int] = []
            for (measurement, source), reading in update.latest.items():
                args += [
                    measurement,
                    source,
                    reading.time_ns // NS_PER_MS,
                    reading.tags.get("district", ""),
                    orjson.dumps(reading.to_dict()),
                ]
            self._latest_script(args=args, client=pipe)
            pipe.publish(CHANGED, _now_ms())
        if update.windows:
            # One script call for every window: a few hundred arguments instead of one per point
            # (packing tens of thousands of RPUSH arguments was the live update's main cost).
            windows: list[str | int] = [self.window_len]
            for (source, name), points in update.windows.items():
                windows.append(f"{PREFIX}win:{source}:{name}")
                windows.append(";".join(f"{ms} {value!r}" for ms, value in points))
            self._windows_script(args=windows, client=pipe)
        for counter, amount in update.counters.items():
            pipe.hincrby(f"{PREFIX}counters", counter, amount)
        if update.deadletters:
            # One script call for the batch's dead letters: a burst of rejections cost one
            # pipelined XADD each, most of the collector's time per rejection after decoding.
            letters: list[str | bytes | int] = [self.deadletter_maxlen]
            for rejection in update.deadletters:
                letters += (
                    rejection.feed,
                    rejection.topic[:DEADLETTER_TOPIC_MAX],
                    rejection.reason,
                    rejection.detail[:DEADLETTER_DETAIL_MAX],
                    rejection.payload[:DEADLETTER_PAYLOAD_MAX],
                    rejection.received_ns // NS_PER_MS,
                )
            self._deadletters_script(keys=[f"{PREFIX}deadletter"], args=letters, client=pipe)
        for batch in update.stored:
            for fields in encode_batch(batch):
                pipe.xadd(
                    f"{PREFIX}stored",
                    fields,  # type: ignore[arg-type]
                    maxlen=self.stored_maxlen,
                    approximate=True,
                )
        self._run(pipe.execute)

    def latest(self, measurement: str) -> dict[str, Reading]:
        raw = self._run(self._redis.hgetall, f"{PREFIX}latest:{measurement}")
        return {k.decode(): Reading.from_dict(orjson.loads(v)) for k, v in raw.items()}

    def window(self, source: str, field: str) -> list[tuple[int, float]]:
        raw = self._run(self._redis.lrange, f"{PREFIX}win:{source}:{field}", 0, -1)
        points = []
        for item in raw:
            ms, value = item.split(b" ", 1)
            points.append((int(ms), float(value)))
        return points

    def last_seen(self) -> dict[str, int]:
        raw = self._run(self._redis.hgetall, f"{PREFIX}seen")
        return {k.decode(): int(v) for k, v in raw.items()}

    def districts(self) -> dict[str, str]:
        raw = self._run(self._redis.hgetall, f"{PREFIX}district")
        return {k.decode(): v.decode() for k, v in raw.items()}

    def counters(self) -> dict[str, int]:
        raw = self._run(self._redis.hgetall, f"{PREFIX}counters")
        return {k.decode(): int(v) for k, v in raw.items()}

    def deadletters(self, count: int = 100) -> list[dict[str, Any]]:
        entries = self._run(self._redis.xrevrange, f"{PREFIX}deadletter", count=count)
        letters = []
        for entry_id, data in entries:
            letter: dict[str, Any] = {
                k.decode(): v.decode(errors="replace") for k, v in data.items()
            }
            letter["id"] = entry_id.decode()
            letter["received_ms"] = int(letter["received_ms"])
            letters.append(letter)
        return letters

    def set_kpis(self, values: Sequence[Mapping[str, Any]], ts_ms: int) -> None:
        self._set_and_tell(f"{PREFIX}kpis", orjson.dumps({"ts": ts_ms, "values": values}))

    def kpis(self) -> tuple[int, list[dict[str, Any]]]:
        raw = self._run(self._redis.get, f"{PREFIX}kpis")
        if not raw:
            return 0, []
        data = orjson.loads(raw)
        return int(data["ts"]), list(data["values"])

    def set_alerts(self, alerts: Sequence[Mapping[str, Any]]) -> None:
        self._set_and_tell(f"{PREFIX}alerts", orjson.dumps(list(alerts)))

    def alerts(self) -> list[dict[str, Any]]:
        raw = self._run(self._redis.get, f"{PREFIX}alerts")
        return list(orjson.loads(raw)) if raw else []

    def request_ack(self, alert_id: str, by: str, comment: str, at_ms: int) -> None:
        request = {"alert_id": alert_id, "by": by, "comment": comment, "at_ms": at_ms}
        self._run(self._redis.rpush, f"{PREFIX}ack_requests", orjson.dumps(request))

    def take_ack_requests(self) -> list[dict[str, Any]]:
        pipe = self._redis.pipeline(transaction=True)
        pipe.lrange(f"{PREFIX}ack_requests", 0, -1)
        pipe.delete(f"{PREFIX}ack_requests")
        raw, _ = self._run(pipe.execute)
        return [orjson.loads(item) for item in raw]

    def set_heartbeat(
        self, component: str, now_ms: int, info: Mapping[str, Any] | None = None
    ) -> None:
        beat = orjson.dumps({**(info or {}), "ts": now_ms})
        self._run(self._redis.hset, f"{PREFIX}heartbeat", component, beat)

    def heartbeats(self) -> dict[str, dict[str, Any]]:
        raw = self._run(self._redis.hgetall, f"{PREFIX}heartbeat")
        return {k.decode(): orjson.loads(v) for k, v in raw.items()}

    def stored_group_reset(self, group: str) -> str:
        last, added = self._run(self._reset_script, keys=[f"{PREFIX}stored"], args=[group])
        self._consumed[group] = int(added)
        return _text(last)

    def read_stored(
        self, group: str, consumer: str, count: int = 100, block_ms: int = 0
    ) -> StoredRead:
        key = f"{PREFIX}stored"
        read = self._read_once(group, consumer, count)
        if read.entries or read.lost or block_ms <= 0:
            return read
        # Nothing yet: wait for an entry newer than the stream's end, then read through the group.
        last = self._run(self._redis.xrevrange, key, count=1)
        start = _text(last[0][0]) if last else "0-0"
        self._run(self._redis.xread, {key: start}, count=1, block=block_ms)
        return self._read_once(group, consumer, count)

    def _read_once(self, group: str, consumer: str, count: int) -> StoredRead:
        if group not in self._consumed:
            return StoredRead(lost=True, why="the stored-batch group was never reset here")
        consumed = self._consumed[group]
        raw = self._run(
            self._read_script, keys=[f"{PREFIX}stored"], args=[group, consumer, count, consumed]
        )
        if _text(raw[0]) == "nogroup":
            return StoredRead(lost=True, why="the stored-batch stream or its group is gone")
        entries = []
        if len(raw) > 2 and raw[2]:
            for _key, items in raw[2]:
                for entry_id, flat in items:
                    data = {_text(flat[i]): flat[i + 1] for i in range(0, len(flat), 2)}
                    entries.append(decode_entry(_text(entry_id), data))
        self._consumed[group] = consumed + len(entries)
        if int(raw[1]):
            return StoredRead(entries, lost=True, why="entries trimmed before they were read")
        return StoredRead(entries)

    def ack_stored(self, group: str, ids: Sequence[str]) -> None:
        if ids:
            self._run(self._redis.xack, f"{PREFIX}stored", group, *ids)

    def set_sources(self, sources: Sequence[Mapping[str, Any]]) -> None:
        self._set_and_tell(f"{PREFIX}sources", orjson.dumps(list(sources)))

    def sources(self) -> list[dict[str, Any]]:
        raw = self._run(self._redis.get, f"{PREFIX}sources")
        return list(orjson.loads(raw)) if raw else []

    def set_sentinel(self, token: str) -> None:
        self._run(self._redis.set, f"{PREFIX}sentinel", token)

    def sentinel(self) -> str | None:
        raw = self._run(self._redis.get, f"{PREFIX}sentinel")
        return None if raw is None else _text(raw)

    def is_empty(self) -> bool:
        return not self._run(self._redis.exists, f"{PREFIX}seen")

    def ping(self) -> None:
        self._run(self._redis.ping)

    def close(self) -> None:
        for client in (self._redis, self._bulk, self._prober):
            client.close()

    def _set_and_tell(self, key: str, value: bytes) -> None:
        """SET and PUBLISH the change, in one round trip."""
        pipe = self._redis.pipeline(transaction=False)
        pipe.set(key, value)
        pipe.publish(CHANGED, _now_ms())
        self._run(pipe.execute)

    def _run(self, call: Any, *args: Any, **kwargs: Any) -> Any:
        self.breaker.check()
        try:
            return call(*args, **kwargs)
        except (redis.ConnectionError, redis.TimeoutError) as exc:
            self.breaker.trip(exc)
            raise LiveStateError(f"Redis failed: {exc}") from None
        except redis.RedisError as exc:
            raise LiveStateError(f"Redis failed: {exc}") from None


class RedisChanges:
    """A subscription to `ioc:changed` on its own connection (subscribed at the first wait,
    again after an error)."""

    def __init__(self, client: redis.Redis) -> None:
        self._pubsub = client.pubsub(ignore_subscribe_messages=True)  # type: ignore[no-untyped-call]
        self._subscribed = False

    def wait(self, timeout_s: float) -> bool:
        try:
            if not self._subscribed:
                self._pubsub.subscribe(CHANGED)
                self._subscribed = True
            changed = self._pubsub.get_message(timeout=max(timeout_s, 0.0)) is not None
            while self._pubsub.get_message(timeout=0.0) is not None:  # several: one change
                changed = True
            return changed
        # ValueError, TypeError (hiredis polling a socket that is gone): closed under the wait
        except (redis.RedisError, OSError, ValueError, TypeError) as exc:
            self._subscribed = False
            self._pubsub.reset()
            raise LiveStateError(f"live state (Redis) cannot be watched: {exc}") from exc

    def close(self) -> None:
        self._pubsub.close()


def _now_ms() -> int:
    return time.time_ns() // NS_PER_MS


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)
