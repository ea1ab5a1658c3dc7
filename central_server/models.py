"""Database tables (SQLAlchemy 2 declarative). Money columns are integer fen; rates are basis points."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from sqlalchemy import BigInteger, DateTime, Dialect, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator

AccountStatus = Literal["normal", "sealed", "closed"]
RecordKind = Literal["remit", "back_pay", "withdrawal", "interest", "transfer_in", "transfer_out"]
# GB/T 2261.1 sexes, as the contract spells them.
Gender = Literal["male", "female", "unknown", "unspecified"]


class Base(DeclarativeBase):
    pass


class Unit(Base):
    """A depositing employer (单位)."""

    __tablename__ = "units"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_no: Mapped[str] = mapped_column(String(20), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    office: Mapped[str] = mapped_column(String(50))


class Citizen(Base):
    """A depositing employee: the ID card face and the query password."""

    __tablename__ = "citizens"

    id: Mapped[int] = mapped_column(primary_key=True)
    id_number: Mapped[str] = mapped_column(String(18), unique=True)
    name: Mapped[str] = mapped_column(String(64))
    gender: Mapped[Gender] = mapped_column(String(11))
    nation: Mapped[str] = mapped_column(String(16))
    birth_date: Mapped[dt.date]
    address: Mapped[str] = mapped_column(String(100))
    issuing_authority: Mapped[str] = mapped_column(String(50))
    card_valid_from: Mapped[dt.date]
    # None is a long-term (长期) card.
    card_valid_to: Mapped[dt.date | None]
    password_hash: Mapped[str] = mapped_column(String(200))

    account: Mapped[Account] = relationship(back_populates="citizen")
    loan: Mapped[Loan | None] = relationship(back_populates="citizen")


class Account(Base):
    """The personal HPF account (个人账户)."""

    __tablename__ = "accounts"

    id: Mapped[int] = mapped_column(primary_key=True)
    citizen_id: Mapped[int] = mapped_column(ForeignKey("citizens.id"), unique=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    account_no: Mapped[str] = mapped_column(String(20), unique=True)
    status: Mapped[AccountStatus] = mapped_column(String(10))
    deposit_base_fen: Mapped[int] = mapped_column(BigInteger)
    unit_rate_bp: Mapped[int]
    personal_rate_bp: Mapped[int]
    monthly_deposit_fen: Mapped[int] = mapped_column(BigInteger)
    balance_fen: Mapped[int] = mapped_column(BigInteger)
    opened_on: Mapped[dt.date]
    paid_up_to: Mapped[str] = mapped_column(String(7))

    citizen: Mapped[Citizen] = relationship(back_populates="account")
    unit: Mapped[Unit] = relationship()
    records: Mapped[list[DepositRecord]] = relationship(order_by="DepositRecord.id")


class DepositRecord(Base):
    """One line of 缴存明细; `balance_fen` is the running balance after it."""

    __tablename__ = "deposit_records"
    __table_args__ = (Index("ix_deposit_records_account_date", "account_id", "posted_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"))
    posted_on: Mapped[dt.date]
    kind: Mapped[RecordKind] = mapped_column(String(12))
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    balance_fen: Mapped[int] = mapped_column(BigInteger)
    period: Mapped[str] = mapped_column(String(7))


class Loan(Base):
    """An HPF housing loan; balance, overdue and next due date follow from the plan and today's date."""

    __tablename__ = "loans"

    id: Mapped[int] = mapped_column(primary_key=True)
    citizen_id: Mapped[int] = mapped_column(ForeignKey("citizens.id"), unique=True)
    contract_no: Mapped[str] = mapped_column(String(30), unique=True)
    principal_fen: Mapped[int] = mapped_column(BigInteger)
    annual_rate_bp: Mapped[int]
    term_months: Mapped[int]
    monthly_payment_fen: Mapped[int] = mapped_column(BigInteger)
    start_date: Mapped[dt.date]

    citizen: Mapped[Citizen] = relationship(back_populates="loan")
    instalments: Mapped[list[LoanInstalment]] = relationship(order_by="LoanInstalment.period")


