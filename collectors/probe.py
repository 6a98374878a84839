"""`ioc probe`: check the province's web portals and publish each check as a `portal` message.

Targets come from a TOML file, one `[[target]]` table per portal:

    [[target]]
    site = "cong-tinh"              # its source id (the topic's last segment)
    district = "thanh-pho-cao-bang"
    url = "https://caobang.gov.vn/"
    name = "Cổng TTĐT tỉnh"         # optional
    # verify = false                # optional: do not verify the certificate (days left unknown)
    # ca_file = "/etc/ioc/ca.pem"   # optional: verify with this CA bundle instead of certifi's

Every `interval` seconds each URL is fetched with httpx (GET, a timeout, redirects followed only
within the same host, at most 5): `up` when the final answer is below 500, with its `status`,
`response_ms` and, for https, `tls_days_left` of the certificate the server presented (read
from the connection, verified against the system's CAs unless `verify=false`). A failed check
(refused, timeout, TLS error, 5xx) is `up: false` with an `error` of at most 200 characters.
Checks are published at QoS 1 to `ioc/portal/<district>/<site>` with the prober's status
(`ioc/status/<client id>`) as its Last Will, so the wall knows when the prober itself is gone.
"""

from __future__ import annotations

import logging
import ssl
import threading
import time
import tomllib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import orjson
import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from ioc.errors import ConfigError, IocError
from ioc.feeds import SOURCE_ID_RE, TOPIC_ROOT
from ioc.feeds.portal import ERROR_MAX_LEN, SPEC
from ioc.model import NS_PER_MS
from ioc.mqtttls import apply_tls
from ioc.places import DISTRICTS
from ioc.settings import MqttAddress

log = logging.getLogger(__name__)
MAX_REDIRECTS = 5
DEFAULT_TIMEOUT_S = 10.0


@dataclass(frozen=True, slots=True)
class Target:
    site: str
    district: str
    url: str
    name: str = ""
    verify: bool = True
    ca_file: str = ""  # a CA bundle (PEM) to verify this portal with, instead of certifi's

    def tls_verify(self) -> ssl.SSLContext | bool:
        return ssl.create_default_context(cafile=self.ca_file) if self.ca_file else self.verify

    @property
    def topic(self) -> str:
        return f"{TOPIC_ROOT}/{SPEC.name}/{self.district}/{self.site}"


def load_targets(path: str | Path) -> list[Target]:
    """The targets of a TOML file; a bad file or entry raises ConfigError naming it."""
    try:
        document = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError("--targets", str(path), f"cannot read targets: {exc}") from None
    entries = document.get("target", [])
    if not isinstance(entries, list) or not entries:
        raise ConfigError("--targets", str(path), "expected one or more [[target]] tables")
    targets = [_target(path, i, entry) for i, entry in enumerate(entries, 1)]
    sites = [t.site for t in targets]
    if len(set(sites)) != len(sites):
        raise ConfigError("--targets", str(path), "two targets have the same site")
    return targets


def _target(path: str | Path, n: int, entry: Any) -> Target:
    def bad(why: str) -> ConfigError:
        return ConfigError("--targets", str(path), f"target {n}: {why}")

    if not isinstance(entry, dict):
        raise bad("not a table")
    unknown = set(entry) - {"site", "district", "url", "name", "verify", "ca_file"}
    if unknown:
        raise bad(f"unknown keys {sorted(unknown)}")
    site, district, url = entry.get("site"), entry.get("district"), entry.get("url")
    if not isinstance(site, str) or not SOURCE_ID_RE.fullmatch(site):
        raise bad(f"site {site!r} is not a source id [A-Za-z0-9_-]{{1,64}}")
    if district not in DISTRICTS:
        raise bad(f"district {district!r} is not one of {', '.join(DISTRICTS)}")
    if not isinstance(url, str) or urlsplit(url).scheme not in ("http", "https"):
        raise bad(f"url {url!r} is not an http:// or https:// URL")
    verify = entry.get("verify", True)
    if not isinstance(verify, bool):
        raise bad("verify must be true or false")
    ca_file = entry.get("ca_file", "")
    if not isinstance(ca_file, str) or (ca_file and not Path(ca_file).is_file()):
        raise bad(f"ca_file {ca_file!r} is not a readable file")
    return Target(site, str(district), url, str(entry.get("name", "")), verify, ca_file)


