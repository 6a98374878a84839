"""The production deployment — docker-compose.yml, the Dockerfile, the broker's password file and
ACL — checked as far as a machine without a Docker engine allows.

- `docker-compose config` (Debian's docker-compose 1.29: it validates and resolves a Compose file
  with no engine) reads the file with a `.env` made from `.env.example`, as `docker compose up`
  would: every IOC_* variable is a setting, every command an `ioc` command with valid options,
  the topology (two collectors, one share group, one KPI engine) is what DESIGN.md asks.
- The Dockerfile's build context is turned into the wheel the image installs.
- deploy/mosquitto/start.sh makes the broker config the mosquitto service runs (the repository's
  mosquitto.conf + password file + ACL); the real Mosquitto runs it here, and devices, the
  collectors and the simulator are tried against it.
- gunicorn serves `dashboards.wsgi:server` with the service's command and environment.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import urllib.request
import zipfile
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from fnmatch import fnmatch
from pathlib import Path
from urllib.parse import urlsplit

import orjson
import pytest
import typer.main
import yaml

from collectors.collector import Collector, topic_filters
from ioc import cli
from ioc.auth import Auth
from ioc.devservices import free_port, wait_until
from ioc.feeds import FEEDS
from ioc.live.redis import RedisLiveState
from ioc.mqttauth import DYNSEC_NAME, render_acl, render_dynsec
from ioc.settings import ENV_PREFIX, Settings, load_settings
from ioc.sources import load_sources
from ioc.storage.base import TimeRange
from ioc.storage.influx import InfluxStorage
from simulators.publisher import SimConfig, run_simulation
from tests.broker import (
    AUDITOR,
    COLLECTOR_PASSWORD,
    DEVICE_A,
    DEVICE_B,
    SIMULATOR_PASSWORD,
    Client,
    DeployBroker,
    deploy_broker,
)
from tests.helpers import settings_from_env
from tests.test_env_example import ENV_EXAMPLE, NOT_SETTINGS, ROOT, env_example

COMPOSE_FILE = ROOT / "docker-compose.yml"
DOCKERFILE = ROOT / "Dockerfile"
DEPLOY = ROOT / "deploy" / "mosquitto"
PROJECT_FILES = ("docker-compose.yml", "Dockerfile", ".dockerignore", "mosquitto.conf", "deploy")
IMAGE = "cao-bang-ioc"
SERVICES = {
    "mosquitto",
    "influxdb",
    "redis",
    "collector-1",
    "collector-2",
    "engine",
    "dashboard",
    "simulator",
    "certs",
    "proxy",
}
# Secrets .env.example leaves empty; the test's own values (passwords end up in URLs: hex only).
SECRETS = {
    "IOC_INFLUX_TOKEN": "test-token-0123456789abcdef",
    "INFLUXDB_ADMIN_PASSWORD": "admin-password-1",
    "MQTT_COLLECTOR_PASSWORD": "c011ec70cafe",
    "MQTT_SIMULATOR_PASSWORD": "51a1a7e0beef",
    "IOC_DASHBOARD_SECRET_KEY": "dashboard-secret-key",
}
REQUIRED_SECRETS = set(SECRETS) - {"MQTT_SIMULATOR_PASSWORD"}
# Settings fixed by the topology in docker-compose.yml, not passed through from .env.
TOPOLOGY = {
    "IOC_MQTT_URL",
    "IOC_MQTT_CLIENT_ID",
    "IOC_MQTT_SHARE_GROUP",
    "IOC_INFLUX_URL",
    "IOC_REDIS_URL",
    "IOC_METRICS_PORT",
    "IOC_METRICS_HOST",
    "IOC_AUTH_DB",  # the dashboard's store, in its volume
    "IOC_DASHBOARD_PROXIES",  # the dashboard is behind the HTTPS proxy
}


# -- docker-compose config ------------------------------------------------------------------------


def docker_compose() -> str:
    path = shutil.which("docker-compose")
    assert path, "docker-compose is missing: scripts/setup.sh --services installs it"
    return path


def make_project(where: Path, env: dict[str, str]) -> Path:
    """A copy of what `docker compose` reads, with `.env` = .env.example updated by `env`."""
    for name in PROJECT_FILES:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, where / name)
        else:
            shutil.copy2(source, where / name)
    lines = ENV_EXAMPLE.read_text(encoding="utf-8").splitlines()
    for key, value in env.items():
        index = next(i for i, line in enumerate(lines) if line.startswith(f"{key}="))
        lines[index] = f"{key}={value}"
    (where / ".env").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return where


def compose(project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """`docker-compose ARGS` in `project`; interpolation sees its .env only (not our IOC_*)."""
    env = {"PATH": os.environ["PATH"], "HOME": str(project), "LANG": "C.UTF-8"}
    return subprocess.run(
        [docker_compose(), "--project-directory", str(project), *args],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def resolved(project: Path, *args: str) -> dict:
    done = compose(project, "config", *args)
    assert done.returncode == 0, done.stderr
    return yaml.safe_load(done.stdout)


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_project(tmp_path_factory.mktemp("compose"), SECRETS)


@pytest.fixture(scope="module")
def services(project: Path) -> dict[str, dict]:
    return resolved(project)["services"]


def ioc_services(services: dict[str, dict]) -> dict[str, dict]:
    return {name: s for name, s in services.items() if s["image"].startswith(IMAGE + ":")}


def settings_of(service: dict) -> Settings:
    env = {k: v for k, v in service["environment"].items() if k not in NOT_SETTINGS}
    return settings_from_env(env)


def test_the_compose_file_is_valid_and_has_the_services(project, services):
    assert set(services) == SERVICES
    assert compose(project, "config", "--quiet").returncode == 0
    assert compose(project, "config", "--profiles").stdout.split() == ["simulator"]


@pytest.mark.parametrize("missing", sorted(REQUIRED_SECRETS))
def test_compose_refuses_to_run_without_each_secret(tmp_path, missing):
    env = {**SECRETS, missing: ""}
    done = compose(make_project(tmp_path, env), "config", "--quiet")
    assert done.returncode != 0
    assert f"set {missing} in .env" in done.stderr


def test_env_example_ships_no_secret():
    values = env_example()
    assert {key: values[key] for key in SECRETS} == dict.fromkeys(SECRETS, "")


def test_every_ioc_variable_is_a_setting_and_every_ioc_process_gets_them_all(services):
    names = {ENV_PREFIX + name.upper() for name in Settings.model_fields}
    for name, service in services.items():
        given = {key for key in service.get("environment", {}) if key.startswith(ENV_PREFIX)}
        assert given - names - set(NOT_SETTINGS) == set(), name
    for name, service in ioc_services(services).items():
        assert names - set(service["environment"]) == set(), name
        settings_of(service)  # every value is valid: load_settings raises ConfigError otherwise


def test_passed_through_settings_keep_their_names_and_the_settings_defaults():
    """Uninterpolated, every non-topology setting reads `${SAME_NAME:-<the setting's default>}`
    (or requires the value with `:?`). (The file as YAML: its anchors merged, nothing resolved.)"""
    raw = yaml.safe_load(COMPOSE_FILE.read_text(encoding="utf-8"))["services"]
    reference = re.compile(r"\$\{(?P<name>\w+)(?::-(?P<default>[^}]*)|:\?[^}]*)\}")
    for name, service in ioc_services(raw).items():
        for key, value in service["environment"].items():
            if key in TOPOLOGY or key in NOT_SETTINGS:
                continue
            match = reference.fullmatch(str(value))
            assert match and match["name"] == key, f"{name}: {key}={value!r}"
            if match["default"] is not None:
                field = key.removeprefix(ENV_PREFIX).lower()
                loaded = getattr(load_settings(**{field: match["default"]}), field)
                assert loaded == Settings.model_fields[field].default, f"{name}: {key}"


def test_compose_variables_and_env_example_match():
    used = set(re.findall(r"\$\{(\w+)", COMPOSE_FILE.read_text(encoding="utf-8")))
    listed = set(env_example())
    assert used - listed == set(), "used by docker-compose.yml, missing from .env.example"
    not_settings = {key for key in listed if not key.startswith(ENV_PREFIX)}
    assert not_settings - used == set(), "in .env.example, used by nothing"


def run_ioc(args: list[str]):
    """Parse `ioc ARGS` with the real command tree (options checked, nothing run); its context.

    (Typer vendors its own click: the objects are used through their methods only.)"""
    command = typer.main.get_command(cli.build())
    context = command.context_class(command, info_name="ioc")
    while hasattr(command, "get_command"):  # a group
        assert args, "no subcommand"
        name, args = args[0], args[1:]
        sub = command.get_command(context, name)
        assert sub is not None, f"`ioc {name}` does not exist"
        if hasattr(sub, "get_command"):  # options of a group precede its subcommand
            context = sub.context_class(sub, info_name=name, parent=context)
        else:
            context = sub.make_context(name, list(args), parent=context)
        command = sub
    return context


def test_every_command_is_an_ioc_command_with_valid_options(services):
    commands = {}
    for name, service in ioc_services(services).items():
        if service.get("entrypoint"):
            continue
        commands[name] = run_ioc(service["command"])
    assert {name: ctx.info_name for name, ctx in commands.items()} == {
        "collector-1": "collect",
        "collector-2": "collect",
        "engine": "engine",
        "simulator": "simulate",
        "certs": "certs",
    }
    assert commands["simulator"].params["scenario"] == "normal"
    with pytest.raises(Exception, match="No such option"):
        run_ioc(["simulate", "--no-such-option"])
    with pytest.raises(AssertionError, match="does not exist"):
        run_ioc(["serve"])


def test_two_collectors_share_one_group_with_their_own_sessions_as_plain_replicas(services):
    collectors = {name: s for name, s in services.items() if s.get("command") == ["collect"]}
    assert set(collectors) == {"collector-1", "collector-2"}
    settings = {name: settings_of(s) for name, s in collectors.items()}
    assert {s.mqtt_share_group for s in settings.values()} == {"collectors"}
    client_ids = [s.mqtt_client_id for s in settings.values()]
    assert len(set(client_ids)) == 2 and "" not in client_ids
    # Plain replicas: the same service but for their broker login (user = client id).
    one, two = (dict(collectors[n]) for n in ("collector-1", "collector-2"))
    for service in (one, two):
        service["environment"] = {
            k: v
            for k, v in service["environment"].items()
            if k not in ("IOC_MQTT_URL", "IOC_MQTT_CLIENT_ID")
        }
    assert one == two
    assert "volumes" not in one  # nothing of their own to keep: the engine has the outbox
    assert topic_filters("collectors")[0].startswith("$share/collectors/ioc/")
    broker_password = services["mosquitto"]["environment"]["MQTT_COLLECTOR_PASSWORD"]
    for name, s in settings.items():
        assert (s.mqtt.host, s.mqtt.port) == ("mosquitto", 1883), name
        # Each replica its own broker user, and the client id is that user (the broker forces it).
        assert (s.mqtt.username, s.mqtt.password) == (name, broker_password), name
        assert s.mqtt_client_id == name
        needs = collectors[name]["depends_on"]
        assert needs == dict.fromkeys(("mosquitto", "influxdb", "redis"), needs["mosquitto"])
        assert needs["mosquitto"] == {"condition": "service_healthy"}
        assert collectors[name]["stop_grace_period"]
    for dependency in ("mosquitto", "influxdb", "redis"):
        assert services[dependency]["healthcheck"]["test"], dependency


def test_exactly_one_kpi_engine_runs_as_its_own_service(services):
    engines = {name: s for name, s in services.items() if s.get("command") == ["engine"]}
    assert list(engines) == ["engine"]
    engine = engines["engine"]
    assert engine.get("deploy", {}).get("replicas", 1) == 1 and "scale" not in engine
    settings = settings_of(engine)
    assert settings.redis_url == "redis://redis:6379/0"  # the collectors' stored-batch stream
    assert settings.metrics_port == 9100 and "9100/readyz" in str(engine["healthcheck"]["test"])
    assert set(engine["depends_on"]) == {"influxdb", "redis"}  # no broker: it reads no MQTT
    assert engine["stop_grace_period"]
    assert ("ioc-data", "/home/ioc/.local/share/ioc") in mounts(engine)  # the outbox


def mounts(service: dict) -> set[tuple[str, str]]:
    """(source, target) of a service's volumes, short or long syntax."""
    out = set()
    for volume in service.get("volumes", []):
        if isinstance(volume, dict):
            out.add((volume["source"], volume["target"]))
        else:
            source, target, *_ = str(volume).split(":")
            out.add((source, target))
    return out