class LoanInstalment(Base):
    __tablename__ = "loan_instalments"
    __table_args__ = (Index("ix_loan_instalments_loan_period", "loan_id", "period", unique=True),)

    id: Mapped[int] = mapped_column(primary_key=True)
    loan_id: Mapped[int] = mapped_column(ForeignKey("loans.id"))
    period: Mapped[int]
    due_date: Mapped[dt.date]
    principal_fen: Mapped[int] = mapped_column(BigInteger)
    interest_fen: Mapped[int] = mapped_column(BigInteger)
    remaining_fen: Mapped[int] = mapped_column(BigInteger)
    paid: Mapped[bool]


class TerminalToken(Base):
    __tablename__ = "terminal_tokens"

    token_digest: Mapped[str] = mapped_column(String(64), primary_key=True)
    terminal_id: Mapped[str] = mapped_column(String(64))
    expires_at: Mapped[int] = mapped_column(BigInteger)  # Unix seconds


class CitizenSession(Base):
    __tablename__ = "citizen_sessions"

    token_digest: Mapped[str] = mapped_column(String(64), primary_key=True)
    citizen_id: Mapped[int] = mapped_column(ForeignKey("citizens.id"))
    terminal_id: Mapped[str] = mapped_column(String(64))
    expires_at: Mapped[int] = mapped_column(BigInteger)  # Unix seconds


class VisitKeys(Base):
    """The centre's own secrets for visit tickets (visit_keys.py): one row, made on first start, so every
    worker signs and checks with the same keys and none of them lives in code or configuration."""

    __tablename__ = "visit_keys"

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_key: Mapped[str] = mapped_column(String(64))  # hex, HMAC-SHA256 key of the tickets
    citizen_ref_key: Mapped[str] = mapped_column(String(64))  # hex, HMAC key of citizen references


class CitizenReference(Base):
    """Which citizen a pseudonymous reference stands for; written at sign-in, read when a ticket's
    transaction names a citizen."""

    __tablename__ = "citizen_references"

    ref: Mapped[str] = mapped_column(String(40), primary_key=True)
    citizen_id: Mapped[int] = mapped_column(ForeignKey("citizens.id"), unique=True)


class UtcDateTime(TypeDecorator[dt.datetime]):
    """An instant, stored in UTC and read back as aware UTC. SQLite keeps no offset, so without this
    10:00+08:00 and 10:00+00:00 would be stored as the same wall time; a naive datetime is refused."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        if value.utcoffset() is None:
            raise ValueError("a naive datetime is not an instant: give it an offset")
        return value.astimezone(dt.UTC)

    def process_result_value(self, value: dt.datetime | None, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


class IntakeRecord(Base):
    """One transaction a kiosk forwarded, applied at most once per (terminal, idempotency key).

    The unique constraint is the guarantee; the route's look-up only spares the error. A rejected item is
    kept too, so a retry of its key gets the first answer again; the digest tells a retry from another
    transaction sent under a used key."""

    __tablename__ = "intake_records"
    __table_args__ = (
        UniqueConstraint("terminal_id", "idempotency_key", name="uq_intake_terminal_key"),
        # The customer view (crm/routes.py) reads one citizen's applications, newest first.
        Index("ix_intake_records_citizen", "citizen_ref", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    terminal_id: Mapped[str] = mapped_column(String(64))
    idempotency_key: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(40))
    status: Mapped[Literal["accepted", "rejected"]] = mapped_column(String(10))
    reason: Mapped[str | None] = mapped_column(String(200))
    # SHA-256 (hex) of the kind and payload as sent, in canonical JSON (routes/intake.py).
    payload_digest: Mapped[str] = mapped_column(String(64))
    # The payload as checked (JSON text of the kind's model dump, never as sent); None when rejected: the
    # centre keeps no data it refused, nor the created_at of such an item.
    payload: Mapped[str | None] = mapped_column(Text)
    kiosk_created_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)
    received_at: Mapped[int] = mapped_column(BigInteger)  # Unix seconds
    # The pseudonymous reference of the visit ticket's citizen (visit_ticket.py); None when accepted
    # without a ticket (kinds that name no citizen) or rejected.
    citizen_ref: Mapped[str | None] = mapped_column(String(40))
    # What the answer names for an accepted item (routes/intake.py), kept so a resend names the same;
    # None when rejected.
    reference: Mapped[str | None] = mapped_column(String(20))
