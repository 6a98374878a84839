"""Every Dash callback replayed over HTTP with values it never sends: a 4xx or an answer, never
a 500 (defect 6, "non-string callback values raise TypeError", at the HTTP level).

The requests are built the way the browser builds them, from the app's own `/_dash-dependencies`
(output, outputs, inputs, state, changedPropIds), posted to `/_dash-update-component` with a
signed-in administrator's session (so role checks do not stop them before the callback runs)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from dashboards.app import create_app
from dashboards.auth import EXTENSION as AUTH
from ioc.settings import load_settings

PASSWORD = "correct horse battery"
ORIGIN = {"Origin": "http://localhost"}
WEIRD: list[Any] = [None, 7, -1.5, True, "x" * 5000, [1, None, "a"], {"a": {"b": [1]}}, "\x00'\""]


@pytest.fixture
def signed_in(tmp_path, sqlite_storage, memory_live):
    app = create_app(
        load_settings(influx_url="", redis_url="", data_dir=str(tmp_path)),
        live=memory_live,
        storage=sqlite_storage,
    )
    app.server.extensions[AUTH].users.add("lan", "admin", PASSWORD)
    with app.server.test_client() as client:
        form = {"username": "lan", "password": PASSWORD, "next": "/"}
        assert client.post("/login", data=form, headers=ORIGIN).status_code == 302
        yield client


def parse_outputs(output: str) -> list[dict[str, str]] | dict[str, str]:
    """Dash's output string: `id.prop` or `..id1.prop1...id2.prop2..` (ids may be JSON)."""
    parts = output[2:-2].split("...") if output.startswith("..") else [output]
    specs = []
    for part in parts:
        name, prop = part.rsplit(".", 1)
        specs.append({"id": json.loads(name) if name.startswith("{") else name, "property": prop})
    return specs if output.startswith("..") else specs[0]


def concrete(spec: dict[str, Any], value: Any) -> Any:
    """One input or state entry as the browser sends it; a pattern-matching (dict) id gets one
    concrete match — a list of one for ALL/ALLSMALLER, the entry itself for MATCH."""
    ident = spec["id"]
    if isinstance(ident, str):
        return {"id": ident, "property": spec["property"], "value": value}
    wild = {k: v for k, v in ident.items() if isinstance(v, list)}
    fixed = {k: v for k, v in ident.items() if not isinstance(v, list)}
    entry = {"id": {**fixed, **dict.fromkeys(wild, "crafted")}, "property": spec["property"]}
    entry["value"] = value
    if any(v in (["ALL"], ["ALLSMALLER"]) for v in wild.values()):
        return [entry]
    return entry


def callback_requests(client, value: Any) -> list[dict[str, Any]]:
    dependencies = client.get("/_dash-dependencies", headers=ORIGIN).get_json()
    bodies = []
    for dep in dependencies:
        if dep.get("clientside_function"):
            continue  # runs in the browser only
        inputs = [concrete(spec, value) for spec in dep["inputs"]]
        first = inputs[0][0] if isinstance(inputs[0], list) else inputs[0]
        first_id = first["id"] if isinstance(first["id"], str) else json.dumps(first["id"])
        bodies.append(
            {
                "output": dep["output"],
                "outputs": parse_outputs(dep["output"]),
                "inputs": inputs,
                "state": [concrete(spec, value) for spec in dep["state"]],
                "changedPropIds": [f"{first_id}.{first['property']}"],
            }
        )
    return bodies


@pytest.mark.parametrize("value", WEIRD, ids=lambda v: repr(v)[:20])
def test_every_callback_answers_crafted_values_without_a_server_error(signed_in, value):
    bodies = callback_requests(signed_in, value)
    assert len(bodies) > 20  # every page's callbacks, not a handful
    failures, refused = [], 0
    for body in bodies:
        response = signed_in.post("/_dash-update-component", json=body, headers=ORIGIN)
        if response.status_code >= 500:
            failures.append(f"{body['output']}: {response.status_code}")
        elif response.status_code == 400:
            assert response.get_json() == {"error": "callback values not understood"}
            refused += 1
        else:
            assert response.status_code in (200, 204), body["output"]
    assert not failures, "\n".join(failures)


def test_the_browsers_own_values_still_get_answers(signed_in):
    """The guard only turns failures into 400s: a well-formed request is answered as before."""
    (body,) = [b for b in callback_requests(signed_in, "") if b["output"] == "shell-user.children"]
    response = signed_in.post("/_dash-update-component", json=body, headers=ORIGIN)
    assert response.status_code == 200 and "lan" in response.get_data(as_text=True)