def test_influxdb_redis_and_broker_are_the_ones_the_processes_use(services):
    influx_env = services["influxdb"]["environment"]
    assert services["influxdb"]["image"] == "influxdb:2.7"
    assert services["redis"]["image"] == "redis:7"
    assert influx_env["DOCKER_INFLUXDB_INIT_MODE"] == "setup"
    for name, service in ioc_services(services).items():
        s = settings_of(service)
        assert urlsplit(s.influx_url).hostname == "influxdb", name
        assert urlsplit(s.redis_url).hostname == "redis", name
        assert s.mqtt.host == "mosquitto", name
        assert influx_env["DOCKER_INFLUXDB_INIT_ORG"] == s.influx_org, name
        assert influx_env["DOCKER_INFLUXDB_INIT_BUCKET"] == s.influx_bucket, name
        assert influx_env["DOCKER_INFLUXDB_INIT_ADMIN_TOKEN"] == s.influx_token.get_secret_value()


def start_sh_default(variable: str) -> str:
    text = (DEPLOY / "start.sh").read_text(encoding="utf-8")
    match = re.search(r"\$\{" + variable + r":-([^}]+)\}", text)
    assert match, variable
    return match[1]


def test_mosquitto_runs_the_repository_conf_plus_password_file_and_acl(project, services):
    broker = services["mosquitto"]
    assert broker["image"] == "eclipse-mosquitto:2"
    mounts = {}
    for volume in broker["volumes"]:
        source, target, *mode = volume.split(":")
        mounts[source] = (target, mode)
    assert mounts[str(project / "mosquitto.conf")] == (
        start_sh_default("MOSQUITTO_BASE_CONF"),
        ["ro"],
    )
    deploy_dir = start_sh_default("MOSQUITTO_DEPLOY_DIR")
    assert mounts[str(project / "deploy" / "mosquitto")] == (deploy_dir, ["ro"])
    assert broker["command"] == ["sh", f"{deploy_dir}/start.sh"]
    shipped = {"acl", "dynamic-security.json", "passwd", "production.conf", "start.sh"}
    assert shipped <= {p.name for p in DEPLOY.iterdir()}
    # Operators add devices with mosquitto_passwd, which drops comment lines: ship it empty.
    assert (DEPLOY / "passwd").read_text() == ""


