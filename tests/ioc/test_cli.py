"""The `ioc` command as a user runs it: a subprocess with IOC_* settings, on real services."""

import os
import subprocess
import sys

import orjson
import pytest

from ioc.devservices import free_port
from tests.helpers import DATA_FEEDS


def ioc(*args, env=None, timeout=120):
    return subprocess.run(
        [sys.executable, "-m", "ioc.cli", *args],
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def test_a_bad_setting_stops_with_the_key_and_the_value():
    done = ioc("check", env={"IOC_MQTT_URL": "http://broker:1883"})
    assert done.returncode == 2
    assert "IOC_MQTT_URL" in done.stderr and "http://broker:1883" in done.stderr
    assert "Traceback" not in done.stderr


@pytest.mark.services
def test_check_says_in_plain_words_what_is_reachable(mosquitto, influxdb, influx_db, redis_url):
    env = {
        "IOC_MQTT_URL": mosquitto.url,
        "IOC_INFLUX_URL": influxdb.url,
        "IOC_INFLUX_BUCKET": influx_db,
        "IOC_REDIS_URL": redis_url,
    }
    done = ioc("check", env=env)
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.count("[OK  ]") == 3

    nothing = f"127.0.0.1:{free_port()}"
    done = ioc(
        "check",
        env={**env, "IOC_MQTT_URL": f"mqtt://{nothing}", "IOC_REDIS_URL": f"redis://{nothing}/0"},
    )
    assert done.returncode == 1
    assert f"[FAIL] MQTT broker: cannot reach {nothing}" in done.stdout
    assert "[FAIL] Live state" in done.stdout
    assert "[OK  ] Storage" in done.stdout


@pytest.mark.services
def test_simulate_prints_progress_and_ends_with_one_json_line(mosquitto):
    done = ioc(
        "simulate",
        "--count",
        "400",
        "--rate",
        "2000",
        "--bad-ratio",
        "0.1",
        "--max-ahead",  # simulated time may run an hour ahead: 400 messages without waiting
        "3600",
        env={"IOC_MQTT_URL": mosquitto.url},
    )
    assert done.returncode == 0, done.stderr
    last = orjson.loads(done.stdout.strip().splitlines()[-1])
    assert set(last) == {"sent", "bad"}
    assert set(last["sent"]) == {*DATA_FEEDS, "status"}
    assert sum(last["sent"][f] for f in DATA_FEEDS) + last["bad"] == 400
    assert last["sent"]["status"] > 0 and last["bad"] > 10
    assert "sent" in done.stderr  # the progress lines


def test_kpis_rejects_an_unknown_district():
    done = ioc("kpis", "--district", "ha-noi", env={"IOC_REDIS_URL": ""})
    assert done.returncode == 2
    assert "unknown district 'ha-noi'" in done.stderr


def test_every_package_contributes_its_own_commands():
    from typer.main import get_command

    from ioc.cli import build

    command = get_command(build())
    assert {"check", "kpis", "alerts", "demo"} <= set(command.commands)  # the core's
    assert {"collect", "simulate", "dashboard"} <= set(command.commands)  # the packages'
    assert "ingest" in command.commands["bench"].commands


def test_a_command_registered_twice_is_refused_by_name():
    import typer

    from ioc.cli import _check_unique
    from ioc.errors import IocError

    app = typer.Typer()
    app.command()(lambda: None)
    app.command("collect")(lambda: None)
    app.command("collect")(lambda: None)
    with pytest.raises(IocError, match="registered twice: collect"):
        _check_unique(app)


def test_rollups_rebuild_recomputes_a_range_of_the_embedded_storage(tmp_path):
    from ioc.model import NS_PER_S, Reading
    from ioc.storage.sqlite import SqliteStorage

    t0 = 1_593_561_600 * NS_PER_S
    storage = SqliteStorage(tmp_path / "ioc.sqlite3")
    tags = {"district": "hoa-an", "source": "a1", "kind": "air"}
    storage.write(
        [Reading("sensor", t0 + i * 60 * NS_PER_S, tags, {"pm25": 1.0}) for i in range(90)]
    )
    env = {"IOC_INFLUX_URL": "", "IOC_DATA_DIR": str(tmp_path)}
    done = ioc(
        "rollups", "rebuild", "--start", "2020-07-01T00:00Z", "--end", "2020-07-01T02:00Z", env=env
    )
    assert done.returncode == 0, done.stderr
    assert "rebuilt" in done.stdout
    assert storage.rollup_done(cached=False)[3600] == t0 + 2 * 3600 * NS_PER_S
    bad = ioc("rollups", "rebuild", "--start", "yesterday", env=env)
    assert bad.returncode == 2 and "bad range" in bad.stderr
    storage.close()


def test_the_command_tree_is_built_without_the_heavy_libraries():
    """Every package's command module is imported for `ioc --help`: they keep pandas, Dash, paho,
    the database clients inside the commands, so any `ioc` invocation starts quickly."""
    heavy = ("pandas", "numpy", "dash", "plotly", "paho", "influxdb_client", "redis", "amqtt")
    probe = (
        "import sys, ioc.cli; ioc.cli.build(); "
        f"print(' '.join(m for m in {heavy!r} if m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == ""
