import pytest

from ioc.storage.base import TimeRange, check_measurement
from ioc.storage.influxql import group_by_clause, ident, literal, where_clause


def test_literal_escapes_quotes_and_backslashes():
    assert literal("hoa-an") == "'hoa-an'"
    assert literal("x' OR 1=1 --") == "'x\\' OR 1=1 --'"
    assert literal("a\\'b") == "'a\\\\\\'b'"


def test_identifiers_are_whitelisted():
    assert ident("pm25") == '"pm25"'
    for bad in ('pm25" FROM x', "Drop", "a b", "", "x;"):
        with pytest.raises(ValueError):
            ident(bad)
    with pytest.raises(ValueError):
        check_measurement("sensor; DROP DATABASE ioc")


def test_where_clause_combines_time_and_tags():
    clause = where_clause(TimeRange(10, 20), {"district": ["hoa-an", "bao-lac"], "kind": "air"})
    assert clause == (
        " WHERE time >= 10 AND time < 20"
        " AND (\"district\" = 'hoa-an' OR \"district\" = 'bao-lac')"
        " AND \"kind\" = 'air'"
    )
    assert where_clause(None, None) == ""
    assert where_clause(None, {"district": []}) == ""


def test_group_by_and_bucket_choice():
    assert group_by_clause(["district"], 60) == ' GROUP BY time(60s), "district"'
    assert group_by_clause([]) == ""
    hour = TimeRange.last(3600, 10**19)
    assert hour.bucket_seconds(300) == 30  # 3600 s / 30 s = 120 buckets ≤ 300
    week = TimeRange.last(7 * 86400, 10**19)
    assert week.bucket_seconds(300) == 3600  # 168 hourly buckets
    with pytest.raises(ValueError):
        TimeRange(5, 5)