def test_the_simulator_is_behind_a_profile_and_nothing_else_is(services):
    assert {name: s.get("profiles") for name, s in services.items() if s.get("profiles")} == {
        "simulator": ["simulator"]
    }
    simulator = settings_of(services["simulator"])
    assert simulator.mqtt.username == "simulator"
    assert (
        simulator.mqtt.password == services["mosquitto"]["environment"]["MQTT_SIMULATOR_PASSWORD"]
    )


def gunicorn_options(command: list[str]):
    from gunicorn.config import Config

    return Config().parser().parse_args(command)


def test_the_dashboard_runs_under_gunicorn_with_several_workers_and_a_shared_key(services):
    dashboard = services["dashboard"]
    assert dashboard["entrypoint"] == ["gunicorn"]
    options = gunicorn_options(dashboard["command"])
    assert options.args == ["dashboards.wsgi:server"]
    assert options.workers >= 2
    assert options.bind == ["0.0.0.0:8050"]
    assert (
        dashboard["environment"]["IOC_DASHBOARD_SECRET_KEY"] == SECRETS["IOC_DASHBOARD_SECRET_KEY"]
    )
    # gunicorn answers the host only; people come in through the HTTPS proxy
    assert dashboard["ports"] == ["127.0.0.1:8050:8050/tcp"]
    assert dashboard["environment"]["IOC_DASHBOARD_PROXIES"] == "1"
    assert dashboard["volumes"][0].startswith("dashboard-data:/var/lib/ioc")
    assert settings_of(dashboard).auth_db == "/var/lib/ioc/auth.sqlite"


