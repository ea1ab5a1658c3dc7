"""Withdrawal applications at the centre: the table, what the rules are told about a citizen, and applying.

An application is accepted with a claim number and waits for the back office to pay it (state `accepted`,
then `paid`); nothing leaves the balance until then. The payee card's full number is kept in its own column
only while the application waits for payment, because the back office pays to it; it is never returned by
any endpoint, and history rows (paid) keep only the masked form, BIN + last 4.

The claim number is the kiosk's own, so the receipt it prints while the centre is unreachable shows the
number the centre will show: `TQ` + `transaction_numbers.kiosk_code(terminal id, idempotency key)`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy import BigInteger, ForeignKey, Index, String, UniqueConstraint, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column

from central_server.alerts import watch as alert_watch
from central_server.application_sources import ApplicationSummary
from central_server.dates import CENTRE_TZ, centre_today
from central_server.models import Account, Base, Citizen, UtcDateTime
from central_server.withdrawal_rules import (
    REASON_NAMES,
    CitizenFacts,
    Reason,
    Refusal,
    assess,
)
from kiosk.masking import mask_bank_card
from kiosk.transaction_numbers import kiosk_code

WithdrawalState = Literal["accepted", "paid"]
CLAIM_PREFIX = "TQ"
STATE_TEXTS: dict[str, tuple[str, str]] = {"accepted": ("已受理", "accepted"), "paid": ("已到账", "paid")}


class WithdrawalApplicationRow(Base):
    __tablename__ = "withdrawal_applications"
    __table_args__ = (
        Index("ix_withdrawal_applications_citizen", "citizen_id", "created_at"),
        UniqueConstraint("terminal_id", "idempotency_key", name="uq_withdrawal_application_item"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    claim_number: Mapped[str] = mapped_column(String(20), unique=True)
    citizen_id: Mapped[int] = mapped_column(ForeignKey("citizens.id"))
    reason: Mapped[str] = mapped_column(String(2))
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    payee_card_masked: Mapped[str] = mapped_column(String(19))
    # Only while the application waits for payment; None once paid. Never returned by an endpoint.
    payee_pan: Mapped[str | None] = mapped_column(String(19))
    state: Mapped[WithdrawalState] = mapped_column(String(10))
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    # The intake item that filed it; None for the seeded history, which no kiosk filed.
    terminal_id: Mapped[str | None] = mapped_column(String(64))
    idempotency_key: Mapped[str | None] = mapped_column(String(64))


def claim_number(terminal_id: str, idempotency_key: str) -> str:
    """`TQ` and the kiosk code of the item: what the kiosk prints and the centre records."""
    return CLAIM_PREFIX + kiosk_code(terminal_id, idempotency_key)


@dataclass(frozen=True)
class WithdrawalRequest:
    """What a kiosk files: the reason, the amount and the citizen's own bank card (checked by the intake)."""

    reason: Reason
    amount_fen: int
    bank_pan: str

    @classmethod
    def from_payload(cls, payload: dict[str, Any]) -> WithdrawalRequest:
        """From a checked `withdrawal_application` intake payload."""
        return cls(Reason(payload["withdrawal_type"]), payload["amount_fen"], payload["bank_pan"])


@dataclass(frozen=True)
class Accepted:
    claim_number: str


@dataclass(frozen=True)
class Refused:
    refusal: Refusal

    @property
    def intake_reason(self) -> str:
        """For the intake's `reason` of a rejected item: the code, never a value."""
        return f"withdrawal refused: {self.refusal.value}"


@dataclass(frozen=True)
class ClaimNumberHeld:
    """Another item's application holds this item's claim number (a hash clash, about one in 10^12 pairs)."""

    claim_number: str

    @property
    def intake_reason(self) -> str:
        return (
            f"withdrawal claim number {self.claim_number} is held by another application; this one was not "
            "recorded (the citizen applies at the counter)"
        )


