"""The citizen's appointments (预约): free places, booking, cancelling, listing. Rules live in
`appointment_rules.py`, the database work in `appointments.py`."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, ConfigDict, Field

from central_server import appointment_rules as rules
from central_server import appointments
from central_server.auth import CitizenSessionRef
from central_server.business_types import CODE_PATTERN
from central_server.context import Context
from central_server.dates import centre_today
from central_server.envelope import CITIZEN_ERRORS, ApiError, Code, Envelope, error_responses, ok
from central_server.intake_schemas import Day

router = APIRouter(prefix="/v1/citizen/appointments", tags=["appointments"])

_DATE_PATTERN = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"


class BookingRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    business: str = Field(pattern=CODE_PATTERN, description="business type code")
    office: str = Field(pattern=CODE_PATTERN, description="office code")
    date: Day
    slot: str = Field(pattern=rules.SLOT_LABEL_PATTERN, description="HH:MM-HH:MM, one of the day's slots")


class AppointmentData(BaseModel):
    booking_id: str
    call_number: str = Field(description="the hall's calling number, e.g. A023")
    business: str
    office: str
    date: dt.date
    slot: str
    state: Literal["booked", "cancelled", "past"] = Field(description="past: booked, and its slot has begun")
    booked_at: dt.datetime


class SlotData(BaseModel):
    slot: str
    places_left: int


class DayData(BaseModel):
    date: dt.date
    slots: list[SlotData]


class SlotsData(BaseModel):
    business: str
    office: str
    days: list[DayData] = Field(description="working days with slots not yet begun, in date order")


def _appointment_data(row: appointments.Appointment, now: dt.datetime) -> AppointmentData:
    state: Literal["booked", "cancelled", "past"] = row.state
    if row.state == "booked" and rules.has_begun(row.day, row.slot_rule, now):
        state = "past"
    return AppointmentData(
        booking_id=row.booking_id,
        call_number=row.call_number,
        business=row.business_code,
        office=row.office,
        date=row.day,
        slot=row.slot,
        state=state,
        booked_at=row.booked_at,
    )


@router.get("/slots", responses=error_responses(Code.BAD_REQUEST, Code.NOT_BOOKABLE, *CITIZEN_ERRORS))
def list_slots(
    context: Context,
    citizen_ref: CitizenSessionRef,
    business: Annotated[str, Query(pattern=CODE_PATTERN)],
    office: Annotated[str, Query(pattern=CODE_PATTERN)],
    from_: Annotated[
        str | None, Query(alias="from", pattern=_DATE_PATTERN, description="first day, YYYY-MM-DD; today")
    ] = None,
    days: Annotated[int, Query(ge=1, le=rules.HORIZON_DAYS)] = rules.HORIZON_DAYS,
) -> Envelope[SlotsData]:
    """Places left per slot from `from` for `days` days, cut at the horizon (today and 13 days after)."""
    now = context.clock()
    first = centre_today(now)
    if from_ is not None:
        try:
            first = dt.date.fromisoformat(from_)
        except ValueError:
            raise ApiError(Code.BAD_REQUEST, "query parameter from: not a calendar date") from None
        if first < centre_today(now):
            raise ApiError(Code.BAD_REQUEST, "query parameter from: before today")
    with context.db.transaction() as session:
        found = appointments.places(session, business, office, first, days, now)
    data = SlotsData(
        business=business,
        office=office,
        days=[
            DayData(date=day.day, slots=[SlotData(slot=s.slot, places_left=s.places_left) for s in day.slots])
            for day in found
        ],
    )
    return ok(context.sequence, data)


@router.post(
    "",
    responses=error_responses(
        Code.BAD_REQUEST, Code.NOT_BOOKABLE, Code.SLOT_FULL, Code.APPOINTMENT_LIMIT, *CITIZEN_ERRORS
    ),
)
def book(body: BookingRequest, context: Context, citizen_ref: CitizenSessionRef) -> Envelope[AppointmentData]:
    """Takes a place in the slot; a citizen holds at most one appointment per business type that has not
    begun."""
    now = context.clock()
    with context.db.transaction() as session:
        row = appointments.book(
            session, citizen_ref.citizen_id, body.business, body.office, body.date, body.slot, now
        )
        data = _appointment_data(row, now)
    return ok(context.sequence, data, "booked")


@router.get("", responses=error_responses(*CITIZEN_ERRORS))
def list_appointments(context: Context, citizen_ref: CitizenSessionRef) -> Envelope[list[AppointmentData]]:
    """The citizen's appointments, the latest slot first."""
    now = context.clock()
    with context.db.transaction() as session:
        data = [
            _appointment_data(row, now) for row in appointments.of_citizen(session, citizen_ref.citizen_id)
        ]
    return ok(context.sequence, data)


@router.delete(
    "/{booking_id}", responses=error_responses(Code.NOT_FOUND, Code.CANCEL_REFUSED, *CITIZEN_ERRORS)
)
def cancel(
    context: Context,
    citizen_ref: CitizenSessionRef,
    booking_id: Annotated[str, Path(pattern=r"^[0-9a-f-]{36}$")],
) -> Envelope[AppointmentData]:
    """Cancels the citizen's own appointment before its slot begins; the place is free again."""
    now = context.clock()
    with context.db.transaction() as session:
        data = _appointment_data(appointments.cancel(session, citizen_ref.citizen_id, booking_id, now), now)
    return ok(context.sequence, data, "cancelled")
