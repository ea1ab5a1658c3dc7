"""The receipts the kiosk prints, built from plain data. Every personal value is masked here, at render
time, with ``kiosk.masking``: a receipt is a display, and a slip left at the kiosk must not expose anyone.
"""

from __future__ import annotations

import itertools
from urllib.parse import urlencode

from kiosk.masking import format_fen, format_rate_bp, mask_bank_card, mask_id_number, mask_name, mask_phone
from kiosk.receipts.data import (
    AccountStatementData,
    AppointmentTicketData,
    DepositCertificateData,
    DepositRecord,
    DepositRecordsData,
    Holder,
    PreRegistrationData,
    ReceiptBranding,
    WithdrawalSlipData,
)
from kiosk.receipts.frame import chinese_day, day, frame, when
from kiosk.receipts.model import (
    Align,
    Barcode,
    Block,
    Column,
    Feed,
    KeyValue,
    QrCode,
    Receipt,
    Separator,
    Table,
    Text,
)


def _holder_lines(holder: Holder) -> list[Block]:
    return [
        KeyValue("姓名", mask_name(holder.name)),
        KeyValue("证件号码", mask_id_number(holder.id_number)),
        KeyValue("个人账号", mask_id_number(holder.account_number)),
    ]


def _rates(unit_bp: int, personal_bp: int) -> str:
    return f"单位{format_rate_bp(unit_bp)} 个人{format_rate_bp(personal_bp)}"


def account_statement(data: AccountStatementData, branding: ReceiptBranding) -> Receipt:
    body: list[Block] = [
        *_holder_lines(data.holder),
        KeyValue("单位名称", data.unit_name),
        KeyValue("账户状态", data.status),
        KeyValue("开户日期", day(data.opened_on)),
        KeyValue("缴至年月", data.paid_up_to),
        Separator("-"),
        KeyValue("缴存基数", format_fen(data.base_fen)),
        KeyValue("缴存比例", _rates(data.unit_rate_bp, data.personal_rate_bp)),
        KeyValue("月缴存额", format_fen(data.monthly_fen)),
        KeyValue("上年余额", format_fen(data.last_year_balance_fen)),
        KeyValue("本年缴存", format_fen(data.year_deposits_fen)),
        KeyValue("本年提取", format_fen(data.year_withdrawals_fen)),
        KeyValue("账户余额", format_fen(data.balance_fen), bold=True),
    ]
    return frame("account_statement", branding, "个人账户信息", body, data.printed_at)


def _records_table(records: list[DepositRecord]) -> Table:
    columns = (
        Column("日期"),
        Column("类型"),
        Column("发生额", 1, Align.RIGHT),
        Column("余额", 1, Align.RIGHT),
    )
    rows = tuple(
        (
            f"{r.on:%m-%d}",
            r.kind,
            format_fen(r.amount_fen).replace("¥", ""),
            format_fen(r.balance_fen).replace("¥", ""),
        )
        for r in records
    )
    return Table(columns, rows)


def deposit_records(data: DepositRecordsData, branding: ReceiptBranding) -> Receipt:
    body: list[Block] = [
        *_holder_lines(data.holder),
        KeyValue("查询期间", f"{day(data.period_from)} 至 {day(data.period_to)}"),
        Separator("-"),
    ]
    if not data.records:
        body.append(Text("此期间无缴存记录", Align.CENTER))
    # One table per year, under the year, so that a row needs only month and day: four columns of
    # amounts then fit on 58 mm paper without wrapping.
    for year, records in itertools.groupby(data.records, key=lambda r: r.on.year):
        body += [Text(f"{year}年", bold=True), _records_table(list(records))]
    body += [Text("金额单位：元", Align.RIGHT), KeyValue("记录笔数", str(len(data.records)))]
    if data.records:
        body.append(KeyValue("期末余额", format_fen(data.records[-1].balance_fen), bold=True))
    return frame("deposit_records", branding, "缴存明细", body, data.printed_at)


