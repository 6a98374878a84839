"""A real redis-server on a free loopback port."""

from __future__ import annotations

from pathlib import Path

import pytest
import redis

from ioc.devservices import Redis

pytestmark = pytest.mark.services


def test_ping(redis_url: str) -> None:
    assert redis_url.startswith("redis://127.0.0.1:")
    with redis.Redis.from_url(redis_url) as client:
        assert client.ping() is True


def test_each_test_starts_from_an_empty_redis(redis_url: str) -> None:
    with redis.Redis.from_url(redis_url) as client:
        assert client.dbsize() == 0
        client.set("left-behind", "1")  # the next test's redis_url flushes it


def test_restart_keeps_the_port_and_loses_the_data(tmp_path: Path) -> None:
    with Redis(tmp_path) as server:
        url = server.url
        with redis.Redis.from_url(url) as client:
            client.set("snapshot", "x")
        server.restart()
        assert server.url == url
        with redis.Redis.from_url(url) as client:
            assert client.get("snapshot") is None
