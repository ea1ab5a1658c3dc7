"""Synthetic receipts for the demo, the tests and the benchmark: every person, number and unit here is
obviously fake (citizens of the reference centre's seed: names 孙测试 / 欧阳测试, ID numbers in the
non-existent region 120199; a 示例 unit; a test card 621799...; codes that start with TEST)."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable

from kiosk.receipts import templates
from kiosk.receipts.check_slip import check_slip
from kiosk.receipts.data import (
    AccountStatementData,
    AppointmentCancelledData,
    AppointmentTicketData,
    CheckSlipData,
    ComplaintSlipData,
    DepositCertificateData,
    DepositRecord,
    DepositRecordsData,
    Holder,
    LoanSettledCertificateData,
    PreRegistrationData,
    ReceiptBranding,
    StatementCertificateData,
    WithdrawalSlipData,
)
from kiosk.receipts.model import Receipt

BRANDING = ReceiptBranding(
    centre_name="天津市住房公积金管理中心",
    header_lines=("示例区管理部 自助服务终端",),
    footer_lines=("请妥善保管本凭条", "服务热线：12329"),
    terminal_id="KIOSK-TEST-01",
)
PRINTED_AT = dt.datetime(2026, 11, 27, 9, 30)
CENTRE_TIME = dt.timezone(dt.timedelta(hours=8))
HOLDER = Holder(name="孙测试", id_number="12019919730308208X", account_number="120199100021")
# A Luhn-valid test card (BIN 621799 is no bank's); only its masked form is handed to a template.
BANK_CARD = "6217990000052348"
BANK_CARD_MASKED = "621799******2348"
UNIT = "天津示例测试科技有限公司"

ACCOUNT = AccountStatementData(
    holder=HOLDER,
    unit_name=UNIT,
    status="正常",
    opened_on=dt.date(2015, 3, 1),
    paid_up_to="2026-10",
    base_fen=850_000,
    unit_rate_bp=1200,
    personal_rate_bp=1200,
    monthly_fen=204_000,
    balance_fen=12_345_678,
    last_year_balance_fen=10_123_456,
    year_deposits_fen=2_040_000,
    year_withdrawals_fen=0,
    printed_at=PRINTED_AT,
)


def _records() -> tuple[DepositRecord, ...]:
    moves = [(dt.date(2026, month, 15), "汇缴", 204_000) for month in range(1, 7)]
    moves += [
        (dt.date(2026, 6, 30), "结息", 158_712),
        (dt.date(2026, 7, 20), "提取", -1_500_000),
        (dt.date(2026, 8, 15), "补缴", 204_000),
    ]
    balance = 10_123_456
    records = []
    for on, kind, amount in moves:
        balance += amount
        records.append(DepositRecord(on=on, kind=kind, amount_fen=amount, balance_fen=balance))
    return tuple(records)


RECORDS = DepositRecordsData(
    holder=HOLDER,
    period_from=dt.date(2026, 1, 1),
    period_to=dt.date(2026, 8, 31),
    records=_records(),
    printed_at=PRINTED_AT,
)

VERIFY_FORM_URL = "https://gjj.example.cn/verify"
ISSUED_AT = dt.datetime(2026, 11, 27, 9, 29, tzinfo=CENTRE_TIME)

CERTIFICATE = DepositCertificateData(
    holder=HOLDER,
    unit_name=UNIT,
    opened_on=dt.date(2015, 3, 1),
    status="正常",
    base_fen=850_000,
    unit_rate_bp=1200,
    personal_rate_bp=1200,
    monthly_fen=204_000,
    balance_fen=12_345_678,
    loan_record="无贷款记录",
    period_from="2015-03",
    period_to="2026-10",
    code="TEST-8K3Q-7MZ2-W4XP",
    issued_at=ISSUED_AT,
    verify_url=f"{VERIFY_FORM_URL}/TEST-8K3Q-7MZ2-W4XP",
    verify_form_url=VERIFY_FORM_URL,
    printed_at=PRINTED_AT,
)

LOAN_SETTLED = LoanSettledCertificateData(
    holder=HOLDER,
    contract_no="TEST-DK-2016-000123",
    principal_fen=60_000_000,
    annual_rate_bp=325,
    term_months=120,
    start_date=dt.date(2016, 5, 20),
    settled_on=dt.date(2026, 5, 20),
    code="TEST-LN5R-9HQ2-KW7C",
    issued_at=ISSUED_AT,
    verify_url=f"{VERIFY_FORM_URL}/TEST-LN5R-9HQ2-KW7C",
    verify_form_url=VERIFY_FORM_URL,
    printed_at=PRINTED_AT,
)

STATEMENT = StatementCertificateData(
    holder=HOLDER,
    period_from="2026-01",
    period_to="2026-08",
    opening_balance_fen=10_123_456,
    closing_balance_fen=_records()[-1].balance_fen,
    records=_records(),
    code="TEST-ST3M-6XD8-PQ4A",
    issued_at=ISSUED_AT,
    verify_url=f"{VERIFY_FORM_URL}/TEST-ST3M-6XD8-PQ4A",
    verify_form_url=VERIFY_FORM_URL,
    printed_at=PRINTED_AT,
)

WITHDRAWAL = WithdrawalSlipData(
    holder=HOLDER,
    claim_number="TQ7KQDM3XA",
    reason="租房提取",
    amount_fen=1_500_000,
    card_masked=BANK_CARD_MASKED,
    accepted_at=dt.datetime(2026, 11, 27, 1, 28, tzinfo=dt.UTC),  # as the outbox stores it: 09:28 local
    status="accepted",
    materials=("房屋租赁合同", "租赁登记备案证明"),
    printed_at=PRINTED_AT,
)

# The centre unreachable when the citizen filed it, the account number not known yet.
WITHDRAWAL_WAITING = dataclasses.replace(
    WITHDRAWAL,
    holder=dataclasses.replace(HOLDER, account_number=""),
    claim_number="TQ4NW8RZ6C",
    status="waiting",
    materials=(),
)

APPOINTMENT = AppointmentTicketData(
    call_number="D003",
    business="贷款业务",
    office="示例管理部",
    day=dt.date(2026, 11, 30),
    slot="09:00-09:30",
    booking_id="7e3c1f0a-5b2d-4e8f-9a61-0c4d2b7e9f13",
    name="欧阳测试",
    materials=("本人身份证原件", "购房合同", "首付款发票"),
    printed_at=PRINTED_AT,
)

CANCELLATION = AppointmentCancelledData(
    call_number="D003",
    business="贷款业务",
    office="示例管理部",
    day=dt.date(2026, 11, 30),
    slot="09:00-09:30",
    name="欧阳测试",
    printed_at=PRINTED_AT,
)

PRE_REGISTRATION = PreRegistrationData(
    code="7KQD-M3XA",
    business="退休提取",
    holder=HOLDER,
    valid_until=dt.date(2026, 12, 27),
    materials=("本人身份证原件", "退休证或退休审批表", "本人名下银行卡"),
    status="waiting",
    printed_at=PRINTED_AT,
)

# A synthetic mobile number (138 0000 ...): a callback phone is shown masked only.
PHONE = "13800001234"

COMPLAINT = ComplaintSlipData(
    reference="7KQD-M3XA",
    category="投诉",
    topic="自助终端",
    text="自助终端使用不便或出现故障。",
    phone=PHONE,
    callback_working_days=1,
    status="accepted",
    printed_at=PRINTED_AT,
)

# Left without a number, filed while the centre was unreachable.
SUGGESTION_WAITING = dataclasses.replace(
    COMPLAINT, reference="4NW8-RZ6C", category="建议", phone="", status="waiting"
)

# Personal values that must never appear on paper in full.
SECRETS = (
    "孙测试",
    "欧阳测试",
    "12019919730308208X",
    "120199100021",
    BANK_CARD,
    PHONE,
)


def check_slip_for(columns: int, codec: str = "gbk") -> Receipt:
    data = CheckSlipData(printer="virtual", columns=columns, codec=codec, printed_at=PRINTED_AT)
    return check_slip(data, BRANDING)


SAMPLES: dict[str, Callable[[int], Receipt]] = {
    "account_statement": lambda _columns: templates.account_statement(ACCOUNT, BRANDING),
    "deposit_records": lambda _columns: templates.deposit_records(RECORDS, BRANDING),
    "deposit_certificate": lambda _columns: templates.deposit_certificate(CERTIFICATE, BRANDING),
    "loan_settled_certificate": lambda _columns: templates.loan_settled_certificate(LOAN_SETTLED, BRANDING),
    "statement_certificate": lambda _columns: templates.statement_certificate(STATEMENT, BRANDING),
    "withdrawal_slip": lambda _columns: templates.withdrawal_slip(WITHDRAWAL, BRANDING),
    "withdrawal_slip_waiting": lambda _columns: templates.withdrawal_slip(WITHDRAWAL_WAITING, BRANDING),
    "appointment_ticket": lambda _columns: templates.appointment_ticket(APPOINTMENT, BRANDING),
    "appointment_cancelled": lambda _columns: templates.appointment_cancelled(CANCELLATION, BRANDING),
    "pre_registration": lambda _columns: templates.pre_registration(PRE_REGISTRATION, BRANDING),
    "complaint_slip": lambda _columns: templates.complaint_slip(COMPLAINT, BRANDING),
    "suggestion_slip_waiting": lambda _columns: templates.complaint_slip(SUGGESTION_WAITING, BRANDING),
    "test_slip": check_slip_for,
}
