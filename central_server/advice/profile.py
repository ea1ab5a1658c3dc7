"""What the advice rules are told about a citizen, read from the centre's tables in a few small queries."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from central_server.advice.rules import Named, Profile, UpcomingAppointment, WaitingPreRegistration
from central_server.appointments import Appointment
from central_server.business_types import BusinessType, Office
from central_server.dates import month_index
from central_server.models import Citizen, Loan, LoanInstalment
from central_server.preregistration import PreRegistrationRecord
from central_server.withdrawals import citizen_facts


def citizen_profile(session: Session, citizen: Citizen, today: dt.date) -> Profile:
    overdue = session.scalar(
        select(func.count())
        .select_from(LoanInstalment)
        .join(Loan, Loan.id == LoanInstalment.loan_id)
        .where(Loan.citizen_id == citizen.id, LoanInstalment.due_date < today, LoanInstalment.paid.is_(False))
    )
    year, month = (int(part) for part in citizen.account.paid_up_to.split("-"))
    return Profile(
        withdrawal=citizen_facts(session, citizen),
        last_paid_month=month_index(dt.date(year, month, 1)),
        overdue_instalments=overdue or 0,
        appointments=_appointments(session, citizen.id, today),
        pre_registrations=_pre_registrations(session, citizen.id, today),
    )


def _appointments(session: Session, citizen_id: int, today: dt.date) -> tuple[UpcomingAppointment, ...]:
    rows = session.execute(
        select(Appointment.day, Appointment.slot, BusinessType, Office)
        .join(BusinessType, BusinessType.code == Appointment.business_code)
        .join(Office, Office.code == Appointment.office)
        .where(Appointment.citizen_id == citizen_id, Appointment.state == "booked", Appointment.day >= today)
    ).all()
    return tuple(
        UpcomingAppointment(
            day=day,
            slot=slot,
            business=Named(business.name_zh, business.name_en),
            office=Named(office.name_zh, office.name_en),
        )
        for day, slot, business, office in rows
    )


def _pre_registrations(
    session: Session, citizen_id: int, today: dt.date
) -> tuple[WaitingPreRegistration, ...]:
    rows = session.execute(
        select(PreRegistrationRecord.valid_until, BusinessType)
        .join(BusinessType, BusinessType.code == PreRegistrationRecord.business_code)
        .where(
            PreRegistrationRecord.citizen_id == citizen_id,
            PreRegistrationRecord.state == "waiting",
            PreRegistrationRecord.valid_until >= today,
        )
    ).all()
    return tuple(
        WaitingPreRegistration(business=Named(business.name_zh, business.name_en), valid_until=valid_until)
        for valid_until, business in rows
    )
