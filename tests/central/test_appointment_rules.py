"""Properties of the appointment calendar's pure rules."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from hypothesis import given
from hypothesis import strategies as st

from central_server import appointment_rules as rules
from central_server.dates import CENTRE_TZ, centre_today

instants = st.datetimes(
    min_value=datetime(2025, 1, 1), max_value=datetime(2028, 12, 31), timezones=st.just(UTC)
)
days = st.dates(min_value=date(2024, 12, 1), max_value=date(2029, 2, 1))
labels = st.one_of(st.sampled_from([slot.label for slot in rules.DAY_SLOTS]), st.text(max_size=12))


def test_the_day_has_half_hour_slots_from_nine_to_five_without_lunch() -> None:
    assert [slot.label for slot in rules.DAY_SLOTS][:2] == ["09:00-09:30", "09:30-10:00"]
    assert rules.DAY_SLOTS[-1].label == "16:30-17:00"
    assert len(rules.DAY_SLOTS) == 13
    for slot in rules.DAY_SLOTS:
        assert not (time(12, 0) <= slot.start < time(13, 30))
        start = datetime.combine(date.min, slot.start)
        assert datetime.combine(date.min, slot.end) - start == timedelta(minutes=30)
    assert list(rules.DAY_SLOTS) == sorted(set(rules.DAY_SLOTS))


def test_weekends_and_public_holidays_are_not_working_days() -> None:
    assert rules.is_working_day(date(2026, 11, 27))  # a Friday
    assert not rules.is_working_day(date(2026, 11, 28))
    assert not rules.is_working_day(date(2026, 10, 2))  # National Day, a Friday
    assert not rules.is_working_day(date(2027, 1, 1))


@given(day=days, label=labels, now=instants)
def test_a_slot_is_bookable_exactly_when_it_is_offered(day: date, label: str, now: datetime) -> None:
    offered = {slot.label for slot in rules.open_slots(day, now)}
    assert (rules.booking_refusal(day, label, now) is None) == (label in offered)


@given(day=days, now=instants)
def test_offered_slots_are_on_working_days_within_the_horizon_and_not_begun(day: date, now: datetime) -> None:
    offered = rules.open_slots(day, now)
    today = centre_today(now)
    if offered:
        assert rules.is_working_day(day)
        assert today <= day < today + timedelta(days=rules.HORIZON_DAYS)
    for slot in offered:
        assert rules.slot_start(day, slot) > now
        assert not rules.has_begun(day, slot, now)
    if rules.is_working_day(day) and today < day < today + timedelta(days=rules.HORIZON_DAYS):
        assert offered == rules.DAY_SLOTS


@given(day=days, now=instants, later=st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=30)))
def test_once_begun_a_slot_stays_begun(day: date, now: datetime, later: timedelta) -> None:
    for slot in rules.DAY_SLOTS:
        if rules.has_begun(day, slot, now):
            assert rules.has_begun(day, slot, now + later)


def test_a_slot_begins_at_its_start_in_centre_time() -> None:
    slot = rules.DAY_SLOTS[0]
    start = datetime(2026, 11, 30, 9, 0, tzinfo=CENTRE_TZ)
    assert not rules.has_begun(date(2026, 11, 30), slot, start - timedelta(seconds=1))
    assert rules.has_begun(date(2026, 11, 30), slot, start)


@given(letter=st.sampled_from("ABCDEFGHIJKLMNOPQRSTUVWXYZ"), number=st.integers(1, 999))
def test_calling_numbers_are_a_letter_and_three_digits(letter: str, number: int) -> None:
    text = rules.calling_number(letter, number)
    assert len(text) == 4 and text[0] == letter and int(text[1:]) == number


def test_a_day_of_full_slots_fits_in_three_digit_calling_numbers() -> None:
    assert rules.MAX_CAPACITY * len(rules.DAY_SLOTS) <= 999
