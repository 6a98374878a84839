"""The broker's password file and ACL, written the way Mosquitto 2 reads them, from Python.

    hash_password(password) -> str               Mosquitto's `$7$` PBKDF2-SHA512 entry
    read_passwd(path) / write_passwd(path, entries)
    render_acl(sources) -> str                   the ACL, generated from the source catalogue
    render_dynsec(sources) -> str                the same rules for the dynamic-security plugin
    add_device(deploy_dir, sources, source_id) -> password     (generated, printed once)
    revoke_device(deploy_dir, sources, source_id)

The ACL is never edited by hand: it is the service users (collectors, simulator) plus one block
per catalogued source, which may publish only `ioc/<its feed>/<its district>/<its id>` and
`ioc/status/<its id>`. Together with `use_username_as_clientid` (deploy/mosquitto/production.conf)
a device can neither publish as another device nor take over another user's session.

The broker enforces the rules through Mosquitto's dynamic-security plugin
(`dynamic-security.json`, loaded by deploy/mosquitto/start.sh), not through `acl_file`: Mosquitto
2.0's acl_file grants every SUBSCRIBE and filters only on delivery, so a device could join the
collectors' `$share` group, take its turn and have the broker drop those messages (50 of 100 lost,
measured). The plugin refuses the SUBSCRIBE itself. Passwords stay in the password file
(`password_file` authenticates first; the plugin's clients carry no password). `acl` is the same
rules in acl_file syntax, for people reading them (and start.sh's `# device` lines); both files
are written together.

Password entries are `user:$7$<iterations>$<base64 salt>$<base64 hash>`: PBKDF2-HMAC-SHA512
(`hashlib.pbkdf2_hmac`, no hand-written cryptography) with a 12-byte random salt and a 64-byte
key, exactly what `mosquitto_passwd` writes; Mosquitto reads the iteration count from the entry.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import secrets
from collections.abc import Mapping
from pathlib import Path

from ioc.errors import ConfigError
from ioc.feeds import FEEDS, SOURCE_ID_RE, TOPIC_ROOT
from ioc.sources import Source

PBKDF2_ITERATIONS = 10_000
SALT_BYTES = 12
PASSWORD_BYTES = 24
PASSWD_NAME = "passwd"
ACL_NAME = "acl"
DYNSEC_NAME = "dynamic-security.json"
# Users of the deployment itself (docker-compose.yml); device ids must not collide with them.
COLLECTOR_USERS = ("collector-1", "collector-2")
SIMULATOR_USER = "simulator"
HEALTHCHECK_USER = "healthcheck"  # the compose healthcheck: may connect, no topics
SERVICE_USERS = (*COLLECTOR_USERS, SIMULATOR_USER, HEALTHCHECK_USER)
DEVICE_MARK = "# device "  # start.sh reads these lines to log the simulated devices in


class DeviceError(ValueError):
    """A device cannot be added or revoked (unknown source, service user name…)."""


def hash_password(password: str, *, iterations: int = PBKDF2_ITERATIONS) -> str:
    salt = os.urandom(SALT_BYTES)
    key = hashlib.pbkdf2_hmac("sha512", password.encode("utf-8"), salt, iterations)
    return f"$7${iterations}${base64.b64encode(salt).decode()}${base64.b64encode(key).decode()}"


def check_password(password: str, entry: str) -> bool:
    """Whether `password` matches a `$7$` entry (used by the tests and `ioc devices`)."""
    try:
        _, kind, iterations, salt, key = entry.split("$")
        if kind != "7":
            return False
        derived = hashlib.pbkdf2_hmac(
            "sha512", password.encode("utf-8"), base64.b64decode(salt), int(iterations)
        )
    except ValueError:
        return False
    return hmac.compare_digest(derived, base64.b64decode(key))


def read_passwd(path: Path) -> dict[str, str]:
    """user -> hash entry, in file order (comment and blank lines are dropped, as Mosquitto's
    own `mosquitto_passwd` does)."""
    entries: dict[str, str] = {}
    if not path.exists():
        return entries
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        text = line.strip()
        if not text or text.startswith("#"):
            continue
        user, sep, entry = text.partition(":")
        if not sep or not user:
            raise ConfigError("passwd", str(path), f"line {number} is not user:hash")
        entries[user] = entry
    return entries


def write_passwd(path: Path, entries: Mapping[str, str]) -> None:
    """Replace the file atomically, readable by its owner only."""
    text = "".join(f"{user}:{entry}\n" for user, entry in entries.items())
    _replace(path, text, mode=0o600)


def device_topics(source: Source) -> tuple[str, str]:
    """The two topics a device may publish: its readings and its status (Last Will)."""
    spec = FEEDS.get(source.feed)
    if spec is None or not spec.has_district:
        raise DeviceError(f"source {source.source_id!r} has feed {source.feed!r}, not a data feed")
    return (
        f"{TOPIC_ROOT}/{source.feed}/{source.district}/{source.source_id}",
        f"{TOPIC_ROOT}/status/{source.source_id}",
    )


def grants(sources: Mapping[str, Source]) -> dict[str, list[tuple[str, str]]]:
    """user -> [(read|write, topic filter)]: the service users, then one entry per source."""
    users: dict[str, list[tuple[str, str]]] = {}
    for user in COLLECTOR_USERS:
        users[user] = [("read", f"{TOPIC_ROOT}/#"), ("write", f"{TOPIC_ROOT}/deadletter/#")]
    users[SIMULATOR_USER] = [
        ("write", spec.topic_filter) for spec in FEEDS.values() if spec.has_district
    ]
    for source_id in sorted(sources):
        _check_device_id(source_id)
        data, status = device_topics(sources[source_id])
        users[source_id] = [("write", data), ("write", status)]
    return users


def render_acl(sources: Mapping[str, Source]) -> str:
    users = grants(sources)
    lines = [
        "# Who may publish and read where (acl_file syntax, checked against 2.0.11).",
        "# GENERATED by `ioc devices acl` from the source catalogue: do not edit by hand.",
        "#",
        "# The broker enforces the same rules from dynamic-security.json (written with this",
        "# file): its plugin also refuses SUBSCRIBEs, which acl_file cannot (see ioc.mqttauth).",
        "# Anything not granted is denied: a denied publish is dropped by the broker (MQTT 5",
        '# devices get "Not authorized" in the PUBACK), a denied subscription refused in the',
        "# SUBACK. use_username_as_clientid (production.conf) ties each client id to its user,",
        "# so no one can take over another's session.",
        "# Wire contract: ioc/<feed>/<district>/<source_id> and ioc/status/<source_id>.",
        "",
        "# The collectors, one user per replica: read every feed (also through",
        "# $share/<group>/ioc/<feed>/#) and publish dead letters.",
    ]
    for user in COLLECTOR_USERS:
        lines += [f"user {user}", *(f"topic {a} {t}" for a, t in users[user]), ""]
    lines += [
        "# The simulator's data connection (compose profile `simulator`) plays every desk and",
        "# device; each simulated device's status connection logs in as that device.",
        f"user {SIMULATOR_USER}",
        *(f"topic {a} {t}" for a, t in users[SIMULATOR_USER]),
        "",
        "# Devices and desks: user = source id; only their own feed, district and status.",
    ]
    for source_id in sorted(sources):
        lines += [f"{DEVICE_MARK}{source_id}", f"user {source_id}"]
        lines += [*(f"topic {a} {t}" for a, t in users[source_id]), ""]
    return "\n".join(lines)


def dynsec_acls(access: str, topic: str) -> list[dict[str, object]]:
    """One acl_file rule as dynamic-security ACL entries. `read` is subscribing (plainly or in
    any `$share` group) and receiving; `write` is publishing."""
    if access == "write":
        return [{"acltype": "publishClientSend", "topic": topic, "allow": True}]
    return [
        {"acltype": "subscribePattern", "topic": topic, "allow": True},
        {"acltype": "subscribePattern", "topic": f"$share/+/{topic}", "allow": True},
        {"acltype": "publishClientReceive", "topic": topic, "allow": True},
    ]


def render_dynsec(
    sources: Mapping[str, Source], extra: Mapping[str, list[tuple[str, str]]] = {}
) -> str:
    """dynamic-security.json: one client (no password: the password file authenticates) and one
    role of the same name per user; everything else denied (users without an entry, such as
    `healthcheck`, may connect and do nothing). `extra` adds users (the tests' auditor)."""
    users = {**grants(sources), **extra}
    document = {
        "defaultACLAccess": {
            "publishClientSend": False,
            "publishClientReceive": False,
            "subscribe": False,
            "unsubscribe": True,
        },
        "clients": [{"username": u, "roles": [{"rolename": u}]} for u in users],
        "roles": [
            {"rolename": u, "acls": [acl for a, t in rules for acl in dynsec_acls(a, t)]}
            for u, rules in users.items()
        ],
    }
    return json.dumps(document, indent=1) + "\n"


def write_acl(deploy_dir: Path, sources: Mapping[str, Source]) -> Path:
    """Write `acl` and `dynamic-security.json` (the same rules); returns the acl's path."""
    path = deploy_dir / ACL_NAME
    _replace(path, render_acl(sources), mode=0o644)
    _replace(deploy_dir / DYNSEC_NAME, render_dynsec(sources), mode=0o644)
    return path


def add_device(deploy_dir: Path, sources: Mapping[str, Source], source_id: str) -> str:
    """Give a catalogued source a new generated password (replacing any old one) and regenerate
    the ACL; returns the password (shown once, never stored in clear)."""
    if source_id not in sources:
        raise DeviceError(
            f"source {source_id!r} is not in the source catalogue: add its entry (feed, district)"
            " to IOC_SOURCES_FILE first"
        )
    _check_device_id(source_id)
    password = secrets.token_urlsafe(PASSWORD_BYTES)
    path = deploy_dir / PASSWD_NAME
    entries = read_passwd(path)
    entries[source_id] = hash_password(password)
    write_acl(deploy_dir, sources)
    write_passwd(path, entries)
    return password


def revoke_device(deploy_dir: Path, sources: Mapping[str, Source], source_id: str) -> bool:
    """Remove a device's password (it can no longer connect); False if it had none."""
    path = deploy_dir / PASSWD_NAME
    entries = read_passwd(path)
    found = entries.pop(source_id, None) is not None
    write_passwd(path, entries)
    write_acl(deploy_dir, sources)
    return found


def _check_device_id(source_id: str) -> None:
    if source_id in SERVICE_USERS:
        raise DeviceError(f"{source_id!r} is a service user of the deployment, not a device")
    if not SOURCE_ID_RE.fullmatch(source_id):
        raise DeviceError(f"source id {source_id!r} does not match {SOURCE_ID_RE.pattern}")


def _replace(path: Path, text: str, *, mode: int) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.chmod(mode)
    tmp.replace(path)
