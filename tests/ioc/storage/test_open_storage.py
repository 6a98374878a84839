"""open_storage picks the implementation from the settings, without touching the network."""

import pytest

from ioc.errors import ConfigError
from ioc.settings import load_settings
from ioc.storage import data_dir, open_storage
from ioc.storage.influx import InfluxStorage
from ioc.storage.sqlite import SqliteStorage


def settings(**overrides):
    return load_settings(_env_file=None, **{"influx_url": "", "redis_url": "", **overrides})


def test_no_influx_url_means_sqlite_in_the_data_dir(tmp_path):
    folder = tmp_path / "deep" / "data"
    storage = open_storage(settings(data_dir=str(folder)))
    assert isinstance(storage, SqliteStorage)
    assert storage.path == folder / "ioc.sqlite3" and storage.path.exists()
    storage.ping()
    storage.close()


def test_an_influx_url_means_influxdb_and_no_connection_yet():
    storage = open_storage(settings(influx_url="http://127.0.0.1:9", influx_bucket="ioc"))
    assert isinstance(storage, InfluxStorage)
    storage.close()


def test_the_default_data_dir_follows_xdg(monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    assert data_dir(settings()) == tmp_path / "xdg" / "ioc"
    monkeypatch.setenv("XDG_DATA_HOME", "relative/ignored")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert data_dir(settings()) == tmp_path / "home" / ".local" / "share" / "ioc"
    monkeypatch.delenv("XDG_DATA_HOME")
    storage = open_storage(settings())
    assert storage.path == tmp_path / "home" / ".local" / "share" / "ioc" / "ioc.sqlite3"
    storage.close()


def test_a_data_dir_that_cannot_be_created_names_the_setting(tmp_path):
    (tmp_path / "file").write_text("in the way")
    with pytest.raises(ConfigError) as caught:
        open_storage(settings(data_dir=str(tmp_path / "file" / "sub")))
    assert caught.value.key == "IOC_DATA_DIR"
