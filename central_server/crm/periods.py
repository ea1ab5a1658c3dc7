"""The centre-time day, week and month an instant falls in, as YYYYMMDD integers of their first day."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from central_server.dates import CENTRE_TZ

Period = Literal["day", "week", "month"]


def day_key(day: dt.date) -> int:
    return day.year * 10000 + day.month * 100 + day.day


def key_day(key: int) -> dt.date:
    return dt.date(key // 10000, key // 100 % 100, key % 100)


def period_keys(unix_seconds: int) -> dict[str, int]:
    """`day`, `week` (its Monday) and `month` (its first) of the instant, in centre time."""
    day = dt.datetime.fromtimestamp(unix_seconds, CENTRE_TZ).date()
    return {
        "day": day_key(day),
        "week": day_key(day - dt.timedelta(days=day.weekday())),
        "month": day_key(day.replace(day=1)),
    }