def test_https_proxy_in_front_of_the_dashboard_and_a_tls_listener_for_devices(project, services):
    proxy, certs, broker = services["proxy"], services["certs"], services["mosquitto"]
    assert proxy["image"] == "caddy:2"
    assert {p["target"] for p in proxy["ports"]} == {443, 80}
    caddyfile = (ROOT / "deploy" / "proxy" / "Caddyfile").read_text(encoding="utf-8")
    assert "reverse_proxy dashboard:8050" in caddyfile
    assert "tls /certs/dashboard.crt /certs/dashboard.key" in caddyfile
    assert "redir https://" in caddyfile
    assert run_ioc(certs["command"]).params["folder"] == "/certs"
    for service in (proxy, broker):
        assert service["depends_on"]["certs"] == {"condition": "service_completed_successfully"}
    assert any(v.endswith(":/etc/ioc/tls:ro") for v in broker["volumes"])
    assert broker["ports"] == ["127.0.0.1:1883:1883/tcp", {"published": 8883, "target": 8883}]
    start = (DEPLOY / "start.sh").read_text(encoding="utf-8")
    assert "listener 8883" in start  # run for real in tests/test_tls.py


@pytest.mark.services
def test_gunicorn_serves_the_dashboard_with_the_service_command(
    services, redis_url, influxdb, tmp_path
):
    """The service's command and environment, with the addresses pointed at our services (and
    the auth store at a temporary file, with an API token for the snapshot)."""
    dashboard = services["dashboard"]
    port = free_port()
    command = [
        f"--bind=127.0.0.1:{port}" if arg.startswith("--bind") else arg
        for arg in dashboard["command"]
        if not arg.startswith("--workers")
    ]
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(ENV_PREFIX)},
        **dashboard["environment"],
        "IOC_REDIS_URL": redis_url,
        "IOC_INFLUX_URL": influxdb.url,
        "IOC_AUTH_DB": str(tmp_path / "auth.sqlite"),
    }
    token = Auth.open(load_settings(auth_db=env["IOC_AUTH_DB"])).tokens.add("test", by="test")
    gunicorn = Path(sys.executable).with_name("gunicorn")
    process = subprocess.Popen(
        [str(gunicorn), "--workers=2", *command],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:

        def get(path: str) -> tuple[int, bytes]:
            request = urllib.request.Request(
                f"http://127.0.0.1:{port}{path}", headers={"Authorization": f"Bearer {token}"}
            )
            with urllib.request.urlopen(request, timeout=10) as answer:
                return answer.status, answer.read()

        status, _ = wait_until(
            lambda: get("/"), timeout=60, interval=0.25, ignore=(OSError,), message="no dashboard"
        )
        assert status == 200
        status, body = get("/api/v1/snapshot")
        assert status == 200 and orjson.loads(body)["live"]["connected"] is True
    finally:
        process.terminate()
        _, log = process.communicate(timeout=30)
    assert process.returncode == 0, log
    assert log.count("Booting worker") == 2, log


# -- Dockerfile -----------------------------------------------------------------------------------


def dockerfile_stages() -> list[list[tuple[str, str]]]:
    """Instructions (KEYWORD, arguments) per stage; the ARGs before the first FROM are stage 0."""
    stages: list[list[tuple[str, str]]] = [[]]
    text = DOCKERFILE.read_text(encoding="utf-8").replace("\\\n", " ")
    for line in text.splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            keyword, _, rest = line.strip().partition(" ")
            if keyword.upper() == "FROM":
                stages.append([])
            stages[-1].append((keyword.upper(), rest.strip()))
    return stages


def test_the_image_is_python_slim_runs_as_a_user_and_has_ioc_as_entrypoint():
    preamble, build, final = dockerfile_stages()
    assert ("ARG", "PYTHON_VERSION=3.11") in preamble
    for stage in (build, final):
        assert stage[0][1].split()[0] == "python:${PYTHON_VERSION}-slim"
    users = [args for keyword, args in final if keyword == "USER"]
    assert users and users[-1] not in ("root", "0")
    assert ("ENTRYPOINT", '["ioc"]') in final
    installs = [args for keyword, args in final if keyword == "RUN" and "pip install" in args]
    assert installs and all("--no-index" in args for args in installs)


def dockerignored(path: str, patterns: list[str]) -> bool:
    for pattern in patterns:
        bare = pattern.removeprefix("**/")
        if fnmatch(path, pattern) or any(fnmatch(part, bare) for part in path.split("/")):
            return True
    return False


def test_the_build_context_makes_a_wheel_with_every_file_of_the_packages(tmp_path):
    _, build, _ = dockerfile_stages()
    ignore = [
        line.strip()
        for line in (ROOT / ".dockerignore").read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    ]
    assert {".env", ".git", ".venv", "tests"} <= set(ignore)
    sources = [args.split()[:-1] for keyword, args in build if keyword == "COPY"]
    context = tmp_path / "context"
    packaged: set[str] = set()
    for source in (s for group in sources for s in group):
        assert not dockerignored(source, ignore), source
        path = ROOT / source
        files = [path] if path.is_file() else sorted(p for p in path.rglob("*") if p.is_file())
        for file in files:
            relative = file.relative_to(ROOT).as_posix()
            if dockerignored(relative, ignore):
                continue
            (context / relative).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(file, context / relative)
            if path.is_dir():
                packaged.add(relative)
    assert {"pyproject.toml", "README.md"} <= {p.name for p in context.iterdir()}
    done = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path), "."],
        cwd=context,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    (wheel,) = tmp_path.glob("*.whl")
    with zipfile.ZipFile(wheel) as archive:
        in_wheel = set(archive.namelist())
        (points,) = [n for n in in_wheel if n.endswith(".dist-info/entry_points.txt")]
        entry_points = archive.read(points).decode()
    assert packaged - in_wheel == set(), "files the image would not have"
    # the image's `ioc` has every package's commands and demo parts (ioc/cli.py, ioc/demo.py)
    for group in ("ioc.commands", "ioc.demo"):
        assert f"[{group}]" in entry_points, entry_points
    assert "collectors = collectors.commands:register" in entry_points


