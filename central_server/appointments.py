"""Appointments (预约): the calendars, the per-slot place counters, the bookings, and booking, cancelling and
listing them. The rules themselves are in `appointment_rules.py`.

A slot's places are a counter row per (office, business, day, slot), raised only by a conditional UPDATE
(`booked < capacity`) whose row count says whether a place was taken: two kiosks booking the last place at
once cannot both get it, whether the database serialises writers (SQLite) or locks the row (PostgreSQL).
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Literal

from sqlalchemy import CheckConstraint, ForeignKey, String, UniqueConstraint, select, update
from sqlalchemy.engine import CursorResult
from sqlalchemy.orm import Mapped, Session, mapped_column

from central_server import appointment_rules as rules
from central_server.application_sources import ApplicationSummary
from central_server.business_types import BusinessType
from central_server.db import insert_if_absent
from central_server.envelope import ApiError, Code
from central_server.models import Base, Citizen, UtcDateTime

AppointmentState = Literal["booked", "cancelled"]


class AppointmentCalendar(Base):
    """That an office takes appointments for a business type, and how many places each slot has."""

    __tablename__ = "appointment_calendars"
    __table_args__ = (
        CheckConstraint(f"capacity BETWEEN 1 AND {rules.MAX_CAPACITY}", name="ck_calendar_capacity"),
    )

    office: Mapped[str] = mapped_column(ForeignKey("offices.code"), primary_key=True)
    business_code: Mapped[str] = mapped_column(ForeignKey("business_types.code"), primary_key=True)
    capacity: Mapped[int]


class AppointmentSlot(Base):
    """The places of one slot. Made on the first booking, with the calendar's capacity of that moment."""

    __tablename__ = "appointment_slots"
    __table_args__ = (
        UniqueConstraint("office", "business_code", "day", "start", name="uq_appointment_slot"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    office: Mapped[str] = mapped_column(String(32))
    business_code: Mapped[str] = mapped_column(String(32))
    day: Mapped[dt.date]
    start: Mapped[str] = mapped_column(String(5))  # HH:MM
    capacity: Mapped[int]
    booked: Mapped[int]


class AppointmentNumbers(Base):
    """The calling numbers given out so far for one business at one office on one day; a cancelled
    booking's number is not given again."""

    __tablename__ = "appointment_numbers"

    office: Mapped[str] = mapped_column(String(32), primary_key=True)
    business_code: Mapped[str] = mapped_column(String(32), primary_key=True)
    day: Mapped[dt.date] = mapped_column(primary_key=True)
    issued: Mapped[int]


class Appointment(Base):
    __tablename__ = "appointments"
    __table_args__ = (
        UniqueConstraint("office", "business_code", "day", "call_number", name="uq_appointment_call_number"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # What the kiosk and citizen use; random, so it says nothing about how many bookings there are.
    booking_id: Mapped[str] = mapped_column(String(36), unique=True)
    citizen_id: Mapped[int] = mapped_column(ForeignKey("citizens.id"), index=True)
    office: Mapped[str] = mapped_column(String(32))
    business_code: Mapped[str] = mapped_column(String(32))
    day: Mapped[dt.date]
    slot: Mapped[str] = mapped_column(String(11))  # HH:MM-HH:MM
    call_number: Mapped[str] = mapped_column(String(4))
    state: Mapped[AppointmentState] = mapped_column(String(10))
    booked_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    cancelled_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)

    @property
    def slot_rule(self) -> rules.Slot:
        slot = rules.slot_named(self.slot)
        if slot is None:
            raise ValueError(f"appointment {self.booking_id} has slot {self.slot!r}, which is no slot")
        return slot


@dataclass(frozen=True)
class SlotPlaces:
    slot: str
    places_left: int


@dataclass(frozen=True)
class DayPlaces:
    day: dt.date
    slots: list[SlotPlaces]


def _calendar(session: Session, business_code: str, office: str) -> AppointmentCalendar:
    business = session.get(BusinessType, business_code)
    if business is None:
        raise ApiError(Code.NOT_BOOKABLE, f"no business type {business_code}")
    calendar = session.get(AppointmentCalendar, (office, business_code))
    if not business.bookable or office not in business.offices or calendar is None:
        raise ApiError(Code.NOT_BOOKABLE, f"business {business_code} is not booked at office {office}")
    return calendar


def places(
    session: Session, business_code: str, office: str, first: dt.date, days: int, now: dt.datetime
) -> list[DayPlaces]:
    """Working days from `first` for `days` days, cut at the horizon, with the slots one may still book."""
    calendar = _calendar(session, business_code, office)
    last = min(first + dt.timedelta(days=days - 1), rules.last_bookable_day(now))
    booked = {
        (row.day, row.start): row.capacity - row.booked
        for row in session.scalars(
            select(AppointmentSlot).where(
                AppointmentSlot.office == office,
                AppointmentSlot.business_code == business_code,
                AppointmentSlot.day.between(first, last),
            )
        )
    }
    result = []
    for offset in range((last - first).days + 1):
        day = first + dt.timedelta(days=offset)
        slots = [
            SlotPlaces(slot.label, max(0, booked.get((day, f"{slot.start:%H:%M}"), calendar.capacity)))
            for slot in rules.open_slots(day, now)
        ]
        if slots:
            result.append(DayPlaces(day, slots))
    return result


def book(
    session: Session,
    citizen_id: int,
    business_code: str,
    office: str,
    day: dt.date,
    slot_label: str,
    now: dt.datetime,
) -> Appointment:
    calendar = _calendar(session, business_code, office)
    refusal = rules.booking_refusal(day, slot_label, now)
    if refusal is not None:
        raise ApiError(Code.NOT_BOOKABLE, refusal)
    # The citizen's row is locked (PostgreSQL) so that two kiosks cannot both pass the limit below.
    session.execute(select(Citizen.id).where(Citizen.id == citizen_id).with_for_update())
    for held in _of_citizen(session, citizen_id, business_code):
        if held.state == "booked" and not rules.has_begun(held.day, held.slot_rule, now):
            raise ApiError(
                Code.APPOINTMENT_LIMIT,
                f"the citizen already holds appointment {held.booking_id} for business {business_code}",
            )
    start = slot_label[:5]
    keys = {"office": office, "business_code": business_code, "day": day}
    insert_if_absent(session, AppointmentSlot, **keys, start=start, capacity=calendar.capacity, booked=0)
    taken = session.execute(
        update(AppointmentSlot)
        .where(
            AppointmentSlot.office == office,
            AppointmentSlot.business_code == business_code,
            AppointmentSlot.day == day,
            AppointmentSlot.start == start,
            AppointmentSlot.booked < AppointmentSlot.capacity,
        )
        .values(booked=AppointmentSlot.booked + 1)
        .execution_options(synchronize_session=False)
    )
    if _rowcount(taken) != 1:
        raise ApiError(Code.SLOT_FULL, f"slot {slot_label} on {day.isoformat()} has no place left")
    insert_if_absent(session, AppointmentNumbers, **keys, issued=0)
    numbers = (
        AppointmentNumbers.office == office,
        AppointmentNumbers.business_code == business_code,
        AppointmentNumbers.day == day,
    )
    session.execute(
        update(AppointmentNumbers)
        .where(*numbers)
        .values(issued=AppointmentNumbers.issued + 1)
        .execution_options(synchronize_session=False)
    )
    # Read after the UPDATE, which holds the row's lock until commit: no other booking gets this number.
    issued = session.scalars(select(AppointmentNumbers.issued).where(*numbers)).one()
    letter = session.get_one(BusinessType, business_code).queue_letter
    appointment = Appointment(
        booking_id=str(uuid.uuid4()),
        citizen_id=citizen_id,
        office=office,
        business_code=business_code,
        day=day,
        slot=slot_label,
        call_number=rules.calling_number(letter, issued),
        state="booked",
        booked_at=now,
        cancelled_at=None,
    )
    session.add(appointment)
    session.flush()
    return appointment


def cancel(session: Session, citizen_id: int, booking_id: str, now: dt.datetime) -> Appointment:
    """Cancels the citizen's own appointment before its slot begins and frees its place. Another citizen's
    appointment is answered as unknown, so a booking id says nothing about whose it is."""
    appointment = session.scalars(
        select(Appointment).where(Appointment.booking_id == booking_id, Appointment.citizen_id == citizen_id)
    ).one_or_none()
    if appointment is None:
        raise ApiError(Code.NOT_FOUND, f"no appointment {booking_id} of this citizen")
    if appointment.state == "cancelled":
        raise ApiError(Code.CANCEL_REFUSED, f"appointment {booking_id} is already cancelled")
    if rules.has_begun(appointment.day, appointment.slot_rule, now):
        raise ApiError(
            Code.CANCEL_REFUSED, f"appointment {booking_id} has begun; it can no longer be cancelled"
        )
    # Conditional, so that two cancels at once free one place only.
    cancelled = session.execute(
        update(Appointment)
        .where(Appointment.id == appointment.id, Appointment.state == "booked")
        .values(state="cancelled", cancelled_at=now)
        .execution_options(synchronize_session=False)
    )
    if _rowcount(cancelled) != 1:
        raise ApiError(Code.CANCEL_REFUSED, f"appointment {booking_id} is already cancelled")
    session.execute(
        update(AppointmentSlot)
        .where(
            AppointmentSlot.office == appointment.office,
            AppointmentSlot.business_code == appointment.business_code,
            AppointmentSlot.day == appointment.day,
            AppointmentSlot.start == appointment.slot[:5],
            AppointmentSlot.booked > 0,
        )
        .values(booked=AppointmentSlot.booked - 1)
        .execution_options(synchronize_session=False)
    )
    session.refresh(appointment)
    return appointment


def of_citizen(session: Session, citizen_id: int) -> list[Appointment]:
    """The citizen's appointments, the latest slot first."""
    return _of_citizen(session, citizen_id, None)


def _of_citizen(session: Session, citizen_id: int, business_code: str | None) -> list[Appointment]:
    query = select(Appointment).where(Appointment.citizen_id == citizen_id)
    if business_code is not None:
        query = query.where(Appointment.business_code == business_code)
    return list(
        session.scalars(
            query.order_by(Appointment.day.desc(), Appointment.slot.desc(), Appointment.id.desc())
        )
    )


def _rowcount(result: object) -> int:
    if not isinstance(result, CursorResult):
        raise TypeError("an UPDATE answers with a cursor result")
    return result.rowcount


_APPOINTMENT_STATES = {"booked": ("已预约", "booked"), "cancelled": ("已取消", "cancelled")}


def appointment_summaries(session: Session, citizen_id: int, _now: dt.datetime) -> list[ApplicationSummary]:
    """The citizen's appointments for "my applications": business, day and slot, number and state."""
    rows = session.execute(
        select(Appointment, BusinessType)
        .join(BusinessType, BusinessType.code == Appointment.business_code)
        .where(Appointment.citizen_id == citizen_id)
    ).all()
    summaries = []
    for appointment, business in rows:
        state_zh, state_en = _APPOINTMENT_STATES[appointment.state]
        when = f"{appointment.day.isoformat()} {appointment.slot}"
        summaries.append(
            ApplicationSummary(
                kind="appointment",
                number=appointment.call_number,
                state=appointment.state,
                created_at=appointment.booked_at,
                summary_zh=f"{business.name_zh}，{when}，{state_zh}",
                summary_en=f"{business.name_en}, {when}, {state_en}",
            )
        )
    return summaries
