"""What only SqliteStorage does: the file, threads, locks, errors and speed.

The shared behaviour (the same as InfluxDB) is in test_contract.py.
"""

import sqlite3
import threading
import time

import pytest

from ioc.errors import StorageRejected, StorageUnavailable
from ioc.model import NS_PER_S, Reading
from ioc.storage.base import TimeRange
from ioc.storage.sqlite import SqliteStorage

T0 = 1_593_565_200 * NS_PER_S
SPAN = TimeRange(T0, T0 + 86_400 * NS_PER_S)


def air(i, pm25=1.0, source=None):
    tags = {"district": "hoa-an", "source": source or f"s{i % 50}", "kind": "air"}
    return Reading("sensor", T0 + i * 1_000_000, tags, {"pm25": pm25})


@pytest.fixture
def path(tmp_path):
    return tmp_path / "ioc.sqlite3"


@pytest.fixture
def storage(path):
    storage = SqliteStorage(path)
    yield storage
    storage.close()


def test_the_file_is_in_wal_mode_and_survives_a_reopen(path, storage):
    storage.write([air(i) for i in range(10)])
    storage.close()
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    again = SqliteStorage(path)
    assert again.count("sensor", "pm25", SPAN) == 10
    with pytest.raises(StorageRejected):  # the field's type is in the file, not only in memory
        again.write([air(99, pm25="high")])
    again.close()


def test_two_instances_on_one_file_agree(path, storage):
    other = SqliteStorage(path)
    storage.write([air(1, pm25=1.0)])
    other.write([air(1, pm25=2.0), air(2, source="new")])  # same point, and a new series
    storage.write([air(3, source="new")])
    assert storage.count("sensor", "pm25", SPAN) == 3
    assert list(other.records("sensor", SPAN, where={"source": "s1"})["pm25"]) == [2.0]
    other.close()


def test_a_batch_with_a_bad_point_is_rejected_whole(storage):
    storage.write([air(0)])
    bad = Reading("sensor", T0 + 5, {"district": "hoa-an", "source": "s1"}, {"pm25": 7})
    with pytest.raises(StorageRejected):
        storage.write([air(1), air(2), bad])
    with pytest.raises(StorageRejected):  # also within one batch
        storage.write(
            [
                air(1),
                Reading("camera", T0, {"source": "c"}, {"car": 1}),
                Reading("camera", T0 + 1, {"source": "c"}, {"car": 1.5}),
            ]
        )
    assert storage.count("sensor", "pm25", SPAN) == 1
    assert storage.records("camera", SPAN).empty
    storage.write([air(1)])  # the rollback left nothing behind
    assert storage.count("sensor", "pm25", SPAN) == 2


def test_points_the_line_protocol_refuses_are_refused_alike(storage):
    with pytest.raises(ValueError):
        storage.write([air(0, pm25=float("nan"))])
    with pytest.raises(ValueError):
        storage.write([Reading("sensor", T0, {"source": "a"}, {})])
    with pytest.raises(StorageRejected):
        storage.write([Reading("camera", T0, {"source": "a"}, {"car": 2**63})])


def test_a_locked_file_is_unavailable_then_recovers(path):
    storage = SqliteStorage(path, timeout_s=0.05)
    blocker = sqlite3.connect(path, isolation_level=None)
    blocker.execute("BEGIN EXCLUSIVE")
    with pytest.raises(StorageUnavailable) as caught:
        storage.write([air(0)])
    assert caught.value.retryable
    storage.count("sensor", "pm25", SPAN)  # readers are not blocked in WAL mode
    blocker.execute("ROLLBACK")
    blocker.close()
    storage.write([air(0)])
    assert storage.count("sensor", "pm25", SPAN) == 1
    storage.close()


def test_a_file_that_cannot_be_opened_is_unavailable(tmp_path):
    with pytest.raises(StorageUnavailable):
        SqliteStorage(tmp_path / "no-such-folder" / "ioc.sqlite3")
    (tmp_path / "junk.sqlite3").write_bytes(b"this is not a database file" * 100)
    with pytest.raises(StorageUnavailable):
        SqliteStorage(tmp_path / "junk.sqlite3")


def test_a_closed_storage_is_unavailable(storage):
    storage.ping()
    storage.close()
    with pytest.raises(StorageUnavailable):
        storage.write([air(0)])
    with pytest.raises(StorageUnavailable):
        storage.records("sensor", SPAN)
    with pytest.raises(StorageUnavailable):
        storage.ping()


def test_one_writer_and_several_readers_in_threads(storage):
    errors = []
    done = threading.Event()

    def write():
        try:
            for batch in range(20):
                storage.write([air(batch * 500 + i, float(i)) for i in range(500)])
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            done.set()

    def read():
        try:
            while not done.is_set():
                storage.history("sensor", "pm25", SPAN, group_by=["source"])
                storage.latest("sensor")
                storage.records("sensor", SPAN, limit=100)
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=write)] + [threading.Thread(target=read) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert storage.count("sensor", "pm25", SPAN) == 10_000


def test_writes_at_least_20k_points_a_second_in_batches_of_5000(storage):
    points = [
        Reading(
            "sensor",
            T0 + i * 10_000_000,
            {"district": "hoa-an", "source": f"s{i % 200}", "kind": "air"},
            {"pm25": i / 7, "pm10": i / 3},
        )
        for i in range(100_000)
    ]
    started = time.perf_counter()
    for i in range(0, len(points), 5000):
        storage.write(points[i : i + 5000])
    rate = len(points) / (time.perf_counter() - started)
    print(f"SQLite writes: {rate:,.0f} points/s")  # shown with pytest -s
    assert rate >= 20_000, f"{rate:,.0f} points/s"
    assert storage.count("sensor", "pm10", SPAN) == 100_000