# -- the broker's ACL, read -----------------------------------------------------------------------


def acl_rules() -> list[tuple[str | None, str, str]]:
    """(user, access, topic) per rule; user None for `pattern` rules (every user)."""
    rules: list[tuple[str | None, str, str]] = []
    user: str | None = None
    for line in (DEPLOY / "acl").read_text(encoding="utf-8").splitlines():
        words = line.split()
        if not words or words[0].startswith("#"):
            continue
        if words[0] == "user":
            user = words[1]
        elif words[0] in ("topic", "pattern"):
            access, topic = (words[1], words[2]) if len(words) == 3 else ("readwrite", words[1])
            assert words[0] == "pattern" or user is not None, "a rule for anonymous clients"
            rules.append((user if words[0] == "topic" else None, access, topic))
        else:
            raise AssertionError(f"unexpected ACL line {line!r}")
    return rules


def test_the_acl_is_the_one_generated_from_the_source_catalogue():
    assert (DEPLOY / "acl").read_text(encoding="utf-8") == render_acl(load_sources())
    dynsec = (DEPLOY / DYNSEC_NAME).read_text(encoding="utf-8")
    assert dynsec == render_dynsec(load_sources())


def test_the_acl_lets_each_device_publish_only_its_own_feed_district_and_status():
    rules = acl_rules()
    assert not [r for r in rules if r[0] is None], "pattern rules apply to every user"
    by_user: dict[str, set[tuple[str, str]]] = {}
    for user, access, topic in rules:
        assert user is not None
        by_user.setdefault(user, set()).add((access, topic))
    for user in ("collector-1", "collector-2"):
        assert by_user.pop(user) == {("read", "ioc/#"), ("write", "ioc/deadletter/#")}
    assert by_user.pop("simulator") == {
        ("write", f"ioc/{feed}/#") for feed in FEEDS if FEEDS[feed].has_district
    }
    sources = load_sources()
    assert set(by_user) == set(sources)
    for user, granted in by_user.items():
        source = sources[user]
        assert granted == {
            ("write", f"ioc/{source.feed}/{source.district}/{user}"),
            ("write", f"ioc/status/{user}"),
        }, user


