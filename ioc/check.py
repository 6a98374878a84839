"""`ioc check`: is everything the settings point at reachable? Plain words for a new user."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from ioc.errors import IocError
from ioc.mqtttls import apply_tls
from ioc.settings import Settings


@dataclass(frozen=True, slots=True)
class CheckResult:
    name: str
    ok: bool
    detail: str


def check_mqtt(settings: Settings, timeout: float = 5.0) -> CheckResult:
    address = settings.mqtt
    where = f"{address.host}:{address.port}"
    answered = threading.Event()
    outcome: list[str] = []

    def on_connect(
        client: mqtt.Client, userdata: object, flags: object, rc: object, p: object
    ) -> None:
        outcome.append(str(rc))
        answered.set()

    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="", protocol=mqtt.MQTTv5)
    if address.username:
        client.username_pw_set(address.username, address.password)
    apply_tls(client, address)
    client.on_connect = on_connect
    try:
        client.connect(address.host, address.port, keepalive=10)
    except OSError as exc:
        return CheckResult("MQTT broker", False, f"cannot reach {where}: {exc}")
    client.loop_start()
    try:
        if not answered.wait(timeout):
            return CheckResult(
                "MQTT broker", False, f"{where} did not answer within {timeout:.0f} s"
            )
    finally:
        client.disconnect()
        client.loop_stop()
    if outcome[0] != "Success":
        return CheckResult("MQTT broker", False, f"{where} refused the connection: {outcome[0]}")
    return CheckResult("MQTT broker", True, f"{where} accepts us")


def check_storage(settings: Settings) -> CheckResult:
    from ioc.storage import open_storage

    try:
        storage = open_storage(settings)
    except IocError as exc:
        return CheckResult("Storage", False, str(exc))
    try:
        storage.ping()
        query = getattr(storage, "query", None)
        if query is None:
            return CheckResult("Storage", True, f"embedded SQLite {getattr(storage, 'path', '')}")
        query("SHOW MEASUREMENTS LIMIT 1")
        where = settings.influx_url
        return CheckResult("Storage", True, f"{where}, bucket {settings.influx_bucket!r} readable")
    except IocError as exc:
        return CheckResult("Storage", False, str(exc))
    finally:
        storage.close()


def check_live(settings: Settings) -> CheckResult:
    from ioc.live import open_live_state

    try:
        live = open_live_state(settings)
    except IocError as exc:
        return CheckResult("Live state", False, str(exc))
    try:
        live.ping()
        return CheckResult("Live state", True, f"{settings.redis_url or 'in process'} answers")
    except IocError as exc:
        return CheckResult("Live state", False, str(exc))
    finally:
        live.close()


CHECKS: tuple[Callable[[Settings], CheckResult], ...] = (check_mqtt, check_storage, check_live)


def run_checks(settings: Settings) -> Iterator[CheckResult]:
    for check in CHECKS:
        yield check(settings)
