"""Report periods: a local day, an ISO week (Monday to Sunday) or a calendar month, as the
half-open window [start_ms, end_ms) in epoch ms, Asia/Ho_Chi_Minh."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Literal

from ioc.localtime import LOCAL_TZ

PeriodKind = Literal["day", "week", "month"]
PERIODS: tuple[PeriodKind, ...] = ("day", "week", "month")


@dataclass(frozen=True, slots=True)
class Period:
    kind: PeriodKind
    first_day: date
    last_day: date  # inclusive

    @property
    def start_ms(self) -> int:
        return _local_midnight_ms(self.first_day)

    @property
    def end_ms(self) -> int:
        """The first instant after the period (exclusive)."""
        return _local_midnight_ms(self.last_day + timedelta(days=1))

    @property
    def days(self) -> list[date]:
        return [
            self.first_day + timedelta(d) for d in range((self.last_day - self.first_day).days + 1)
        ]

    @property
    def label_vi(self) -> str:
        if self.kind == "day":
            return f"Ngày {self.first_day:%d/%m/%Y}"
        if self.kind == "week":
            week = self.first_day.isocalendar().week
            return f"Tuần {week} ({self.first_day:%d/%m} – {self.last_day:%d/%m/%Y})"
        return f"Tháng {self.first_day.month}/{self.first_day.year}"

    @property
    def slug(self) -> str:
        if self.kind == "week":
            iso = self.first_day.isocalendar()
            return f"{iso.year}-W{iso.week:02d}"
        if self.kind == "month":
            return f"{self.first_day:%Y-%m}"
        return f"{self.first_day:%Y-%m-%d}"


def _local_midnight_ms(day: date) -> int:
    return int(datetime(day.year, day.month, day.day, tzinfo=LOCAL_TZ).timestamp() * 1000)


def period_of(kind: str, day: date) -> Period:
    """The period of `kind` containing `day`. Raises ValueError for an unknown kind."""
    if kind == "day":
        return Period("day", day, day)
    if kind == "week":
        monday = day - timedelta(days=day.weekday())
        return Period("week", monday, monday + timedelta(days=6))
    if kind == "month":
        first = day.replace(day=1)
        following = (first + timedelta(days=32)).replace(day=1)
        return Period("month", first, following - timedelta(days=1))
    raise ValueError(f"period must be one of {', '.join(PERIODS)}, not {kind!r}")


def parse_date(text: str) -> date:
    """`2026-11-30`, `2026-11` (a month) or `2026-W48` (a week's Monday). Raises ValueError."""
    text = text.strip()
    try:
        if "-W" in text:
            return datetime.strptime(text + "-1", "%G-W%V-%u").date()
        if len(text) == 7:
            return datetime.strptime(text, "%Y-%m").date()
        return date.fromisoformat(text)
    except ValueError:
        raise ValueError(f"date {text!r}: use YYYY-MM-DD, YYYY-MM or YYYY-Www") from None
