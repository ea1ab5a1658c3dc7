"""The `--holidays FILE` of follow-up case deadlines: the centre's holidays and the weekend days worked in
exchange for them (调休), one date a line.

    # 国庆节
    2026-10-01
    2026-10-10 working

A line is `YYYY-MM-DD` (a holiday) or `YYYY-MM-DD working` (a Saturday or Sunday worked); `#` starts a
comment; blank lines are ignored."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

from central_server.crm.deadlines import CaseDeadlines

WORKING = "working"
# Only the one spelling: fromisoformat also takes 20261001 and 2026-W40-1.
_DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")


class HolidaysFileError(ValueError):
    """One line naming the file, the line and what is wrong with it."""


def parse_holidays(text: str, source: str) -> tuple[frozenset[dt.date], frozenset[dt.date]]:
    """(holidays, working weekend days) of a holidays file's text; `source` names the file in errors."""
    holidays: set[dt.date] = set()
    working_weekends: set[dt.date] = set()
    # Lines as an editor numbers them: splitlines() would also break at \x1c, \x85 or \u2028 in a comment.
    for number, line in enumerate(text.split("\n"), start=1):
        words = line.partition("#")[0].split()
        if not words:
            continue

        def refuse(problem: str, number: int = number) -> HolidaysFileError:
            return HolidaysFileError(f"holidays file {source} line {number}: {problem}")

        if len(words) > 2 or (len(words) == 2 and words[1] != WORKING):
            raise refuse(f"expected YYYY-MM-DD or YYYY-MM-DD {WORKING}, got {line.strip()[:40]!r}")
        try:
            if not _DATE.match(words[0]):
                raise ValueError
            day = dt.date.fromisoformat(words[0])
        except ValueError:
            raise refuse(f"{words[0][:20]!r} is not a date YYYY-MM-DD") from None
        if day in holidays or day in working_weekends:
            raise refuse(f"{day} is listed twice")
        if len(words) == 1:
            holidays.add(day)
        elif day.weekday() < 5:
            raise refuse(f"{day} is a weekday: only a Saturday or Sunday can be marked {WORKING}")
        else:
            working_weekends.add(day)
    return frozenset(holidays), frozenset(working_weekends)


def load_deadlines(callback_days: int, resolve_days: int, holidays_file: Path | None) -> CaseDeadlines:
    """The case deadlines `kiosk-central serve` was given; raises ValueError with one line to show."""
    if not 0 < callback_days <= resolve_days:
        raise ValueError(
            f"--case-callback-days ({callback_days}) must be at least 1 and at most --case-resolve-days "
            f"({resolve_days})"
        )
    holidays: frozenset[dt.date] = frozenset()
    working_weekends: frozenset[dt.date] = frozenset()
    if holidays_file is not None:
        try:
            text = holidays_file.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) else "not UTF-8 text"
            raise HolidaysFileError(f"cannot read holidays file {holidays_file}: {reason}") from None
        holidays, working_weekends = parse_holidays(text, str(holidays_file))
    return CaseDeadlines(callback_days, resolve_days, holidays, working_weekends)
