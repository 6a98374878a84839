"""The translation table: complete, with diacritics, and every key the code uses exists."""

from __future__ import annotations

import re
from pathlib import Path

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
