"""The synthetic counter history (seed_history.py): deterministic, and what the advice rules look for."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from central_server.appointments import Appointment
from central_server.db import Database
from central_server.preregistration import PreRegistrationRecord
from central_server.seed import build_dataset
from central_server.seed_history import UPCOMING_CITIZENS, seed_counter_history
from central_server.seed_services import seed_services

THURSDAY = dt.date(2026, 12, 3)


def _history(seed: int, today: dt.date) -> tuple[list[tuple[object, ...]], list[tuple[object, ...]]]:
    db = Database("sqlite://")
    db.create_schema()
    with db.transaction() as session:
        session.add_all(build_dataset(seed, today))
        seed_services(session)
        session.flush()
        seed_counter_history(session, seed=seed, today=today)
        appointments = session.execute(
            select(Appointment.citizen_id, Appointment.day, Appointment.slot, Appointment.state).order_by(
                Appointment.id
            )
        ).all()
        pre_registrations = session.execute(
            select(
                PreRegistrationRecord.citizen_id,
                PreRegistrationRecord.valid_until,
                PreRegistrationRecord.state,
            ).order_by(PreRegistrationRecord.id)
        ).all()
    return [tuple(row) for row in appointments], [tuple(row) for row in pre_registrations]


def test_the_same_seed_and_day_give_the_same_history() -> None:
    assert _history(7, THURSDAY) == _history(7, THURSDAY)


def test_a_year_of_past_visits_and_a_few_upcoming_ones() -> None:
    appointments, pre_registrations = _history(7, THURSDAY)
    tomorrow = THURSDAY + dt.timedelta(days=1)
    past = [day for _, day, _, _ in appointments if day < THURSDAY]
    assert past and min(past) >= THURSDAY - dt.timedelta(days=366)
    assert (
        sum(day == tomorrow and state == "booked" for _, day, _, state in appointments) == UPCOMING_CITIZENS
    )
    waiting = [until for _, until, state in pre_registrations if state == "waiting" and until >= THURSDAY]
    assert len(waiting) == UPCOMING_CITIZENS


def test_no_appointment_is_seeded_for_a_tomorrow_nobody_could_book() -> None:
    friday = dt.date(2026, 11, 27)
    appointments, _ = _history(7, friday)
    assert all(day <= friday for _, day, _, _ in appointments)
