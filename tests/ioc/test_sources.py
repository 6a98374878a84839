"""The source catalogue names only feeds of the catalogue: a typo stops start-up, saying where."""

from __future__ import annotations

import pytest

from ioc.errors import ConfigError
from ioc.feeds import FEEDS
from ioc.sources import load_sources


def test_the_default_catalogue_names_known_feeds():
    assert {s.feed for s in load_sources().values()} <= set(FEEDS)


def test_an_unknown_feed_is_a_bad_setting(tmp_path):
    path = tmp_path / "sources.toml"
    path.write_text('[source."cam-9"]\nfeed = "kamera"\ndistrict = "hoa-an"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="IOC_SOURCES_FILE") as info:
        load_sources(path)
    assert "'cam-9' has feed 'kamera'" in str(info.value)
