"""差评整改 deadlines: when a follow-up case must be called back and resolved, and whether it was.

A deadline of N working days ends at midnight (centre time) after the N-th working day after the day the
citizen rated: rated on a Friday, a one-working-day callback is due by the end of Monday."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Literal

from central_server.crm.working_days import add_working_days
from central_server.dates import CENTRE_TZ

CaseState = Literal["open", "overdue", "closed"]


@dataclass(frozen=True)
class CaseDeadlines:
    callback_working_days: int = 1
    resolve_working_days: int = 15
    holidays: frozenset[dt.date] = field(default_factory=frozenset)
    # Saturdays and Sundays worked in exchange for a holiday (调休).
    working_weekends: frozenset[dt.date] = field(default_factory=frozenset)

    def __post_init__(self) -> None:
        if not 0 < self.callback_working_days <= self.resolve_working_days:
            raise ValueError("case deadlines: need 0 < callback_working_days <= resolve_working_days")


def due_after(
    opened_at: dt.datetime,
    working_days: int,
    holidays: Iterable[dt.date] = (),
    working_weekends: Iterable[dt.date] = (),
) -> dt.datetime:
    """The end (next midnight, centre time) of the `working_days`-th working day after `opened_at`'s day."""
    opened_on = opened_at.astimezone(CENTRE_TZ).date()
    last_day = add_working_days(opened_on, working_days, frozenset(holidays), frozenset(working_weekends))
    return dt.datetime.combine(last_day + dt.timedelta(days=1), dt.time(0), CENTRE_TZ)


def case_deadlines(opened_at: dt.datetime, rules: CaseDeadlines) -> tuple[dt.datetime, dt.datetime]:
    """(callback due, resolution due) for a case opened at `opened_at`."""
    return (
        due_after(opened_at, rules.callback_working_days, rules.holidays, rules.working_weekends),
        due_after(opened_at, rules.resolve_working_days, rules.holidays, rules.working_weekends),
    )


def case_state(
    now: int, callback_due: int, resolve_due: int, callback_at: int | None, closed_at: int | None
) -> CaseState:
    """Closed once closed; overdue when a deadline passed with its step not done; else open."""
    if closed_at is not None:
        return "closed"
    if (callback_at is None and now >= callback_due) or now >= resolve_due:
        return "overdue"
    return "open"


@dataclass(frozen=True)
class Timeliness:
    on_time: int
    late: int

    @property
    def share(self) -> float | None:
        """On-time share of the steps that are decided: done, or not done by a deadline that has passed.
        None when none is decided yet."""
        decided = self.on_time + self.late
        return round(self.on_time / decided, 4) if decided else None


def timeliness(steps: Iterable[tuple[int, int | None]], now: int) -> Timeliness:
    """Of (due, done_at or None) steps: how many were done by their due time, how many late or overdue;
    those still within their deadline count in neither."""
    on_time = late = 0
    for due, done_at in steps:
        if done_at is not None and done_at < due:
            on_time += 1
        elif done_at is not None or now >= due:
            late += 1
    return Timeliness(on_time, late)
