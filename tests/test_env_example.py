""".env.example lists every setting of ioc/settings.py with its default and its description."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from ioc.settings import ENV_PREFIX, Settings, load_settings

ROOT = Path(__file__).resolve().parents[1]
ENV_EXAMPLE = ROOT / ".env.example"

# IOC_* variables that are not fields of Settings, each with the file that reads it.
NOT_SETTINGS = {"IOC_DASHBOARD_SECRET_KEY": ROOT / "dashboards" / "app.py"}

_LINE = re.compile(r"(?P<key>[A-Z][A-Z0-9_]*)=(?P<value>.*)")


def read_env_file(path: Path) -> list[tuple[str, str, list[str]]]:
    """(key, value, comment lines just above it) for every assignment, in file order.

    Strict about the format docker compose and pydantic-settings both read the same way: one
    `KEY=value` per line, no quotes, no `export`, no comment after a value."""
    entries: list[tuple[str, str, list[str]]] = []
    comments: list[str] = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            comments = []
        elif line.startswith("#"):
            comments.append(line.lstrip("# "))
        else:
            match = _LINE.fullmatch(line)
            assert match, f"{path.name}:{number}: not KEY=value: {line!r}"
            value = match["value"]
            assert not value.startswith(("'", '"')), f"{path.name}:{number}: quoted value"
            assert " #" not in value, f"{path.name}:{number}: comment after the value"
            entries.append((match["key"], value, comments))
            comments = []
    return entries


def env_example() -> dict[str, str]:
    return {key: value for key, value, _ in read_env_file(ENV_EXAMPLE)}


def setting_names() -> set[str]:
    return {ENV_PREFIX + name.upper() for name in Settings.model_fields}


def test_every_setting_is_listed_and_every_listed_name_is_a_setting():
    listed = [key for key, _, _ in read_env_file(ENV_EXAMPLE)]
    assert len(listed) == len(set(listed)), "a variable is listed twice"
    ioc_names = {key for key in listed if key.startswith(ENV_PREFIX)}
    assert setting_names() - ioc_names == set(), "settings missing from .env.example"
    assert ioc_names - setting_names() - set(NOT_SETTINGS) == set(), "not settings"


def test_the_ioc_names_that_are_not_settings_are_still_read_where_documented():
    for name, reader in NOT_SETTINGS.items():
        assert name in reader.read_text(encoding="utf-8"), f"{reader} no longer reads {name}"


def test_every_variable_has_a_comment_and_settings_carry_their_description():
    fields = {ENV_PREFIX + name.upper(): f for name, f in Settings.model_fields.items()}
    for key, _, comments in read_env_file(ENV_EXAMPLE):
        assert comments, f"{key} has no comment line above it"
        field = fields.get(key)
        if field is not None:
            assert field.description, key
            assert field.description in " ".join(comments), f"{key}: description not above it"


def test_listed_values_are_the_defaults_and_load_through_load_settings():
    values = env_example()
    given = {
        name: values[ENV_PREFIX + name.upper()]
        for name in Settings.model_fields
        if ENV_PREFIX + name.upper() in values
    }
    loaded = load_settings(**given)  # every field given: neither the environment nor a .env counts
    for name, field in Settings.model_fields.items():
        default, value = field.default, getattr(loaded, name)
        if hasattr(default, "get_secret_value"):
            default, value = default.get_secret_value(), value.get_secret_value()
        assert value == default, f"{ENV_PREFIX}{name.upper()}={given[name]!r} is not the default"


def test_a_line_the_two_readers_could_read_differently_is_refused(tmp_path):
    broken = tmp_path / "env"
    broken.write_text("# fine\nIOC_LOG_LEVEL=INFO\n\n# spaces\nIOC_LOG_LEVEL = INFO\n")
    with pytest.raises(AssertionError, match="not KEY=value"):
        read_env_file(broken)