# -- the broker's config, run ---------------------------------------------------------------------


@pytest.fixture
def deploy(tmp_path: Path) -> Iterator[DeployBroker]:
    """The real broker with the config deploy/mosquitto/start.sh makes, as in the container,
    with DEVICE_A and DEVICE_B added by `ioc devices add` (tests/broker.py)."""
    with deploy_broker(tmp_path) as broker:
        text = broker.config.read_text(encoding="utf-8")
        assert text.startswith((ROOT / "mosquitto.conf").read_text(encoding="utf-8"))
        assert f"password_file {tmp_path}/run/passwd" in text
        assert not re.search(
            r"^acl_file", text, re.M
        )  # the plugin enforces the rules (it refuses SUBSCRIBEs)
        assert re.search(r"^plugin \S+/mosquitto_dynamic_security\.so$", text, re.M)
        assert f"plugin_opt_config_file {tmp_path}/run/dynamic-security.json" in text
        assert "use_username_as_clientid true" in text
        yield broker


def test_anonymous_clients_and_wrong_passwords_are_refused(deploy):
    for user, password in ((None, None), ("collector-1", "wrong"), (DEVICE_A[0], "wrong")):
        client = Client(deploy.port, user, password)
        try:
            assert client.connack == "Not authorized", user
        finally:
            client.close()


