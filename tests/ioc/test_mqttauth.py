"""`ioc devices add/revoke/acl`: Mosquitto's password file and the ACL written from Python, read
by the real Mosquitto (deploy/mosquitto/start.sh's config) — no mosquitto_passwd involved."""

from __future__ import annotations

import json
import shutil

import pytest
from typer.testing import CliRunner

from ioc import cli
from ioc.devservices import Mosquitto
from ioc.mqttauth import (
    DeviceError,
    add_device,
    check_password,
    hash_password,
    read_passwd,
    render_acl,
    render_dynsec,
)
from ioc.sources import load_sources
from tests.broker import DEPLOY, DEVICE_A, DEVICE_B, Client, run_start_sh

runner = CliRunner()
APP = cli.build()


def test_hash_is_mosquittos_pbkdf2_sha512_format():
    entry = hash_password("s3cret")
    _, kind, iterations, _salt, _key = entry.split("$")
    assert (kind, iterations) == ("7", "10000")
    assert check_password("s3cret", entry) and not check_password("other", entry)
    assert hash_password("s3cret") != entry  # a fresh salt each time


def test_add_refuses_unknown_sources_and_service_users(tmp_path):
    sources = load_sources()
    with pytest.raises(DeviceError, match="not in the source catalogue"):
        add_device(tmp_path, sources, "cb-air-999")
    with pytest.raises(DeviceError, match="service user"):
        add_device(tmp_path, {**sources, "collector-1": sources[DEVICE_A[0]]}, "collector-1")
    assert not (tmp_path / "passwd").exists()


def test_devices_add_and_revoke_on_the_real_broker(tmp_path):
    deploy = tmp_path / "deploy"
    shutil.copytree(DEPLOY, deploy)
    (deploy / "acl").unlink()  # `add` regenerates it from the catalogue
    name, feed, district = DEVICE_A
    passwords = {}
    for source_id in (name, DEVICE_B[0]):
        done = runner.invoke(APP, ["devices", "add", source_id, "--deploy-dir", str(deploy)])
        assert done.exit_code == 0, done.output
        passwords[source_id] = done.stdout.strip().splitlines()[-1]
    entries = read_passwd(deploy / "passwd")
    assert set(entries) == {name, DEVICE_B[0]}
    assert check_password(passwords[name], entries[name])
    assert (deploy / "acl").read_text(encoding="utf-8") == render_acl(load_sources())
    assert oct((deploy / "passwd").stat().st_mode & 0o777) == "0o600"

    config = run_start_sh(deploy, tmp_path / "run")
    with Mosquitto(tmp_path / "broker", conf=config) as broker:
        device = Client(broker.port, name, passwords[name])
        try:
            assert device.connack == "Success"
            # Accepted (nobody subscribed here); refused ones say "Not authorized".
            accepted = "No matching subscribers"
            assert device.publish(f"ioc/{feed}/{district}/{name}", b"{}") == accepted
            assert device.publish(f"ioc/status/{name}", b"online") == accepted
            other, other_feed, other_district = DEVICE_B
            assert device.publish(f"ioc/status/{other}", b"offline") == "Not authorized"
            topic = f"ioc/{other_feed}/{other_district}/{other}"
            assert device.publish(topic, b"{}") == "Not authorized"
            assert Client(broker.port, name, passwords[other]).connack == "Not authorized"
        finally:
            device.close()

        done = runner.invoke(APP, ["devices", "revoke", name, "--deploy-dir", str(deploy)])
        assert done.exit_code == 0, done.output
        assert set(read_passwd(deploy / "passwd")) == {DEVICE_B[0]}
        run_start_sh(deploy, tmp_path / "run")
        broker.restart()
        assert Client(broker.port, name, passwords[name]).connack == "Not authorized"
        still = Client(broker.port, DEVICE_B[0], passwords[DEVICE_B[0]])
        assert still.connack == "Success"
        still.close()
        again = runner.invoke(APP, ["devices", "revoke", name, "--deploy-dir", str(deploy)])
        assert again.exit_code == 1


def test_the_dynamic_security_rules_are_the_acl_rules_and_devices_may_not_subscribe():
    document = json.loads(render_dynsec(load_sources()))
    assert document["defaultACLAccess"] == {
        "publishClientSend": False,
        "publishClientReceive": False,
        "subscribe": False,
        "unsubscribe": True,
    }
    roles = {
        r["rolename"]: {(a["acltype"], a["topic"]) for a in r["acls"]} for r in document["roles"]
    }
    assert {c["username"]: [r["rolename"] for r in c["roles"]] for c in document["clients"]} == {
        user: [user] for user in roles
    }
    assert all("password" not in c for c in document["clients"])  # the password file's job
    assert roles["collector-1"] == {
        ("subscribePattern", "ioc/#"),
        ("subscribePattern", "$share/+/ioc/#"),
        ("publishClientReceive", "ioc/#"),
        ("publishClientSend", "ioc/deadletter/#"),
    }
    assert roles["air-nuoc-hai"] == {
        ("publishClientSend", "ioc/sensor/hoa-an/air-nuoc-hai"),
        ("publishClientSend", "ioc/status/air-nuoc-hai"),
    }
    assert "healthcheck" not in roles  # may connect, nothing else
