"""The plain data each template takes. Personal fields arrive unmasked and are masked when rendered;
they are left out of every ``repr`` so that a stray log line cannot carry them."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Literal, get_args


def _private() -> str:
    """A personal field: required, and never in a repr."""
    field: str = dataclasses.field(repr=False)
    return field


@dataclasses.dataclass(frozen=True, kw_only=True)
class ReceiptBranding:
    """Who prints: from the kiosk's settings (remote configuration may replace the lines)."""

    centre_name: str
    header_lines: tuple[str, ...] = ()
    footer_lines: tuple[str, ...] = ()
    terminal_id: str = ""


@dataclasses.dataclass(frozen=True, kw_only=True)
class Holder:
    """The citizen as the paper names them (always masked on paper)."""

    name: str = _private()
    id_number: str = _private()
    account_number: str = _private()


@dataclasses.dataclass(frozen=True, kw_only=True)
class AccountStatementData:
    holder: Holder
    unit_name: str
    status: str  # 正常 / 封存 / 销户
    opened_on: dt.date
    paid_up_to: str  # 缴至年月, "2024-06"
    base_fen: int
    unit_rate_bp: int
    personal_rate_bp: int
    monthly_fen: int
    balance_fen: int
    last_year_balance_fen: int
    year_deposits_fen: int
    year_withdrawals_fen: int
    printed_at: dt.datetime


@dataclasses.dataclass(frozen=True, kw_only=True)
class DepositRecord:
    on: dt.date
    kind: str  # 汇缴 / 补缴 / 提取 / 结息 / 转入 / 转出
    amount_fen: int  # negative for money leaving the account
    balance_fen: int


@dataclasses.dataclass(frozen=True, kw_only=True)
class DepositRecordsData:
    holder: Holder
    period_from: dt.date
    period_to: dt.date
    records: tuple[DepositRecord, ...]
    printed_at: dt.datetime


# Where a transaction stands when its receipt prints: the centre accepted it, or it is durable in this
# kiosk's outbox and the forwarder will send it when the centre is reachable again.
TransactionStatus = Literal["accepted", "waiting"]


def _check_status(receipt: str, status: str) -> None:
    # A Literal is not checked at run time, and a misspelt status must not print as either promise.
    if status not in get_args(TransactionStatus):
        raise ValueError(
            f"{receipt} status {status!r} is not 'accepted' (the centre accepted it) or 'waiting' "
            "(stored by this kiosk, not yet sent): pass one of them"
        )


@dataclasses.dataclass(frozen=True, kw_only=True)
class WithdrawalSlipData:
    """提取申请受理回执."""

    holder: Holder  # account_number may be "": the line is then left out
    claim_number: str  # printed as is; also the QR code's content
    reason: str  # 租房提取 / 退休提取 / ...
    amount_fen: int
    card_masked: str = _private()  # already masked ("621799******2348"); masked again on paper
    accepted_at: dt.datetime  # when the kiosk stored it
    status: TransactionStatus
    materials: tuple[str, ...]  # what the centre may still ask for; may be empty
    printed_at: dt.datetime

    def __post_init__(self) -> None:
        _check_status("withdrawal slip", self.status)


@dataclasses.dataclass(frozen=True, kw_only=True)
class AppointmentTicketData:
    """预约凭条."""

    call_number: str  # "D003": what the hall's caller display shows
    business: str
    office: str
    day: dt.date
    slot: str  # "09:00-09:30"
    booking_id: str  # the QR code's content
    name: str = _private()
    materials: tuple[str, ...] = ()
    printed_at: dt.datetime


@dataclasses.dataclass(frozen=True, kw_only=True)
class AppointmentCancelledData:
    """预约取消凭条: confirms that a booked appointment no longer holds its place."""

    call_number: str
    business: str
    office: str
    day: dt.date
    slot: str
    name: str = _private()
    printed_at: dt.datetime


@dataclasses.dataclass(frozen=True, kw_only=True)
class PreRegistrationData:
    """业务预登记凭条."""

    code: str  # readable, "7KQD-M3XA"; the QR code holds it without the hyphen
    business: str
    holder: Holder
    valid_until: dt.date
    materials: tuple[str, ...]
    status: TransactionStatus
    printed_at: dt.datetime

    def __post_init__(self) -> None:
        _check_status("pre-registration slip", self.status)


@dataclasses.dataclass(frozen=True, kw_only=True)
class ComplaintSlipData:
    """投诉建议受理回执: what the citizen needs to follow it up, and nothing of who they are but the phone."""

    reference: str  # readable, "7KQD-M3XA": the centre's reference of it (kiosk.transaction_numbers)
    category: str  # 投诉 / 建议
    topic: str  # 服务大厅 / 自助终端 / ...
    text: str  # the topic's fixed sentence, as filed
    phone: str = _private()  # the callback number left, or "": masked on paper
    callback_working_days: int  # the centre calls back within this many working days when a phone is left
    status: TransactionStatus
    printed_at: dt.datetime

    def __post_init__(self) -> None:
        _check_status("complaint slip", self.status)


@dataclasses.dataclass(frozen=True, kw_only=True)
class DepositCertificateData:
    """个人住房公积金缴存证明, from the centre's issued certificate."""

    holder: Holder
    unit_name: str
    opened_on: dt.date
    status: str  # 正常 / 封存 / 销户
    base_fen: int
    unit_rate_bp: int
    personal_rate_bp: int
    monthly_fen: int
    balance_fen: int
    loan_record: str  # 无贷款记录 / 贷款还款中 / 贷款已结清
    period_from: str  # "2015-03"
    period_to: str
    code: str  # the verification code as the centre prints it, "ABCD-EFGH-JKMN-PQRS"
    issued_at: dt.datetime
    verify_url: str  # the centre's page for this certificate: the QR code's content as is
    verify_form_url: str  # the page where the code can be typed in: printed as text
    printed_at: dt.datetime


@dataclasses.dataclass(frozen=True, kw_only=True)
class LoanSettledCertificateData:
    """贷款结清证明."""

    holder: Holder
    contract_no: str
    principal_fen: int
    annual_rate_bp: int
    term_months: int
    start_date: dt.date
    settled_on: dt.date
    code: str
    issued_at: dt.datetime
    verify_url: str
    verify_form_url: str
    printed_at: dt.datetime


@dataclasses.dataclass(frozen=True, kw_only=True)
class StatementCertificateData:
    """缴存明细证明: the deposit records of a chosen period, verifiable like the other certificates."""

    holder: Holder
    period_from: str  # "2025-01"
    period_to: str
    opening_balance_fen: int
    closing_balance_fen: int
    records: tuple[DepositRecord, ...]
    code: str
    issued_at: dt.datetime
    verify_url: str
    verify_form_url: str
    printed_at: dt.datetime


@dataclasses.dataclass(frozen=True, kw_only=True)
class CheckSlipData:
    printer: str  # a short name such as "escpos+tcp 10.0.0.5:9100", never a citizen's anything
    columns: int
    codec: str
    printed_at: dt.datetime
