"""Request bodies and the `data` of each response, as the contract names them."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from central_server.models import AccountStatus, Gender, RecordKind

# [0-9] rather than \d: the regex engine's \d also matches non-ASCII digits.
MONTH_PATTERN = r"^[0-9]{4}-(0[1-9]|1[0-2])$"
Month = Annotated[str, Field(pattern=MONTH_PATTERN, description="YYYY-MM")]
Fen = Annotated[int, Field(description="money in fen")]
BasisPoints = Annotated[int, Field(description="1200 = 12%")]


class HealthData(BaseModel):
    server_time: dt.datetime = Field(description="UTC, for the kiosk's clock-skew check")
    version: str


class TerminalAuthRequest(BaseModel):
    terminal_id: str = Field(pattern=r"^[A-Za-z0-9._-]{1,64}$", description="must equal X-Terminal-Id")
    secret: str = Field(min_length=1, max_length=256)


class TerminalTokenData(BaseModel):
    token: str
    expires_in: int = Field(description="seconds")


class SessionRequest(BaseModel):
    model_config = ConfigDict(str_strip_whitespace=True)

    id_number: str = Field(pattern=r"^[0-9]{17}[0-9X]$", description="from the ID card chip")
    name: str = Field(
        min_length=1, max_length=64, description="from the ID card chip; must match the account"
    )
    password: str = Field(pattern=r"^[0-9]{6}$", description="the 6-digit query password")


class SessionData(BaseModel):
    session_token: str
    expires_in: int = Field(description="seconds; each use of the session extends it")
    visit_ticket: str = Field(
        description="signed by the centre for this citizen at this terminal, valid 30 minutes; every "
        "transaction of the visit carries it to the intake"
    )
    citizen_ref: str = Field(
        description="the citizen's pseudonymous reference, the same at every visit; never an identifier"
    )


class AccountData(BaseModel):
    account_no: str
    name: str
    id_number: str
    status: AccountStatus = Field(description="normal 正常, sealed 封存, closed 销户")
    unit_account_no: str
    unit_name: str
    office: str
    deposit_base_fen: Fen
    unit_rate_bp: BasisPoints
    personal_rate_bp: BasisPoints
    monthly_deposit_fen: Fen
    balance_fen: Fen
    last_year_balance_fen: Fen = Field(description="balance at the end of last calendar year")
    year_deposits_fen: Fen = Field(description="remit and back_pay this calendar year")
    year_withdrawals_fen: Fen = Field(description="withdrawals this calendar year, as a positive amount")
    opened_on: dt.date
    paid_up_to: Month
    has_loan: bool


class DepositItem(BaseModel):
    date: dt.date
    type: RecordKind
    amount_fen: Fen = Field(description="negative for money leaving the account")
    balance_fen: Fen = Field(description="balance after this record")
    period: Month = Field(description="the month a remit or back_pay pays for; else the month of the record")


class DepositPage(BaseModel):
    items: list[DepositItem] = Field(description="newest first")
    page: int
    page_size: int
    total: int


class PlanRow(BaseModel):
    period: int = Field(description="1 for the first instalment")
    due_date: dt.date
    principal_fen: Fen
    interest_fen: Fen
    remaining_fen: Fen = Field(description="principal left after this instalment")
    paid: bool


class LoanData(BaseModel):
    contract_no: str
    principal_fen: Fen
    balance_fen: Fen = Field(description="principal not yet repaid")
    annual_rate_bp: BasisPoints
    term_months: int
    monthly_payment_fen: Fen = Field(description="equal instalment (等额本息); the last one may differ")
    next_due_date: dt.date | None = Field(description="first unpaid instalment due today or later")
    overdue_fen: Fen = Field(description="unpaid principal and interest of instalments due before today")
    start_date: dt.date
    plan: list[PlanRow]


class DemoCard(BaseModel):
    name: str
    gender: Gender
    nation: str
    birth_date: dt.date
    address: str
    id_number: str
    issuing_authority: str
    valid_from: dt.date
    valid_to: str = Field(description="YYYY-MM-DD, or long_term for a long-term (长期) card")
    status: AccountStatus
    has_loan: bool
