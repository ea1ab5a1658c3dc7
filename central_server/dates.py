"""Centre time and month arithmetic."""

from __future__ import annotations

import calendar
from datetime import date, datetime, time, timedelta, timezone

# China has kept UTC+8 without daylight saving since 1991, so a fixed offset is exact and needs no tzdata.
CENTRE_TZ = timezone(timedelta(hours=8), "Asia/Shanghai")


def centre_today(now: datetime) -> date:
    return now.astimezone(CENTRE_TZ).date()


def next_centre_midnight(now: datetime) -> datetime:
    return datetime.combine(centre_today(now) + timedelta(days=1), time(0), CENTRE_TZ)


def month_index(day: date) -> int:
    """Months since year 0, so that month ranges are plain integer ranges."""
    return day.year * 12 + day.month - 1


def month_day(index: int, day: int) -> date:
    """The given day of month `index`, clamped to the month's length."""
    year, month0 = divmod(index, 12)
    return date(year, month0 + 1, min(day, calendar.monthrange(year, month0 + 1)[1]))


def month_label(index: int) -> str:
    year, month0 = divmod(index, 12)
    return f"{year:04d}-{month0 + 1:02d}"


def add_months(day: date, months: int) -> date:
    return month_day(month_index(day) + months, day.day)
