"""The CSV header: names beside the slugs a spreadsheet reader cannot read."""

from dashboards.export import columns
from dashboards.urlstate import ViewState


def test_service_desk_export_names_the_service_and_keeps_its_slug():
    header = columns("servicedesk", ViewState())
    assert header[:3] == ["time", "source_name", "service_name"]
    assert "service" in header  # the slug too, for machines


def test_security_export_names_the_agency():
    header = columns("security", ViewState())
    assert "agency_name" in header and "agency" in header


def test_a_feed_without_named_tags_gets_no_name_column_but_the_sources():
    header = columns("sensor", ViewState())
    assert [c for c in header if c.endswith("_name")] == ["source_name"]
