"""Synthetic receipts for the demo, the tests and the benchmark: every person, number and unit here is
obviously fake (names 张测试, ID numbers 120199..., a 示例 unit)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from kiosk.receipts import templates
from kiosk.receipts.check_slip import check_slip
from kiosk.receipts.data import (
    AccountStatementData,
    AppointmentTicketData,
    CheckSlipData,
    DepositCertificateData,
    DepositRecord,
    DepositRecordsData,
    Holder,
    PreRegistrationData,
    ReceiptBranding,
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
HOLDER = Holder(name="张测试", id_number="12019919900101123X", account_number="1201990000123456")
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
    issued_on=dt.date(2026, 11, 27),
    verification_code="TEST-8K3Q-7MZ2",
    verify_url="https://gjj.example.cn/verify",
    contact_phone="022-12329",
    printed_at=PRINTED_AT,
)

WITHDRAWAL = WithdrawalSlipData(
    holder=HOLDER,
    acceptance_number="TQ202611270001",
    withdrawal_type="租房提取",
    amount_fen=1_500_000,
    bank_name="示例银行天津分行",
    bank_card="6217000000000012348",
    phone="13800005678",
    accepted_at=dt.datetime(2026, 11, 27, 9, 28),
    expected_arrival="预计3个工作日内到账",
    printed_at=PRINTED_AT,
)

APPOINTMENT = AppointmentTicketData(
    ticket_number="A023",
    business="提取业务",
    office="示例区管理部",
    address="天津市示例区测试路1号",
    counter="3号窗口",
    starts_at=dt.datetime(2026, 11, 28, 9, 0),
    ends_at=dt.datetime(2026, 11, 28, 9, 30),
    name="欧阳测试",
    phone="13800005678",
    printed_at=PRINTED_AT,
)

PRE_REGISTRATION = PreRegistrationData(
    registration_number="YD202611270007",
    business="退休提取",
    holder=HOLDER,
    phone="13800005678",
    materials=("本人身份证原件", "退休证或退休审批表", "本人名下银行卡"),
    valid_until=dt.date(2026, 12, 27),
    office="示例区管理部",
    printed_at=PRINTED_AT,
)

# Personal values that must never appear on paper in full.
SECRETS = (
    "张测试",
    "欧阳测试",
    "12019919900101123X",
    "1201990000123456",
    "6217000000000012348",
    "13800005678",
)


def check_slip_for(columns: int, codec: str = "gbk") -> Receipt:
    data = CheckSlipData(printer="virtual", columns=columns, codec=codec, printed_at=PRINTED_AT)
    return check_slip(data, BRANDING)


SAMPLES: dict[str, Callable[[int], Receipt]] = {
    "account_statement": lambda _columns: templates.account_statement(ACCOUNT, BRANDING),
    "deposit_records": lambda _columns: templates.deposit_records(RECORDS, BRANDING),
    "deposit_certificate": lambda _columns: templates.deposit_certificate(CERTIFICATE, BRANDING),
    "withdrawal_slip": lambda _columns: templates.withdrawal_slip(WITHDRAWAL, BRANDING),
    "appointment_ticket": lambda _columns: templates.appointment_ticket(APPOINTMENT, BRANDING),
    "pre_registration": lambda _columns: templates.pre_registration(PRE_REGISTRATION, BRANDING),
    "test_slip": check_slip_for,
}