def test_a_device_publishes_only_its_own_topics_and_collectors_read_them_shared(deploy):
    port = deploy.port
    auditor = Client(port, *AUDITOR)
    collector = Client(port, "collector-1", COLLECTOR_PASSWORD)
    device = deploy.device(DEVICE_A[0])
    try:
        assert collector.connack == device.connack == "Success"
        assert auditor.subscribe("#") == ["Granted QoS 1"]
        assert collector.subscribe("$share/collectors/ioc/sensor/#") == ["Granted QoS 1"]
        name, feed, district = DEVICE_A
        other, other_feed, other_district = DEVICE_B
        refused = [
            "other/topic",
            f"ioc/{feed}/{district}/cb-air-999",
            f"ioc/{other_feed}/{other_district}/{other}",  # another device
            f"ioc/status/{other}",  # another device's status
            f"ioc/camera/{district}/{name}",  # another feed under its own id
            f"ioc/{feed}/bao-lac/{name}",  # another district under its own id
            "ioc/deadletter/sensor",
        ]
        for topic in refused:
            assert device.publish(topic, b"{}") == "Not authorized", topic
        own = f"ioc/{feed}/{district}/{name}"
        assert device.publish(own, b"{}") == "Success"
        assert device.publish(f"ioc/status/{name}", b"online") == "Success"
        wait_until(lambda: f"ioc/status/{name}" in auditor.topics(), message="status")
        # One client's messages arrive in order: whatever was let through has arrived by now.
        assert auditor.topics() == [own, f"ioc/status/{name}"]
        assert collector.topics() == [own]
        assert collector.publish("ioc/deadletter/sensor", b"{}") == "Success"
        wait_until(lambda: "ioc/deadletter/sensor" in auditor.topics(), message="dead letter")
    finally:
        for client in (auditor, collector, device):
            client.close()


