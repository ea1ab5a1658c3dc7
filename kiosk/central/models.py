"""The contract's data, as the kiosk reads it. Parsing is strict: a malformed answer is the centre's fault
and is treated as the centre being unavailable, never shown half-parsed to a citizen."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator


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


# -- citizen services -------------------------------------------------------------------------------------
# These answers are printed (certificates) or decide what a citizen may apply for (withdrawal options), so
# a field the kiosk does not know could change what the others mean: the kiosk refuses the answer rather
# than print or act on part of it. The centre refuses unknown request fields the same way.


class _StrictModel(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)


class Bilingual(_StrictModel):
    zh: str
    en: str


class WithdrawalRefusal(_StrictModel):
    """Why a reason is not allowed today: a stable code and one short sentence saying what to do."""

    code: str
    zh: str
    en: str


class WithdrawalOption(_StrictModel):
    code: str
    name: Bilingual
    allowed: bool
    refusal: WithdrawalRefusal | None
    max_fen: int
    materials: list[Bilingual]
    counter_only: bool


class WithdrawalOptions(_StrictModel):
    """GET /v1/citizen/withdrawal/options: every reason, in code order; counter-only ones at `office`."""

    office: str
    options: list[WithdrawalOption]


class ApplicationSummary(_StrictModel):
    kind: Literal["withdrawal", "appointment", "pre_registration"]
    number: str
    state: str
    created_at: AwareDatetime
    summary_zh: str
    summary_en: str
    amount_fen: int | None
    card_masked: str | None


class ApplicationList(_StrictModel):
    """GET /v1/citizen/applications: newest first, at most 100."""

    items: list[ApplicationSummary]


class AdviceItem(_StrictModel):
    """One piece of advice for the overview: a sentence in each language and the service its button opens."""

    code: str
    zh: str
    en: str
    action: Literal["deposits", "loan", "withdrawal", "appointment", "status"] | None
    priority: int


class AdviceList(_StrictModel):
    """GET /v1/citizen/advice: most urgent first, at most 3."""

    items: list[AdviceItem] = Field(max_length=3)


class Office(_StrictModel):
    code: str
    name_zh: str
    name_en: str


class BusinessType(_StrictModel):
    code: str
    name_zh: str
    name_en: str
    materials_zh: list[str]
    materials_en: list[str]
    bookable: bool
    pre_registrable: bool
    offices: list[str]


class Catalogue(_StrictModel):
    """GET /v1/business-types: cached by the kiosk (with its ETag) for offline pre-registration."""

    offices: list[Office]
    business_types: list[BusinessType]


class SlotPlaces(_StrictModel):
    slot: str
    places_left: int


class SlotDay(_StrictModel):
    date: date
    slots: list[SlotPlaces]


class AppointmentSlots(_StrictModel):
    """GET /v1/citizen/appointments/slots: working days in order, each with its slots not yet begun."""

    business: str
    office: str
    days: list[SlotDay]


class Appointment(_StrictModel):
    booking_id: str
    call_number: str
    business: str
    office: str
    date: date
    slot: str
    state: Literal["booked", "cancelled", "past"]
    booked_at: AwareDatetime


class _CertificateHolder(_StrictModel):
    # Unmasked: the kiosk masks these on paper (kiosk/masking.py).
    name: str
    id_number: str
    account_no: str


class DepositFacts(_CertificateHolder):
    kind: Literal["deposit"]
    unit_name: str
    opened_on: date
    status: Literal["normal", "sealed", "closed"]
    deposit_base_fen: int
    unit_rate_bp: int
    personal_rate_bp: int
    monthly_deposit_fen: int
    balance_fen: int
    loan_record: Literal["none", "repaying", "settled"]
    period_from: str
    period_to: str


class LoanSettledFacts(_CertificateHolder):
    kind: Literal["loan_settled"]
    contract_no: str
    principal_fen: int
    annual_rate_bp: int
    term_months: int
    start_date: date
    settled_on: date


class StatementLine(_StrictModel):
    date: date
    type: Literal["remit", "back_pay", "withdrawal", "interest", "transfer_in", "transfer_out"]
    amount_fen: int
    balance_fen: int


class StatementFacts(_CertificateHolder):
    kind: Literal["statement"]
    period_from: str
    period_to: str
    opening_balance_fen: int
    closing_balance_fen: int
    records: list[StatementLine]


class IssuedCertificate(_StrictModel):
    """POST /v1/citizen/certificates: the facts to print, the code and the URLs for the QR code and text."""

    kind: Literal["deposit", "loan_settled", "statement"]
    code: str
    issued_at: AwareDatetime
    verify_url: str
    verify_form_url: str
    facts: Annotated[DepositFacts | LoanSettledFacts | StatementFacts, Field(discriminator="kind")]

    @model_validator(mode="after")
    def _facts_match_kind(self) -> IssuedCertificate:
        # A deposit certificate's heading over a statement's figures would be a false document.
        if self.facts.kind != self.kind:
            raise ValueError(f"facts are of kind {self.facts.kind}, the certificate of kind {self.kind}")
        return self


class StaffAccount(_Model):
    """One hall staff account of GET /v1/terminal/staff: no name, only the PIN's slow hash."""

    staff_id: str = Field(pattern=r"^[0-9]{6}$")
    pin_hash: str = Field(pattern=r"^scrypt\$[0-9]+\$[0-9]+\$[0-9]+\$[0-9a-f]+\$[0-9a-f]+$", max_length=400)
    role: Literal["hall_staff", "technician"]
    active: bool = True


class StaffRoster(_Model):
    """GET /v1/terminal/staff: cached by the kiosk (with its ETag) so staff can sign in offline."""

    staff: list[StaffAccount]
