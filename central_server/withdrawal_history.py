"""Synthetic withdrawal applications behind the seeded ledgers, so the withdrawal rules have history to bite
on: rent withdrawals already made this year, a loan repayment already made this year, past purchases.

Each `withdrawal` record of the current and the previous calendar year becomes a paid application of the
reason that fits the seeded citizen: a borrower's withdrawal in the loan's first month is the purchase and the
others are repayments; the one that empties a closed account is its closing; a citizen with no loan who
withdrew the same amount more than once rents, and a single withdrawal is a purchase."""

from __future__ import annotations

import datetime as dt
from collections import Counter

from sqlalchemy import select
from sqlalchemy.orm import Session

from central_server.dates import CENTRE_TZ, month_index
from central_server.models import Citizen, DepositRecord
from central_server.withdrawal_rules import Reason
from central_server.withdrawals import WithdrawalApplicationRow, claim_number

# Synthetic card numbers of the history rows start with this made-up BIN; only BIN and last 4 are kept.
HISTORY_BIN = "629900"
# The history was filed at counters, not kiosks: its claim numbers follow the kiosks' recipe with this
# made-up terminal and the deposit record's id, so they are unique and look like any other.
HISTORY_TERMINAL = "COUNTER-HISTORY"
_FILED_AT = dt.time(10, 0)


def seed_withdrawal_history(session: Session, today: dt.date) -> None:
    """Adds the paid applications behind the seeded withdrawals; run once, right after the seeding."""
    first_day = dt.date(today.year - 1, 1, 1)
    for citizen in session.scalars(select(Citizen).order_by(Citizen.id)):
        records = [record for record in citizen.account.records if record.kind == "withdrawal"]
        amounts = Counter(record.amount_fen for record in records)
        for record in records:
            if record.posted_on < first_day:
                continue
            reason = _reason(citizen, record, amounts)
            session.add(
                WithdrawalApplicationRow(
                    claim_number=claim_number(HISTORY_TERMINAL, f"deposit-record-{record.id}"),
                    citizen_id=citizen.id,
                    reason=reason.value,
                    amount_fen=-record.amount_fen,
                    payee_card_masked=f"{HISTORY_BIN}******{citizen.id * 37 % 10_000:04d}",
                    payee_pan=None,
                    state="paid",
                    created_at=dt.datetime.combine(record.posted_on, _FILED_AT, CENTRE_TZ),
                )
            )
    session.flush()


def _reason(citizen: Citizen, record: DepositRecord, amounts: Counter[int]) -> Reason:
    if citizen.loan is not None:
        if month_index(record.posted_on) == month_index(citizen.loan.start_date):
            return Reason.HOUSE_PURCHASE
        return Reason.LOAN_REPAYMENT
    if citizen.account.status == "closed" and record.balance_fen == 0:
        return Reason.ACCOUNT_CLOSING
    return Reason.RENT if amounts[record.amount_fen] > 1 else Reason.HOUSE_PURCHASE
