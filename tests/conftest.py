"""Fixtures shared by the whole suite: real Mosquitto, InfluxDB (+ v2 shim) and Redis.

- `influxdb`, `redis_server` — one per session (the dev service objects, see ioc.devservices).
- `mosquitto` — a fresh broker per test: it starts in milliseconds and no retained message or
  persistent session leaks from one test into the next.
- `influx_db` — a new, empty database per test (its name; the bucket for influxdb-client),
  dropped afterwards.
- `redis_url` — the session Redis, flushed, as a URL.
- `sqlite_storage`, `memory_live` — the embedded backends (SQLite file in `tmp_path`, in-process
  live state): no service. For pipeline, KPI and callback logic, which runs the same on every
  backend; the contract suites (tests/ioc/storage, tests/ioc/live) prove the backends agree, on
  the real services.

A test that stops the session InfluxDB or Redis (outage tests) leaves it to these fixtures to
start it again for the next test.
"""

from __future__ import annotations

import tomllib
import uuid
from collections.abc import Iterator
from importlib.metadata import entry_points
from pathlib import Path

import pytest
import redis

from ioc.devservices import InfluxDB, Mosquitto, Redis
from ioc.live.memory import MemoryLiveState
from ioc.storage.sqlite import SqliteStorage


def pytest_sessionstart(session: pytest.Session) -> None:
    """Stop at once, saying why, when the install predates the entry points in pyproject.toml
    (each package's `ioc` commands and demo parts): every `ioc` test would fail otherwise."""
    pyproject = Path(__file__).resolve().parent.parent / "pyproject.toml"
    declared = tomllib.loads(pyproject.read_text())["project"].get("entry-points", {})
    for group, entries in declared.items():
        installed = {e.name: e.value for e in entry_points(group=group)}
        if installed != entries:
            pytest.exit(
                f"the installed entry points {group!r} are {installed}, pyproject.toml declares "
                f"{entries}: reinstall with scripts/setup.sh (or pip install -e '.[dev]')",
                returncode=4,
            )


SERVICE_FIXTURES = frozenset({"influxdb", "redis_server", "mosquitto", "influx_db", "redis_url"})


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every test that starts a service is marked `services`, so `-m "not services"` runs exactly
    the tests that need none (the quick loop while working)."""
    for item in items:
        if SERVICE_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.services)


@pytest.fixture(scope="session")
def influxdb(tmp_path_factory: pytest.TempPathFactory) -> Iterator[InfluxDB]:
    with InfluxDB(tmp_path_factory.mktemp("influxdb")) as service:
        yield service


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Redis]:
    with Redis(tmp_path_factory.mktemp("redis")) as service:
        yield service


@pytest.fixture
def mosquitto(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Mosquitto]:
    with Mosquitto(tmp_path_factory.mktemp("mosquitto")) as service:
        yield service


@pytest.fixture
def influx_db(influxdb: InfluxDB) -> Iterator[str]:
    influxdb.start()  # no-op unless an earlier test left it stopped
    name = f"t_{uuid.uuid4().hex[:12]}"
    influxdb.create_database(name)
    yield name
    if influxdb.running:
        influxdb.query(f'DROP DATABASE "{name}"')


@pytest.fixture
def redis_url(redis_server: Redis) -> str:
    redis_server.start()  # no-op unless an earlier test left it stopped
    with redis.Redis.from_url(redis_server.url) as client:
        client.flushall()
    return redis_server.url


@pytest.fixture
def sqlite_storage(tmp_path: Path) -> Iterator[SqliteStorage]:
    storage = SqliteStorage(tmp_path / "ioc.sqlite3")
    yield storage
    storage.close()


@pytest.fixture
def memory_live() -> Iterator[MemoryLiveState]:
    live = MemoryLiveState()
    yield live
    live.close()
