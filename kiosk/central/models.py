"""The contract's data, as the kiosk reads it. Parsing is strict: a malformed answer is the centre's fault
and is treated as the centre being unavailable, never shown half-parsed to a citizen."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict


class _Model(BaseModel):
    # Extra fields are allowed so an additive change at the centre does not break deployed kiosks.
    # defer_build: the validators are built on first use (on a worker), not while the kiosk starts.
    model_config = ConfigDict(extra="ignore", frozen=True, defer_build=True)


class Health(_Model):
    server_time: datetime
    version: str


class TerminalToken(_Model):
    token: str
    expires_in: int


class CitizenSession(_Model):
    session_token: str
    expires_in: int
    # Optional until every centre the kiosk talks to issues them (docs/central-api.md).
    visit_ticket: str | None = None
    citizen_ref: str | None = None


class Account(_Model):
    account_no: str
    name: str
    id_number: str
    status: Literal["normal", "sealed", "closed"]
    unit_account_no: str
    unit_name: str
    office: str
    deposit_base_fen: int
    unit_rate_bp: int
    personal_rate_bp: int
    monthly_deposit_fen: int
    balance_fen: int
    last_year_balance_fen: int
    year_deposits_fen: int
    year_withdrawals_fen: int
    opened_on: date
    paid_up_to: str
    has_loan: bool


class DepositRecord(_Model):
    date: date
    type: Literal["remit", "back_pay", "withdrawal", "interest", "transfer_in", "transfer_out"]
    amount_fen: int
    balance_fen: int
    period: str


class DepositPage(_Model):
    items: list[DepositRecord]
    page: int
    page_size: int
    total: int


class PlanRow(_Model):
    period: int
    due_date: date
    principal_fen: int
    interest_fen: int
    remaining_fen: int
    paid: bool


class Loan(_Model):
    contract_no: str
    principal_fen: int
    balance_fen: int
    annual_rate_bp: int
    term_months: int
    monthly_payment_fen: int
    next_due_date: date | None
    overdue_fen: int
    start_date: date
    plan: list[PlanRow]


class DemoCard(_Model):
    name: str
    gender: str
    nation: str
    birth_date: date
    address: str
    id_number: str
    issuing_authority: str
    valid_from: date
    valid_to: str
    status: str
    has_loan: bool


class IntakeResult(_Model):
    """The centre's answer to one forwarded transaction (POST /v1/intake/batch)."""

    idempotency_key: str
    status: Literal["accepted", "duplicate", "rejected", "conflict"]
    reason: str | None = None
    reference: str | None = None