def _days_left(response: httpx.Response, now: datetime) -> int | None:
    """Days until the certificate the server presented expires (None for plain http)."""
    stream = response.extensions.get("network_stream")
    if stream is None:
        return None
    # an ssl.SSLObject, or the C-level object of an ssl.SSLSocket: both have getpeercert()
    getpeercert = getattr(stream.get_extra_info("ssl_object"), "getpeercert", None)
    if getpeercert is None:
        return None
    cert = getpeercert()
    not_after = cert.get("notAfter") if cert else None
    if not isinstance(not_after, str):
        return None
    expires = datetime.fromtimestamp(ssl.cert_time_to_seconds(not_after), UTC)
    return int((expires - now).total_seconds() // 86_400)


def _short(exc: BaseException) -> str:
    text = f"{type(exc).__name__}: {exc}".replace("\n", " ")
    return text if len(text) <= ERROR_MAX_LEN else text[: ERROR_MAX_LEN - 1] + "…"


def check(target: Target, timeout_s: float = DEFAULT_TIMEOUT_S) -> dict[str, Any]:
    """One availability check of `target`: the `portal` payload (wire contract)."""
    started = datetime.now(UTC)
    body: dict[str, Any] = {"ts": time.time_ns() // NS_PER_MS, "url": target.url}
    host = urlsplit(target.url).hostname
    url = target.url
    try:
        verify = target.tls_verify()
        with httpx.Client(timeout=timeout_s, verify=verify, follow_redirects=False) as c:
            began = time.perf_counter()  # the check, not loading the CA bundle
            for _ in range(MAX_REDIRECTS + 1):
                # read the certificate before the body closes the connection
                with c.stream("GET", url) as response:
                    days = _days_left(response, started)
                    response.read()
                location = response.headers.get("location")
                if not response.is_redirect or location is None:
                    break
                url = str(response.url.join(location))
                if urlsplit(url).hostname != host:
                    break  # never follow a redirect off-site: its answer is the check's
    except httpx.HTTPError as exc:
        return body | {"up": False, "error": _short(exc)}
    elapsed_ms = round((time.perf_counter() - began) * 1000, 1)
    body |= {"up": response.status_code < 500, "status": response.status_code}
    body["response_ms"] = elapsed_ms
    if days is not None:
        body["tls_days_left"] = days
    if response.status_code >= 500:
        body["error"] = f"HTTP {response.status_code} {response.reason_phrase}"[:ERROR_MAX_LEN]
    return body


class Prober:
    """Checks every target each `interval_s` and publishes the checks over MQTT."""

    def __init__(
        self,
        address: MqttAddress,
        client_id: str,
        targets: Sequence[Target],
        interval_s: float = 60.0,
        timeout_s: float = DEFAULT_TIMEOUT_S,
        on_check: Callable[[Target, dict[str, Any]], None] | None = None,
    ) -> None:
        if interval_s <= 0:
            raise ConfigError("--interval", str(interval_s), "must be positive")
        self.targets = list(targets)
        self.interval_s = interval_s
        self.timeout_s = timeout_s
        self.on_check = on_check
        self.stop_event = threading.Event()
        self.status_topic = f"{TOPIC_ROOT}/status/{client_id}"
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=client_id)
        if address.username:
            self.client.username_pw_set(address.username, address.password)
        if address.tls:
            apply_tls(self.client, address)
        self.client.will_set(self.status_topic, b"offline", qos=1, retain=True)
        self.address = address
        self.published = 0
        self.connected = threading.Event()
        self.client.on_connect = lambda *args: self.connected.set()
        self.client.on_disconnect = lambda *args: self.connected.clear()

    def broker_probe(self) -> str:
        """For /readyz: raises when the broker connection is down."""
        if not self.connected.is_set():
            raise IocError(f"not connected to the broker at {self.address.host}")
        return f"connected to {self.address.host}:{self.address.port}"

    def run(self, rounds: int | None = None) -> None:
        """Probe until `stop()` (or for `rounds` rounds), then say offline and disconnect."""
        self.client.connect(self.address.host, self.address.port)
        self.client.loop_start()
        try:
            self.client.publish(self.status_topic, b"online", qos=1, retain=True)
            done = 0
            while not self.stop_event.is_set() and (rounds is None or done < rounds):
                began = time.monotonic()
                for target in self.targets:
                    payload = check(target, self.timeout_s)
                    info = self.client.publish(target.topic, orjson.dumps(payload), qos=1)
                    info.wait_for_publish(timeout=30)
                    self.published += 1
                    if self.on_check is not None:
                        self.on_check(target, payload)
                done += 1
                if rounds is None or done < rounds:
                    self.stop_event.wait(max(0.0, self.interval_s - (time.monotonic() - began)))
        finally:
            self.client.publish(self.status_topic, b"offline", qos=1, retain=True).wait_for_publish(
                5
            )
            self.client.disconnect()
            self.client.loop_stop()

    def stop(self) -> None:
        self.stop_event.set()
