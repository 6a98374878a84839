"""The wall's information-security tiles in headless Chromium, fed through the real path: EDR
consoles and portal checks over MQTT → collector → InfluxDB + Redis → KPI engine → page. Each
tile shows what the consoles and portals said, and opens /security filtered to it."""

from __future__ import annotations

import pytest

from dashboards import ids
from dashboards.tiles import kpi_key
from tests.dashboards.browser import (
    class_of,
    lands_on,
    set_viewport,
    text_of,
    wait_class,
    wait_rolled_up,
    wait_stored,
    wait_text,
    wait_until,
)
from tests.dashboards.conftest import now_ms

pytestmark = pytest.mark.services

INCIDENTS = kpi_key("security.open_incidents")
MALWARE = kpi_key("security.malware_today")
COVERAGE = kpi_key("security.edr_coverage")
DOWN = kpi_key("portal.down")
SECURITY_TILES = (INCIDENTS, MALWARE, COVERAGE, DOWN)


def _event(publish, district, console, ts_ms, **fields):
    agency = console.removeprefix("edr-")
    publish.send(
        f"ioc/security/{district}/{console}",
        {"ts": ts_ms, "system": "edr", "agency": agency, **fields},
    )


def _publish_consoles_and_portals(publish, now: int) -> int:
    """Two open incidents (one critical), four detections (three handled), an inventory of
    114/120 endpoints, and a portal whose last two of three checks failed. Returns the count
    of messages."""
    opened = {"event": "incident_opened", "threat": "Backdoor.Win32.PlugX"}
    _event(publish, "hoa-an", "edr-ubnd-hoa-an", now - 600_000, **opened, severity="critical",
           incident_id="EDR-WALL-1")  # fmt: skip
    _event(publish, "thanh-pho-cao-bang", "edr-so-y-te", now - 300_000, **opened, severity="high",
           incident_id="EDR-WALL-2")  # fmt: skip
    for i, action in enumerate(("blocked", "quarantined", "cleaned", "none")):
        _event(publish, "hoa-an", "edr-ubnd-hoa-an", now - 1000 * (i + 1),
               event="malware_detected", severity="medium", endpoint=f"UBND-HA-PC-{i}",
               threat="Trojan.Win32.Agent", action=action)  # fmt: skip
    _event(publish, "hoa-an", "edr-ubnd-hoa-an", now - 5000, event="inventory",
           endpoints_total=120, endpoints_reporting=114, agents_outdated=3)  # fmt: skip
    for minutes_ago, up in ((3, True), (2, False), (1, False)):
        check = {"ts": now - minutes_ago * 60_000, "url": "https://hoaan.caobang.gov.vn/"}
        check |= {"up": True, "status": 200, "response_ms": 300.0} if up else {"up": False}
        publish.send("ioc/portal/hoa-an/cong-hoa-an", check)
    return 10


def test_wall020_security_tiles_show_the_consoles_and_portals_and_open_their_drill_down(
    app, engine, collector, publish, dash_duo
):
    wait_stored(collector, _publish_consoles_and_portals(publish, now_ms()))
    wait_rolled_up(engine, now_ms())  # /security's 24 h charts read the 5-min rollups
    dash_duo.start_server(app)
    set_viewport(dash_duo, 1920, 1080)
    wait_text(dash_duo, ids.tile_value(INCIDENTS), "2")
    detail = wait_text(dash_duo, ids.tile_detail(INCIDENTS), "1 nghiêm trọng")
    assert "1 mức cao" in detail
    wait_class(dash_duo, ids.tile(INCIDENTS), "tile--critical")  # its alert: a critical incident
    wait_text(dash_duo, ids.tile_value(MALWARE), "4")
    wait_text(dash_duo, ids.tile_detail(MALWARE), "75,0 % được ngăn chặn")
    wait_text(dash_duo, ids.tile_value(COVERAGE), "95,0")
    wait_text(dash_duo, ids.tile_value(DOWN), "1")
    wait_text(dash_duo, ids.tile_detail(DOWN), "sẵn sàng 24h: 33,3 %")
    for key in SECURITY_TILES:  # each with the age of its newest record, none stale
        assert "cập nhật" in text_of(dash_duo, ids.tile_age(key)), key
        assert "tile--stale" not in class_of(dash_duo, ids.tile(key)).split(), key
    # the group is on the wall without scrolling, its tiles inside the viewport, nothing clipped
    layout = dash_duo.driver.execute_script(
        "const d = document.documentElement;"
        "const band = [...document.querySelectorAll('.wall__band .tile')];"
        "return {scroll: [d.scrollWidth, innerWidth, d.scrollHeight, innerHeight],"
        " heading: document.querySelector('.wall__band').innerText.split('\\n')[0],"
        " outside: band.filter(t => t.getBoundingClientRect().bottom > innerHeight).length,"
        " clipped: band.filter(t => t.scrollHeight > t.clientHeight + 1).length}"
    )
    assert layout["scroll"][0] <= layout["scroll"][1], layout
    assert layout["scroll"][2] <= layout["scroll"][3], layout
    assert layout["heading"] == "AN TOÀN THÔNG TIN" and layout["outside"] == 0, layout
    assert layout["clipped"] == 0, layout
    hrefs = {
        key: dash_duo.driver.execute_script(
            "return document.getElementById(arguments[0]).getAttribute('href')",
            f'{{"key":"{key}","type":"tile"}}',
        )
        for key in SECURITY_TILES
    }
    assert hrefs[INCIDENTS].startswith("/security?") and "field=incidents" in hrefs[INCIDENTS]
    assert "event=malware_detected" in hrefs[MALWARE] and "range=24h" in hrefs[MALWARE]
    assert "field=endpoints_reporting" in hrefs[COVERAGE]
    assert "feed=portal" in hrefs[DOWN] and "field=up" in hrefs[DOWN]
    # each link lands on /security with that tile's filters, charting that tile's records
    # (the coverage link's filters are checked; /security charts no inventory series yet)
    lands = {
        INCIDENTS: (ids.page_part("security", ids.INCIDENTS), "EDR-WALL-1"),
        MALWARE: (ids.page_part("security", ids.GRID), "UBND-HA-PC-3"),
        COVERAGE: None,
        DOWN: None,
    }
    for key, text in lands.items():
        dash_duo.driver.get(dash_duo.server_url + hrefs[key])
        if text is not None:
            wait_text(dash_duo, *text, timeout=30)
        wait_until(
            lambda href=hrefs[key]: lands_on(href, dash_duo.driver.current_url),
            timeout=10,
            message=f"{hrefs[key]} kept in the address bar ({dash_duo.driver.current_url})",
        )
        if key == COVERAGE:
            continue
        wait_until(
            lambda: dash_duo.driver.execute_script(
                "const g = document.querySelector(arguments[0] + ' .js-plotly-plot');"
                "return g && g.data && g.data.some(t => (t.y || []).some(v => v !== null));",
                f"#{ids.page_part('security', ids.HISTORY)}",
            ),
            timeout=30,
            message=f"{key}: a series on {hrefs[key]}",
        )
    # the malware link is filtered to detections: no inventory or incident rows in its grid
    dash_duo.driver.get(dash_duo.server_url + hrefs[MALWARE])
    grid = wait_text(dash_duo, ids.page_part("security", ids.GRID), "UBND-HA-PC-0", timeout=30)
    assert "EDR-WALL-1" not in grid
    wait_until(lambda: dash_duo.driver.execute_script("return document.fonts.status") == "loaded")