SIM_START = datetime(2026, 6, 1, 1, 0, tzinfo=UTC)


@pytest.mark.services
def test_simulator_and_two_collectors_through_the_production_broker(
    tmp_path, influxdb, influx_db, redis_url
):
    """The compose users end to end: the simulator (bad messages included) publishes as
    `simulator` and its devices' status as each device, two collectors log in as `collector-1`
    and `collector-2` on one share group and dead-letter."""
    base = {
        "IOC_MQTT_SHARE_GROUP": "collectors",
        "IOC_INFLUX_URL": influxdb.url,
        "IOC_INFLUX_TOKEN": "test",
        "IOC_INFLUX_BUCKET": influx_db,
        "IOC_REDIS_URL": redis_url,
    }
    storage = InfluxStorage(influxdb.url, "test", "ioc", influx_db)
    lives, collectors = [], []
    with deploy_broker(tmp_path, devices=False) as deploy:
        _simulate_through(deploy, base, redis_url, storage, lives, collectors)


def _simulate_through(deploy, base, redis_url, storage, lives, collectors):  # type: ignore[no-untyped-def]
    auditor = Client(deploy.port, *AUDITOR)
    try:
        auditor.subscribe("ioc/deadletter/#")
        for number in (1, 2):
            user = f"collector-{number}"
            url = deploy.url(user, COLLECTOR_PASSWORD)
            settings = settings_from_env({**base, "IOC_MQTT_URL": url, "IOC_MQTT_CLIENT_ID": user})
            lives.append(RedisLiveState(redis_url))
            collectors.append(Collector(settings, storage, lives[-1]))
            collectors[-1].start()
            assert collectors[-1].transport.wait_connected(10)
        result = run_simulation(
            SimConfig(
                mqtt_url=deploy.url("simulator", SIMULATOR_PASSWORD),
                start=SIM_START,
                rate=20_000,
                seed=5,
                count=3000,
                bad_ratio=0.05,
                device_logins=True,
            )
        )
        assert result.sent["status"] > 0
        assert result.bad > 50
        span = TimeRange(
            int((SIM_START - timedelta(days=1)).timestamp() * 1e9),
            int((SIM_START + timedelta(days=30)).timestamp() * 1e9),
        )
        for feed in ("sensor", "camera", "servicedesk"):
            wait_until(
                lambda f=feed: len(storage.records(f, span, limit=10**6)) == result.sent[f],
                timeout=60,
                interval=0.25,
                message=f"{feed} not all stored",
            )
        wait_until(lambda: len(auditor.received) >= result.bad, timeout=30, message="dead letters")
        assert len(auditor.received) == result.bad
        assert all(c.pipeline.stats.received > 0 for c in collectors)
    finally:
        auditor.close()
        for collector in collectors:
            collector.stop()
        for live in lives:
            live.close()
        storage.close()
