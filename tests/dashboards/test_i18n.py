"""The translation table: complete, with diacritics, and every key the code uses exists."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from dashboards.i18n import TEXT, duration, number, t

SOURCES = Path(__file__).parents[2] / "dashboards"


def test_every_label_has_both_languages():
    for key, (vi, en) in TEXT.items():
        assert bool(vi) == bool(en), key


def test_every_literal_key_used_in_the_code_exists():
    used = set()
    for path in SOURCES.rglob("*.py"):
        used |= set(re.findall(r"\bt\(\s*\"([a-z_0-9]+)\"", path.read_text(encoding="utf-8")))
    assert used and used <= set(TEXT), sorted(used - set(TEXT))


def test_vietnamese_is_the_default_with_diacritics():
    assert t("app_title", "vi") == "Trung tâm Điều hành Thông minh tỉnh Cao Bằng"
    assert t("app_title", "xx") == t("app_title", "vi")
    assert t("stale", "en") == "STALE"


def test_numbers_and_ages_follow_the_language():
    assert number(1234.5, 1, "vi") == "1.234,5"
    assert number(1234.5, 1, "en") == "1,234.5"
    assert number(None, 1, "vi") == "—"
    assert duration(42, "vi") == "42 giây" and duration(7200, "en") == "2 h"


# Vietnamese letters (the diacritics and đ) that English text never has.
VIETNAMESE = re.compile(
    "[àáảãạăằắẳẵặâầấẩẫậèéẻẽẹêềếểễệìíỉĩịòóỏõọôồốổỗộơờớởỡợùúủũụưừứửữựỳýỷỹỵđ]", re.IGNORECASE
)


def _proper_names() -> list[str]:
    """What stays Vietnamese in English: the names of places, districts, sources and agencies
    (not translated, as a street name is not), the province's and the language switch's."""
    from ioc.places import DISTRICTS, PLACES
    from ioc.sources import load_agencies, load_sources, names

    found = {*names(load_sources()).values(), *load_agencies().values()}
    found |= {p.name_vi for p in PLACES.values()} | {d.name_vi for d in DISTRICTS.values()}
    found |= {"Cao Bằng", t("switch_lang", "en")}
    return sorted(found, key=len, reverse=True)  # the longest first: "Sở Y tế" before "Y tế"


@pytest.mark.services
def test_i18n001_english_pages_show_no_vietnamese_but_proper_names(
    app, collector, publish, dash_duo
):
    from dashboards import ids
    from tests.dashboards.browser import body_text, wait_stored, wait_text
    from tests.dashboards.conftest import now_ms

    now = now_ms()
    publish.sensor("hoa-an", "t-air-a", "air", {"pm25": 11.5}, now - 60_000)
    publish.send("ioc/security/thanh-pho-cao-bang/edr-so-y-te",
                 {"ts": now - 60_000, "system": "edr", "agency": "so-y-te",
                  "event": "malware_detected", "severity": "high", "action": "quarantined",
                  "endpoint": "SYT-PC-1", "threat": "Trojan.Win32.Agent"})  # fmt: skip
    publish.send("ioc/portal/hoa-an/cong-hoa-an",
                 {"ts": now - 60_000, "up": False, "error": "connect timeout"})  # fmt: skip
    wait_stored(collector, 3)
    dash_duo.start_server(app)
    names = re.compile("|".join(map(re.escape, _proper_names())), re.IGNORECASE)  # CSS caps
    pages = ["/", "/environment", "/traffic", "/services", "/security", "/security?feed=portal",
             "/devices"]  # fmt: skip
    for path in pages:
        query = "&lang=en" if "?" in path else "?lang=en"
        dash_duo.driver.get(dash_duo.server_url + path + query)
        wait_text(dash_duo, ids.NAV_TITLE, "Cao Bằng")
        if path != "/":
            page = path.strip("/").split("?")[0]
            wait_text(dash_duo, ids.page_part(page, ids.SUMMARY), "per point")
        if "security" in path:
            wait_text(dash_duo, ids.page_part("security", ids.GRID), ":")
        text = body_text(dash_duo)
        text = names.sub("", text)
        left = sorted({line for line in text.splitlines() if VIETNAMESE.search(line)})
        assert not left, f"{path} in English shows Vietnamese: {left}"
