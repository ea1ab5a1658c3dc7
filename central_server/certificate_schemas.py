"""The certificate request and the facts each kind of certificate prints."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from central_server.models import AccountStatus, RecordKind
from central_server.schemas import BasisPoints, Fen, Month

CertificateKind = Literal["deposit", "loan_settled", "statement"]
LoanRecord = Literal["none", "repaying", "settled"]


class _Strict(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid")


class DepositRequest(_Strict):
    kind: Literal["deposit"]


class LoanSettledRequest(_Strict):
    kind: Literal["loan_settled"]


class StatementRequest(_Strict):
    kind: Literal["statement"]
    from_: Month = Field(alias="from", description="first month, YYYY-MM")
    to: Month = Field(description="last month, YYYY-MM; at most 24 months after from, inclusive")


CertificateRequest = Annotated[
    DepositRequest | LoanSettledRequest | StatementRequest, Field(discriminator="kind")
]


class _Holder(BaseModel):
    name: str
    id_number: str
    account_no: str


class DepositFacts(_Holder):
    """个人缴存证明."""

    kind: Literal["deposit"] = "deposit"
    unit_name: str
    opened_on: dt.date
    status: AccountStatus
    deposit_base_fen: Fen
    unit_rate_bp: BasisPoints
    personal_rate_bp: BasisPoints
    monthly_deposit_fen: Fen
    balance_fen: Fen
    loan_record: LoanRecord = Field(
        description="none 无贷款记录, repaying 有贷款未结清, settled 贷款已结清 (no live loan, a settled one)"
    )
    period_from: Month = Field(description="the month the account was opened")
    period_to: Month = Field(description="paid up to (缴至年月)")


class LoanSettledFacts(_Holder):
    """贷款结清证明: the most recently settled loan."""

    kind: Literal["loan_settled"] = "loan_settled"
    contract_no: str
    principal_fen: Fen
    annual_rate_bp: BasisPoints
    term_months: int
    start_date: dt.date
    settled_on: dt.date


class StatementRecord(BaseModel):
    date: dt.date
    type: RecordKind
    amount_fen: Fen = Field(description="negative for money leaving the account")
    balance_fen: Fen = Field(description="balance after this record")


class StatementFacts(_Holder):
    """缴存明细 for a period of at most 24 months."""

    kind: Literal["statement"] = "statement"
    period_from: Month
    period_to: Month
    opening_balance_fen: Fen = Field(description="balance before the first day of period_from")
    closing_balance_fen: Fen = Field(description="balance after the last record of the period")
    records: list[StatementRecord] = Field(description="oldest first")


class CertificateData(BaseModel):
    kind: CertificateKind
    code: str = Field(
        description="the verification code as printed, four groups of four: XXXX-XXXX-XXXX-XXXX"
    )
    issued_at: dt.datetime = Field(description="centre time (+08:00)")
    verify_url: str = Field(description="the public page of this certificate, for the QR code")
    verify_form_url: str = Field(description="the public page where a code can be typed in, printed as text")
    facts: Annotated[DepositFacts | LoanSettledFacts | StatementFacts, Field(discriminator="kind")] = Field(
        description="unmasked: the kiosk masks name, ID number and account number on paper"
    )