def deposit_certificate(data: DepositCertificateData, branding: ReceiptBranding) -> Receipt:
    holder = data.holder
    statement = (
        f"兹证明{mask_name(holder.name)}（证件号码{mask_id_number(holder.id_number)}）"
        f"自{data.period_from}起在{data.unit_name}缴存住房公积金，"
        f"缴存情况如下。"
    )
    qr_data = f"{data.verify_url}?{urlencode({'code': data.verification_code})}"
    body: list[Block] = [
        Text(statement),
        Feed(),
        *_holder_lines(holder),
        KeyValue("单位名称", data.unit_name),
        KeyValue("开户日期", day(data.opened_on)),
        KeyValue("账户状态", data.status),
        KeyValue("缴存基数", format_fen(data.base_fen)),
        KeyValue("缴存比例", _rates(data.unit_rate_bp, data.personal_rate_bp)),
        KeyValue("月缴存额", format_fen(data.monthly_fen)),
        KeyValue("缴存余额", format_fen(data.balance_fen), bold=True),
        KeyValue("贷款记录", data.loan_record),
        KeyValue("证明期间", f"{data.period_from} 至 {data.period_to}"),
        Separator("-"),
        Text("验证码", Align.CENTER),
        Text(data.verification_code, Align.CENTER, bold=True, size=2),
        QrCode(qr_data),
        Text("扫码，或登录以下网址输入验证码，核验本证明", Align.CENTER),
        Text(data.verify_url, Align.CENTER),
        Text(f"咨询电话：{data.contact_phone}", Align.CENTER),
        Feed(),
        Text(f"{branding.centre_name}（章）", Align.RIGHT),
        Text(chinese_day(data.issued_on), Align.RIGHT),
    ]
    return frame("deposit_certificate", branding, "个人缴存证明", body, data.printed_at)


def withdrawal_slip(data: WithdrawalSlipData, branding: ReceiptBranding) -> Receipt:
    body: list[Block] = [
        KeyValue("受理编号", data.acceptance_number, bold=True),
        KeyValue("受理时间", when(data.accepted_at)),
        KeyValue("提取类型", data.withdrawal_type),
        KeyValue("姓名", mask_name(data.holder.name)),
        KeyValue("证件号码", mask_id_number(data.holder.id_number)),
        KeyValue("提取金额", format_fen(data.amount_fen), bold=True),
        KeyValue("收款银行", data.bank_name),
        KeyValue("收款卡号", mask_bank_card(data.bank_card)),
        KeyValue("联系电话", mask_phone(data.phone)),
        Separator("-"),
        Text(data.expected_arrival, Align.CENTER, bold=True),
        Text("本凭条仅证明申请已受理，到账以银行入账为准。", Align.LEFT),
        Barcode(data.acceptance_number),
    ]
    return frame("withdrawal_slip", branding, "提取受理回执", body, data.printed_at)


def appointment_ticket(data: AppointmentTicketData, branding: ReceiptBranding) -> Receipt:
    slot = f"{day(data.starts_at)} {data.starts_at:%H:%M}-{data.ends_at:%H:%M}"
    body: list[Block] = [
        Text("您的号码", Align.CENTER),
        Text(data.ticket_number, Align.CENTER, bold=True, size=3),
        Feed(),
        KeyValue("办理业务", data.business),
        KeyValue("预约时段", slot, bold=True),
        KeyValue("办理窗口", data.counter, bold=True),
        KeyValue("办理网点", data.office),
        KeyValue("网点地址", data.address),
        KeyValue("预约人", mask_name(data.name)),
        KeyValue("联系电话", mask_phone(data.phone)),
        Separator("-"),
        Text("请按时到达，过号需重新预约。", Align.CENTER),
        Barcode(data.ticket_number),
    ]
    return frame("appointment_ticket", branding, "预约凭条", body, data.printed_at)


def pre_registration(data: PreRegistrationData, branding: ReceiptBranding) -> Receipt:
    body: list[Block] = [
        KeyValue("登记编号", data.registration_number, bold=True),
        KeyValue("办理业务", data.business),
        KeyValue("姓名", mask_name(data.holder.name)),
        KeyValue("证件号码", mask_id_number(data.holder.id_number)),
        KeyValue("联系电话", mask_phone(data.phone)),
        KeyValue("办理网点", data.office),
        KeyValue("有效期至", day(data.valid_until), bold=True),
        Separator("-"),
        Text("请携带以下材料到柜台办理：", bold=True),
        *(Text(f"{n}. {item}") for n, item in enumerate(data.materials, 1)),
        Separator("-"),
        Text("柜台出示本凭条，无需重复填写。", Align.CENTER),
        Barcode(data.registration_number),
    ]
    return frame("pre_registration", branding, "业务预登记凭条", body, data.printed_at)
