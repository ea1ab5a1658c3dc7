"""Working days: Monday to Friday, less the centre's holidays, plus the weekend days worked in exchange
for them (调休)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection


def is_working_day(
    day: dt.date, holidays: Collection[dt.date] = (), working_weekends: Collection[dt.date] = ()
) -> bool:
    return day in working_weekends or (day.weekday() < 5 and day not in holidays)


def add_working_days(
    day: dt.date,
    count: int,
    holidays: Collection[dt.date] = (),
    working_weekends: Collection[dt.date] = (),
) -> dt.date:
    """The `count`-th working day after `day` (`day` itself never counts, working or not); `day` for 0."""
    if count < 0:
        raise ValueError("count must be 0 or more")
    result = day
    while count:
        result += dt.timedelta(days=1)
        if is_working_day(result, holidays, working_weekends):
            count -= 1
    return result
