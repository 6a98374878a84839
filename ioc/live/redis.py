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

One `apply` is one pipelined round trip; redis-py errors become `LiveStateError` here.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import orjson
import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from ioc.errors import LiveStateError
from ioc.live.base import LiveUpdate
from ioc.model import (
    DEADLETTER_DETAIL_MAX,
    DEADLETTER_PAYLOAD_MAX,
    DEADLETTER_TOPIC_MAX,
    NS_PER_MS,
    Reading,
)

PREFIX = "ioc:"

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


class RedisLiveState:
    def __init__(self, url: str, *, window_len: int = 120, deadletter_maxlen: int = 10_000):
        self.url = url
        self.window_len = window_len
        self.deadletter_maxlen = deadletter_maxlen
        self._redis = redis.Redis.from_url(
            url,
            socket_timeout=3,
            socket_connect_timeout=2,
            retry=Retry(NoBackoff(), 0),
            health_check_interval=0,
        )
        self._latest_script = self._redis.register_script(_LATEST_SCRIPT)
        self._windows_script = self._redis.register_script(_WINDOWS_SCRIPT)

    def apply(self, update: LiveUpdate) -> None:
        pipe = self._redis.pipeline(transaction=False)
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
        for rejection in update.deadletters:
            pipe.xadd(
                f"{PREFIX}deadletter",
                {
                    "feed": rejection.feed,
                    "topic": rejection.topic[:DEADLETTER_TOPIC_MAX],
                    "reason": rejection.reason,
                    "detail": rejection.detail[:DEADLETTER_DETAIL_MAX],
                    "payload": rejection.payload[:DEADLETTER_PAYLOAD_MAX],
                    "received_ms": rejection.received_ns // NS_PER_MS,
                },
                maxlen=self.deadletter_maxlen,
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
        self._run(self._redis.set, f"{PREFIX}kpis", orjson.dumps({"ts": ts_ms, "values": values}))

    def kpis(self) -> tuple[int, list[dict[str, Any]]]:
        raw = self._run(self._redis.get, f"{PREFIX}kpis")
        if not raw:
            return 0, []
        data = orjson.loads(raw)
        return int(data["ts"]), list(data["values"])

    def set_alerts(self, alerts: Sequence[Mapping[str, Any]]) -> None:
        self._run(self._redis.set, f"{PREFIX}alerts", orjson.dumps(list(alerts)))

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

    def is_empty(self) -> bool:
        return not self._run(self._redis.exists, f"{PREFIX}seen")

    def ping(self) -> None:
        self._run(self._redis.ping)

    def close(self) -> None:
        self._redis.close()

    @staticmethod
    def _run(call: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return call(*args, **kwargs)
        except redis.RedisError as exc:
            raise LiveStateError(f"Redis failed: {exc}") from None