def citizen_facts(session: Session, citizen: Citizen) -> CitizenFacts:
    """What the rules are told about `citizen`, from the centre's records."""
    account = citizen.account
    rows = session.execute(
        select(
            WithdrawalApplicationRow.reason,
            WithdrawalApplicationRow.state,
            WithdrawalApplicationRow.created_at,
        ).where(WithdrawalApplicationRow.citizen_id == citizen.id)
    ).all()
    last: dict[Reason, dt.date] = {}
    for reason, _state, created_at in rows:
        day = created_at.astimezone(CENTRE_TZ).date()
        last[Reason(reason)] = max(day, last.get(Reason(reason), day))
    loan = citizen.loan
    outstanding = 0
    if loan is not None:
        outstanding = loan.principal_fen - sum(row.principal_fen for row in loan.instalments if row.paid)
    return CitizenFacts(
        account_status=account.status,
        balance_fen=account.balance_fen,
        birth_date=birth_date_of(citizen.id_number),
        loan_outstanding_fen=outstanding,
        rent_withdrawals=tuple(
            created_at.astimezone(CENTRE_TZ).date() for reason, _, created_at in rows if reason == Reason.RENT
        ),
        last_withdrawal=tuple(last.items()),
        pending=frozenset(Reason(reason) for reason, state, _ in rows if state == "accepted"),
    )


def birth_date_of(id_number: str) -> dt.date:
    """The birth date in digits 7-14 of a GB 11643 ID number."""
    return dt.datetime.strptime(id_number[6:14], "%Y%m%d").date()


def apply_withdrawal(
    session: Session,
    citizen: Citizen,
    request: WithdrawalRequest,
    *,
    terminal_id: str,
    idempotency_key: str,
    now: dt.datetime,
) -> Accepted | Refused | ClaimNumberHeld:
    """Re-assesses the reason for this citizen now and, when it holds, records the application under the
    claim number the kiosk printed. Applying the same item (terminal and key) again gives the same claim
    number and records nothing more.

    The citizen's account row is locked first, so two applications of one citizen are decided one after the
    other (on PostgreSQL by the row lock, on SQLite by its single writer): the second sees the first as
    pending. Nothing is deducted from the balance; the back office pays."""
    number = claim_number(terminal_id, idempotency_key)
    # Before the rules: the item's own application, already recorded, would count as pending against it.
    existing = session.scalars(
        select(WithdrawalApplicationRow).where(WithdrawalApplicationRow.claim_number == number)
    ).one_or_none()
    if existing is not None:
        if (existing.terminal_id, existing.idempotency_key) == (terminal_id, idempotency_key):
            return Accepted(number)
        return ClaimNumberHeld(number)
    session.scalars(select(Account).where(Account.id == citizen.account.id).with_for_update()).one()
    assessment = assess(citizen_facts(session, citizen), request.reason, centre_today(now))
    if assessment.refusal is not None:
        return Refused(assessment.refusal)
    if assessment.counter_only:
        return Refused(Refusal.COUNTER_ONLY)
    if request.amount_fen > assessment.max_fen:
        return Refused(Refusal.AMOUNT_OVER_MAXIMUM)
    row = WithdrawalApplicationRow(
        claim_number=number,
        citizen_id=citizen.id,
        reason=request.reason.value,
        amount_fen=request.amount_fen,
        payee_card_masked=mask_bank_card(request.bank_pan),
        payee_pan=request.bank_pan,
        state="accepted",
        created_at=now,
        terminal_id=terminal_id,
        idempotency_key=idempotency_key,
    )
    # A savepoint: another worker may record the same claim number between the look-up and this insert,
    # and the clash must refuse this item only, not roll back the rest of its batch.
    try:
        with session.begin_nested():
            session.add(row)
    except IntegrityError:
        return ClaimNumberHeld(number)
    alert_watch.withdrawal_applied(
        session,
        id_number=citizen.id_number,
        pan=request.bank_pan,
        reference=number,
        terminal_id=terminal_id,
        now=now,
    )
    return Accepted(number)


def withdrawal_summaries(session: Session, citizen_id: int, _now: dt.datetime) -> list[ApplicationSummary]:
    """The citizen's withdrawal applications for "my applications"; the card masked."""
    rows = session.scalars(
        select(WithdrawalApplicationRow).where(WithdrawalApplicationRow.citizen_id == citizen_id)
    ).all()
    return [
        ApplicationSummary(
            kind="withdrawal",
            number=row.claim_number,
            state=row.state,
            created_at=row.created_at,
            summary_zh=f"{REASON_NAMES[Reason(row.reason)].zh}，{STATE_TEXTS[row.state][0]}",
            summary_en=f"{REASON_NAMES[Reason(row.reason)].en}, {STATE_TEXTS[row.state][1]}",
            amount_fen=row.amount_fen,
            card_masked=row.payee_card_masked,
        )
        for row in rows
    ]
