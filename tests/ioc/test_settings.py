import pytest

from ioc.errors import ConfigError
from ioc.settings import load_settings, parse_mqtt_url


def test_defaults_load(monkeypatch):
    monkeypatch.delenv("IOC_MQTT_URL", raising=False)
    settings = load_settings(_env_file=None)
    assert settings.mqtt.port == 1883
    assert settings.influx_bucket == "ioc"


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("IOC_MQTT_URL", "http://broker:1883"),
        ("IOC_MQTT_URL", "mqtt://:1883"),
        ("IOC_MQTT_URL", "mqtt://broker:99999"),
        ("IOC_INFLUX_URL", "influx.local:8086"),
        ("IOC_REDIS_URL", "http://127.0.0.1:6379"),
        ("IOC_BATCH_SIZE", "lots"),
        ("IOC_BATCH_SIZE", "0"),
        ("IOC_LOG_LEVEL", "chatty"),
        ("IOC_MQTT_PROTOCOL", "4"),
    ],
)
def test_bad_value_names_key_and_value(monkeypatch, key, value):
    monkeypatch.setenv(key, value)
    with pytest.raises(ConfigError) as info:
        load_settings(_env_file=None)
    assert info.value.key == key
    assert value in str(info.value)


def test_mqtt_url_with_credentials():
    address = parse_mqtt_url("mqtts://collector:s%40cret@broker.example:8884")
    assert (address.host, address.port, address.tls) == ("broker.example", 8884, True)
    assert (address.username, address.password) == ("collector", "s@cret")
    assert parse_mqtt_url("mqtts://b").port == 8883


def test_secret_token_is_not_printed(monkeypatch):
    monkeypatch.setenv("IOC_INFLUX_TOKEN", "very-secret")
    settings = load_settings(_env_file=None)
    assert "very-secret" not in repr(settings)
    assert settings.influx_token.get_secret_value() == "very-secret"
