"""Redis flushed under a running system (collector, engine, dashboard): the wall's values are
back within 5 s without a single new message — the engine notices the missing sentinel,
rebuilds from InfluxDB and republishes the latest readings, KPIs, alerts and sources."""

from __future__ import annotations

import time

import orjson
import pytest
import redis

from dashboards.tiles import indicator_key
from ioc.devservices import wait_until
from tests.dashboards.conftest import bearer, now_ms

pytestmark = pytest.mark.services

NOISE = indicator_key("noise")


def snapshot(app, headers):
    with app.server.test_client() as client:
        response = client.get("/api/v1/snapshot", headers=headers)
    assert response.status_code == 200, response.data
    return orjson.loads(response.data)


def noise_tile(body):
    return next(t for t in body["tiles"] if t["key"] == NOISE)


def test_flushall_brings_the_wall_values_back_within_5_s_without_new_messages(
    app, engine, collector, publish, settings
):
    headers = bearer(app)
    ts = now_ms()
    publish.sensor("bao-lam", "t-noise-1", "noise", {"laeq_db": 61.0}, ts)

    def shown() -> bool:  # the reading, the KPIs and its source's facts (the engine writes a
        body = snapshot(app, headers)  # folded reading at once, the rest at its next tick)
        tile = noise_tile(body)
        return (
            tile["value"] == 61.0
            and tile["data_ms"] == ts
            and bool(body["kpis"]["values"])
            and any(s["source"] == "t-noise-1" for s in body["sources"])
        )

    wait_until(shown, timeout=15, message="the reading never reached the wall")
    received = collector.pipeline.stats.received
    rebuilds = engine.stats.rebuilds

    with redis.Redis.from_url(settings.redis_url) as client:
        client.flushall()
    flushed = time.monotonic()
    assert noise_tile(snapshot(app, headers))["value"] is None  # really gone

    wait_until(shown, timeout=5, interval=0.1, message="the wall's values did not come back")
    took = time.monotonic() - flushed
    assert collector.pipeline.stats.received == received  # not one new message
    assert engine.stats.rebuilds == rebuilds + 1
    assert "sentinel" in engine.stats.last_rebuild_reason or "gone" in (
        engine.stats.last_rebuild_reason
    )
    print(f"wall values back {took:.2f} s after FLUSHALL")  # shown with pytest -s
