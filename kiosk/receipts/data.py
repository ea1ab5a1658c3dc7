"""The plain data each template takes. Personal fields arrive unmasked and are masked when rendered;
they are left out of every ``repr`` so that a stray log line cannot carry them."""

from __future__ import annotations

import dataclasses
import datetime as dt


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


@dataclasses.dataclass(frozen=True, kw_only=True)
class DepositCertificateData:
    holder: Holder
    unit_name: str
    opened_on: dt.date
    status: str
    base_fen: int
    unit_rate_bp: int
    personal_rate_bp: int
    monthly_fen: int
    balance_fen: int
    loan_record: str  # 无贷款记录 / 有贷款，已结清 / ...
    period_from: str  # "2015-03"
    period_to: str
    issued_on: dt.date
    verification_code: str
    verify_url: str  # the centre's page that checks a code; the QR adds ?code=...
    contact_phone: str  # the centre's, not the citizen's
    printed_at: dt.datetime


@dataclasses.dataclass(frozen=True, kw_only=True)
class WithdrawalSlipData:
    holder: Holder
    acceptance_number: str
    withdrawal_type: str  # 租房提取 / 退休提取 / ...
    amount_fen: int
    bank_name: str
    bank_card: str = _private()
    phone: str = _private()
    accepted_at: dt.datetime
    expected_arrival: str  # "预计3个工作日内到账"
    printed_at: dt.datetime


@dataclasses.dataclass(frozen=True, kw_only=True)
class AppointmentTicketData:
    ticket_number: str  # "A023": what the hall's caller display shows
    business: str
    office: str
    address: str
    counter: str
    starts_at: dt.datetime
    ends_at: dt.datetime
    name: str = _private()
    phone: str = _private()
    printed_at: dt.datetime


@dataclasses.dataclass(frozen=True, kw_only=True)
class PreRegistrationData:
    registration_number: str
    business: str
    holder: Holder
    phone: str = _private()
    materials: tuple[str, ...]
    valid_until: dt.date
    office: str
    printed_at: dt.datetime


@dataclasses.dataclass(frozen=True, kw_only=True)
class CheckSlipData:
    printer: str  # a short name such as "escpos+tcp 10.0.0.5:9100", never a citizen's anything
    columns: int
    codec: str
    printed_at: dt.datetime
