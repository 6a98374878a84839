"""Requests as a script or another site would send them (urllib, no redirects followed), and the
body of a real Dash callback request, for the access tests."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from dashboards import ids
from ioc.settings import ENV_PREFIX, Settings


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


_OPENER = urllib.request.build_opener(_NoRedirect)


def http(
    url: str, method: str = "GET", body: Any = None, headers: dict[str, str] | None = None
) -> tuple[int, dict[str, str], bytes]:
    data = None
    headers = dict(headers or {})
    if body is not None:
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        headers.setdefault("Content-Type", "application/json")
    request = urllib.request.Request(url, data=data, method=method, headers=headers)
    try:
        with _OPENER.open(request, timeout=15) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), exc.read()


def ack_callback_body(page: str, alert_id: str, comment: str = "") -> dict[str, Any]:
    """What the browser posts to /_dash-update-component when Submit is clicked in the
    acknowledgement dialog of `page` (outputs, inputs and state of `pages.common.register`)."""
    part = lambda name: ids.page_part(page, name)  # noqa: E731
    outputs = [
        {"id": part(ids.ACK_MODAL), "property": "is_open"},
        {"id": part(ids.ACK_ALERT), "property": "data"},
        {"id": part(ids.ACK_FEEDBACK), "property": "children"},
        {"id": part(ids.ACK_TEXT), "property": "children"},
        {"id": part(ids.ACK_DONE), "property": "children"},
    ]
    return {
        "output": ".." + "...".join(f"{o['id']}.{o['property']}" for o in outputs) + "..",
        "outputs": outputs,
        "inputs": [
            [],
            {"id": part(ids.ACK_SUBMIT), "property": "n_clicks", "value": 1},
            {"id": part(ids.ACK_CANCEL), "property": "n_clicks", "value": None},
        ],
        "changedPropIds": [f"{part(ids.ACK_SUBMIT)}.n_clicks"],
        "state": [
            {"id": part(ids.ACK_ALERT), "property": "data", "value": alert_id},
            {"id": part(ids.ACK_COMMENT), "property": "value", "value": comment},
            {"id": part(ids.PAGE_LANG), "property": "data", "value": {"lang": "vi"}},
        ],
    }


def user_area_body() -> dict[str, Any]:
    """The shell's harmless `user_area` callback (who is signed in)."""
    return {
        "output": f"{ids.SHELL_USER}.children",
        "outputs": {"id": ids.SHELL_USER, "property": "children"},
        "inputs": [{"id": ids.URL, "property": "search", "value": ""}],
        "changedPropIds": [f"{ids.URL}.search"],
        "state": [],
    }


def ioc(settings: Settings, *args: str, stdin: str | None = None) -> str:
    """Run the `ioc` command with these settings (only them: no IOC_* from the environment)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(ENV_PREFIX)}
    for name in ("data_dir", "redis_url", "influx_url", "influx_bucket", "mqtt_url"):
        env[ENV_PREFIX + name.upper()] = str(getattr(settings, name))
    env[ENV_PREFIX + "INFLUX_TOKEN"] = settings.influx_token.get_secret_value()
    done = subprocess.run(
        [str(Path(sys.executable).with_name("ioc")), *args],
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout
