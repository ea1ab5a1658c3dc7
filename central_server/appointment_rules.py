"""The appointment calendar's rules, as pure functions of dates and the centre's clock: working days, the
day's slots, how far ahead one may book, when a booking may still be cancelled, the calling number.

All times are the centre's (UTC+8, `dates.CENTRE_TZ`)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from central_server.dates import CENTRE_TZ, centre_today

SLOT_MINUTES = 30
# Halls open 09:00-12:00 and 13:30-17:00; nobody is booked into the lunch break.
OPENING_HOURS = ((time(9, 0), time(12, 0)), (time(13, 30), time(17, 0)))
# Days one may book: today and the 13 days after it.
HORIZON_DAYS = 14
# Places per slot: with 13 slots a day, a day's calling numbers (three digits) never run out.
MAX_CAPACITY = 50
# The statutory public holidays (法定节假日) the reference centre keeps, first and last day of each. Weekends
# are never working days here: make-up working days (调休) are not kept. A real centre loads its own.
_HOLIDAY_SPANS = (
    ("2026-01-01", "2026-01-03"),
    ("2026-02-15", "2026-02-23"),
    ("2026-04-04", "2026-04-06"),
    ("2026-05-01", "2026-05-05"),
    ("2026-06-19", "2026-06-21"),
    ("2026-09-25", "2026-09-27"),
    ("2026-10-01", "2026-10-07"),
    ("2027-01-01", "2027-01-03"),
)
PUBLIC_HOLIDAYS = frozenset(
    date.fromisoformat(first) + timedelta(days=offset)
    for first, last in _HOLIDAY_SPANS
    for offset in range((date.fromisoformat(last) - date.fromisoformat(first)).days + 1)
)
SLOT_LABEL_PATTERN = r"^[0-2][0-9]:[0-5][0-9]-[0-2][0-9]:[0-5][0-9]$"
_CALL_LETTER = re.compile(r"[A-Z]")


@dataclass(frozen=True, order=True)
class Slot:
    start: time
    end: time

    @property
    def label(self) -> str:
        return f"{self.start:%H:%M}-{self.end:%H:%M}"


def _day_slots() -> tuple[Slot, ...]:
    slots = []
    for opens, closes in OPENING_HOURS:
        start = datetime.combine(date.min, opens)
        while start.time() < closes:
            end = start + timedelta(minutes=SLOT_MINUTES)
            slots.append(Slot(start.time(), end.time()))
            start = end
    return tuple(slots)


DAY_SLOTS = _day_slots()
_BY_LABEL = {slot.label: slot for slot in DAY_SLOTS}


def slot_named(label: str) -> Slot | None:
    """The day's slot with this label (`09:00-09:30`), None for any other text."""
    return _BY_LABEL.get(label)


def is_working_day(day: date) -> bool:
    return day.weekday() < 5 and day not in PUBLIC_HOLIDAYS


def slot_start(day: date, slot: Slot) -> datetime:
    return datetime.combine(day, slot.start, CENTRE_TZ)


def last_bookable_day(now: datetime) -> date:
    return centre_today(now) + timedelta(days=HORIZON_DAYS - 1)


def open_slots(day: date, now: datetime) -> tuple[Slot, ...]:
    """The slots of `day` one may book at `now`: a working day within the horizon, slots not yet begun."""
    if not is_working_day(day) or not centre_today(now) <= day <= last_bookable_day(now):
        return ()
    return tuple(slot for slot in DAY_SLOTS if slot_start(day, slot) > now)


def booking_refusal(day: date, label: str, now: datetime) -> str | None:
    """Why `label` on `day` cannot be booked at `now`, None when it can."""
    slot = slot_named(label)
    if slot is None:
        return f"slot {label} is not one of the day's slots"
    if not is_working_day(day):
        return f"{day.isoformat()} is not a working day"
    if not centre_today(now) <= day <= last_bookable_day(now):
        return f"appointments are taken for today and the {HORIZON_DAYS - 1} days after it"
    if slot_start(day, slot) <= now:
        return f"slot {label} has begun"
    return None


def has_begun(day: date, slot: Slot, now: datetime) -> bool:
    """Once its slot has begun, an appointment can no longer be cancelled (the place could not be given to
    anyone else) and no longer counts against the one-open-appointment-per-business limit."""
    return now >= slot_start(day, slot)


def calling_number(letter: str, number: int) -> str:
    """The hall's calling number: the business type's letter and the day's number, `A023`."""
    if not _CALL_LETTER.fullmatch(letter):
        raise ValueError(f"a calling number's letter is one of A-Z, not {letter!r}")
    if not 1 <= number <= 999:
        raise ValueError(f"a calling number's number is 1 to 999, not {number}")
    return f"{letter}{number:03d}"
