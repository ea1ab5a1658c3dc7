"""Synthetic settled loans for a few citizens, so the demo can issue a loan-settlement certificate."""

from __future__ import annotations

import random
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from central_server.dates import add_months
from central_server.loan_history import SettledLoan
from central_server.models import Citizen, Loan

SETTLED_LOAN_COUNT = 4
_TERMS = (60, 120, 180)
_RATES_BP = (325, 375, 450)


def seed_settled_loans(session: Session, *, seed: int, today: date) -> None:
    """Loans that ran their full term and ended 1 to 48 months ago, for citizens without a live loan whose
    account was opened before the loan started. Its own random stream, so the rest of the data set stays
    as it was for the same seed."""
    rng = random.Random(f"settled-loans-{seed}")
    with_live_loan = select(Loan.citizen_id)
    citizens = list(
        session.scalars(select(Citizen).where(Citizen.id.not_in(with_live_loan)).order_by(Citizen.id))
    )
    rng.shuffle(citizens)
    made = 0
    for citizen in citizens:
        if made == SETTLED_LOAN_COUNT:
            break
        term = rng.choice(_TERMS)
        start = add_months(today.replace(day=rng.randint(1, 28)), -(term + rng.randint(1, 48)))
        if citizen.account.opened_on >= start:
            continue
        made += 1
        session.add(
            SettledLoan(
                citizen_id=citizen.id,
                contract_no=f"DK{start:%Y}{citizen.id_number[:6]}9{made:03d}",
                principal_fen=rng.randrange(20, 81) * 10_000 * 100,
                annual_rate_bp=rng.choice(_RATES_BP),
                term_months=term,
                start_date=start,
                settled_on=add_months(start, term),
            )
        )
