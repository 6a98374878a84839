"""Helpers for the browser tests: read Dash components with dict ids, wait with deadlines."""

from __future__ import annotations

import json
from typing import Any

from ioc.devservices import wait_until

WAIT_S = 20.0


def dom_id(component_id: dict[str, str]) -> str:
    """The DOM id Dash gives a pattern-matching id (keys sorted, compact JSON)."""
    return json.dumps(component_id, sort_keys=True, separators=(",", ":"))


def text_of(dash_duo: Any, component_id: dict[str, str] | str) -> str:
    key = dom_id(component_id) if isinstance(component_id, dict) else component_id
    return (
        dash_duo.driver.execute_script(
            "const e = document.getElementById(arguments[0]); return e ? e.innerText : null;", key
        )
        or ""
    )


def class_of(dash_duo: Any, component_id: dict[str, str] | str) -> str:
    key = dom_id(component_id) if isinstance(component_id, dict) else component_id
    return (
        dash_duo.driver.execute_script(
            "const e = document.getElementById(arguments[0]); return e ? e.className : null;", key
        )
        or ""
    )


def wait_text(dash_duo: Any, component_id: Any, fragment: str, timeout: float = WAIT_S) -> str:
    return wait_until(
        lambda: fragment in (text := text_of(dash_duo, component_id)) and text,
        timeout=timeout,
        interval=0.2,
        message=f"{fragment!r} in {component_id} (has {text_of(dash_duo, component_id)!r})",
    )


def wait_class(dash_duo: Any, component_id: Any, css_class: str, present: bool = True,
               timeout: float = WAIT_S) -> str:  # fmt: skip
    def check() -> str | bool:
        classes = class_of(dash_duo, component_id)
        return classes if (css_class in classes.split()) == present and classes else False

    return wait_until(
        check,
        timeout=timeout,
        interval=0.2,
        message=f"class {css_class!r} {'on' if present else 'off'} {component_id} "
        f"(has {class_of(dash_duo, component_id)!r})",
    )


def lands_on(href: str, url: str) -> bool:
    """`url` has every filter the link `href` sets, as the page reads them (a default the page
    leaves out of its address, e.g. the 24 h range, counts as kept)."""
    from urllib.parse import parse_qsl, urlsplit

    from dashboards.urlstate import ViewState

    asked = dict(parse_qsl(urlsplit(href).query))
    there = ViewState.from_query(dict(parse_qsl(urlsplit(url).query)))
    wanted = ViewState.from_query(asked)
    return all(getattr(there, name) == getattr(wanted, name) for name in asked)


def set_viewport(dash_duo: Any, width: int = 1920, height: int = 1080) -> None:
    dash_duo.driver.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False},
    )


def body_text(dash_duo: Any) -> str:
    return dash_duo.driver.execute_script("return document.body.innerText") or ""


def wait_body(dash_duo: Any, fragment: str, timeout: float = WAIT_S) -> str:
    return wait_until(
        lambda: fragment in (text := body_text(dash_duo)) and text,
        timeout=timeout,
        interval=0.2,
        message=f"{fragment!r} on the page",
    )


def wait_stored(collector: Any, count: int, timeout: float = WAIT_S) -> None:
    """Until the collector has written `count` readings to storage (the drill-downs read it)."""
    wait_until(
        lambda: collector.pipeline.stats.stored_readings >= count,
        timeout=timeout,
        message=f"{count} readings stored",
    )


def wait_rolled_up(engine: Any, since_ms: int, timeout: float = 90.0) -> None:
    """Until the KPI engine has brought the history rollups up to date after `since_ms`: charts
    of a day or more read the 5-min tier, which the engine updates every 10 s at most (held
    back while batches keep coming)."""
    wait_until(
        lambda: (engine.runner.rolled_up_ms or 0) >= since_ms,
        timeout=timeout,
        message="the rollups brought up to date",
    )


def control(dash_duo: Any, page: str, name: str) -> Any:
    from selenium.webdriver.common.by import By

    from dashboards import ids

    # By.ID becomes a CSS selector, which the quotes of a JSON id break; XPath takes them.
    return dash_duo.driver.find_element(By.XPATH, f"//*[@id='{dom_id(ids.control(page, name))}']")


def click_radio(dash_duo: Any, page: str, name: str, value: str) -> None:
    element = control(dash_duo, page, name)
    element.find_element("css selector", f"input[value='{value}']").click()


def wait_url(dash_duo: Any, fragment: str, timeout: float = WAIT_S) -> str:
    return wait_until(
        lambda: fragment in (url := dash_duo.driver.current_url) and url,
        timeout=timeout,
        interval=0.2,
        message=f"{fragment!r} in the address bar ({dash_duo.driver.current_url})",
    )


def sign_in(dash_duo: Any, name: str, password: str, next_path: str = "/") -> None:
    """Sign in through the real form at /login, as a person would (waits for the redirect)."""
    from urllib.parse import quote

    base = dash_duo.server.url.rstrip("/")
    dash_duo.driver.get(f"{base}/login?next={quote(next_path)}")
    dash_duo.wait_for_element("#username", timeout=WAIT_S)
    dash_duo.find_element("#username").send_keys(name)
    dash_duo.find_element("#password").send_keys(password)
    dash_duo.find_element("#login-submit").click()
    wait_until(
        lambda: "/login" not in dash_duo.driver.current_url,
        timeout=WAIT_S,
        interval=0.2,
        message=f"signed in as {name} ({dash_duo.driver.current_url})",
    )


def cookie_header(dash_duo: Any) -> str:
    """The browser's cookies for the app, as a Cookie header (to replay its requests)."""
    return "; ".join(f"{c['name']}={c['value']}" for c in dash_duo.driver.get_cookies())


def alert_counts(dash_duo: Any) -> dict[str, int]:
    """The wall's open alerts per severity, as its count bar shows them."""
    found = dash_duo.driver.execute_script(
        "return [...document.querySelectorAll('.alert-count')].map(c => ["
        "c.className.match(/alert-count--(\\w+)/)[1],"
        "c.querySelector('.alert-count__n').textContent])"
    )
    return {severity: int(n) for severity, n in found or []}
