"""A year of synthetic counter history behind the seeded citizens, so the advice and "my applications" have
something real to show: past appointments (kept or cancelled), past pre-registrations (taken up at the
counter or left to expire), and for a few citizens an appointment tomorrow and a pre-registration waiting.

Deterministic from the seed and the centre's date, like `seed.py`. An appointment tomorrow is seeded only
when tomorrow is a working day (nobody can book another). Slot counters and calling numbers are kept as the
booking code keeps them, so the seeded bookings take real places.
"""

from __future__ import annotations

import datetime as dt
import random
import uuid
from collections import Counter

from sqlalchemy import select
from sqlalchemy.orm import Session

from central_server import appointment_rules as rules
from central_server.appointments import Appointment, AppointmentCalendar, AppointmentNumbers, AppointmentSlot
from central_server.business_types import BusinessType
from central_server.dates import CENTRE_TZ
from central_server.models import Citizen
from central_server.preregistration import VALID_DAYS, PreRegistrationRecord
from kiosk.transaction_numbers import kiosk_code

# The history's made-up terminal: the pre-registrations' codes follow the kiosks' recipe with it.
HISTORY_TERMINAL = "KIOSK-HISTORY"
HISTORY_DAYS = 365
# Share of citizens with counter history, and how many past visits each has at most.
HISTORY_SHARE = 0.6
MAX_PAST_VISITS = 4
# How many citizens get an appointment tomorrow and a pre-registration waiting.
UPCOMING_CITIZENS = 3


def seed_counter_history(session: Session, *, seed: int, today: dt.date) -> None:
    """Adds the history; run once, right after the seeding."""
    rng = random.Random(f"{seed}-counter-history")
    citizens = list(session.scalars(select(Citizen.id).order_by(Citizen.id)))
    calendars = [(c.office, c.business_code) for c in session.scalars(select(AppointmentCalendar))]
    calendars.sort()
    letters = {b.code: b.queue_letter for b in session.scalars(select(BusinessType))}
    pre_registrable = sorted(b.code for b in session.scalars(select(BusinessType)) if b.pre_registrable)
    booked: Counter[tuple[str, str, dt.date, str]] = Counter()
    issued: Counter[tuple[str, str, dt.date]] = Counter()

    def book(citizen_id: int, day: dt.date, cancelled: bool) -> None:
        office, business = rng.choice(calendars)
        slot = rng.choice(rules.DAY_SLOTS)
        issued[office, business, day] += 1
        if not cancelled:
            booked[office, business, day, slot.label] += 1
        booked_at = dt.datetime.combine(day - dt.timedelta(days=rng.randint(1, 10)), dt.time(10), CENTRE_TZ)
        session.add(
            Appointment(
                booking_id=str(uuid.UUID(int=rng.getrandbits(128), version=4)),
                citizen_id=citizen_id,
                office=office,
                business_code=business,
                day=day,
                slot=slot.label,
                call_number=rules.calling_number(letters[business], issued[office, business, day]),
                state="cancelled" if cancelled else "booked",
                booked_at=booked_at,
                cancelled_at=booked_at + dt.timedelta(days=1) if cancelled else None,
            )
        )

    def pre_register(citizen_id: int, taken_on: dt.date, done: bool) -> None:
        key = f"history-{rng.getrandbits(64):016x}"
        taken_at = dt.datetime.combine(taken_on, dt.time(9, 30), CENTRE_TZ)
        session.add(
            PreRegistrationRecord(
                code=kiosk_code(HISTORY_TERMINAL, key),
                citizen_id=citizen_id,
                business_code=rng.choice(pre_registrable),
                note="",
                terminal_id=HISTORY_TERMINAL,
                idempotency_key=key,
                taken_at=taken_at,
                valid_until=taken_on + dt.timedelta(days=VALID_DAYS),
                state="done" if done else "waiting",
                done_at=taken_at + dt.timedelta(days=rng.randint(1, VALID_DAYS)) if done else None,
            )
        )

    for citizen_id in citizens:
        if rng.random() >= HISTORY_SHARE:
            continue
        for _ in range(rng.randint(1, MAX_PAST_VISITS)):
            day = _working_day_before(today - dt.timedelta(days=rng.randint(VALID_DAYS + 2, HISTORY_DAYS)))
            if rng.random() < 0.5:
                book(citizen_id, day, cancelled=rng.random() < 0.15)
            else:
                pre_register(citizen_id, day, done=rng.random() < 0.8)

    tomorrow = today + dt.timedelta(days=1)
    for citizen_id in rng.sample(citizens, min(UPCOMING_CITIZENS, len(citizens))):
        if rules.is_working_day(tomorrow):
            book(citizen_id, tomorrow, cancelled=False)
        pre_register(citizen_id, today - dt.timedelta(days=rng.randint(0, VALID_DAYS)), done=False)

    session.add_all(
        AppointmentSlot(
            office=office,
            business_code=business,
            day=day,
            start=label[:5],
            capacity=_capacity(session, office, business),
            booked=count,
        )
        for (office, business, day, label), count in sorted(booked.items())
    )
    session.add_all(
        AppointmentNumbers(office=office, business_code=business, day=day, issued=count)
        for (office, business, day), count in sorted(issued.items())
    )
    session.flush()


def _working_day_before(day: dt.date) -> dt.date:
    while not rules.is_working_day(day):
        day -= dt.timedelta(days=1)
    return day


def _capacity(session: Session, office: str, business: str) -> int:
    calendar = session.get(AppointmentCalendar, (office, business))
    return calendar.capacity if calendar is not None else 1
