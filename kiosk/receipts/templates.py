"""The receipts the kiosk prints, built from plain data. Every personal value is masked here, at render
time, with ``kiosk.masking``: a receipt is a display, and a slip left at the kiosk must not expose anyone.
"""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlencode

from kiosk.masking import format_fen, format_rate_bp, mask_bank_card, mask_id_number, mask_name, mask_phone
from kiosk.receipts.data import (
    AccountStatementData,
    AppointmentTicketData,
    DepositCertificateData,
    DepositRecordsData,
    Holder,
    PreRegistrationData,
    ReceiptBranding,
    TestSlipData,
    WithdrawalSlipData,
)
from kiosk.receipts.model import (
    Align,
    Barcode,
    Block,
    Column,
    Cut,
    Feed,
    KeyValue,
    QrCode,
    Receipt,
    Separator,
    Table,
    Text,
)

# Characters that show a printer's Chinese path at a glance on the test slip: full-width punctuation
# (lost by python-escpos's own text path), the yuan sign, and 䶮 (CJK Ext-A), which GBK cannot encode
# and which must come out as a visible replacement, not as silence or garbage.
TEST_PUNCTUATION = "，。、；：？！“”‘’（）《》【】—…"
TEST_RARE = "䶮"


def _when(value: dt.datetime) -> str:
    return value.strftime("%Y-%m-%d %H:%M")


def _day(value: dt.date) -> str:
    return value.strftime("%Y-%m-%d")


def _chinese_day(value: dt.date) -> str:
    return f"{value.year}年{value.month}月{value.day}日"


def _frame(
    kind: str, branding: ReceiptBranding, title: str, body: list[Block], printed_at: dt.datetime
) -> Receipt:
    head: list[Block] = [Text(branding.centre_name, Align.CENTER, bold=True)]
    head += [Text(line, Align.CENTER) for line in branding.header_lines]
    head += [Feed(), Text(title, Align.CENTER, bold=True, size=2), Separator("=")]
    foot: list[Block] = [Separator("-"), KeyValue("打印时间", _when(printed_at))]
    if branding.terminal_id:
        foot.append(KeyValue("终端编号", branding.terminal_id))
    foot += [Text(line, Align.CENTER) for line in branding.footer_lines]
    foot += [Feed(2), Cut()]
    return Receipt(kind, (*head, *body, *foot))


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
        KeyValue("开户日期", _day(data.opened_on)),
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
    return _frame("account_statement", branding, "个人账户信息", body, data.printed_at)


def deposit_records(data: DepositRecordsData, branding: ReceiptBranding) -> Receipt:
    table = Table(
        (
            Column("日期", 5),
            Column("类型", 2),
            Column("发生额", 5, Align.RIGHT),
            Column("余额", 6, Align.RIGHT),
        ),
        tuple(
            (
                _day(r.on),
                r.kind,
                format_fen(r.amount_fen).replace("¥", ""),
                format_fen(r.balance_fen).replace("¥", ""),
            )
            for r in data.records
        ),
    )
    body: list[Block] = [
        *_holder_lines(data.holder),
        KeyValue("查询期间", f"{_day(data.period_from)} 至 {_day(data.period_to)}"),
        Separator("-"),
        table if data.records else Text("此期间无缴存记录", Align.CENTER),
        Text("金额单位：元", Align.RIGHT),
        KeyValue("记录笔数", str(len(data.records))),
    ]
    if data.records:
        body.append(KeyValue("期末余额", format_fen(data.records[-1].balance_fen), bold=True))
    return _frame("deposit_records", branding, "缴存明细", body, data.printed_at)


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
        KeyValue("开户日期", _day(data.opened_on)),
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
        Text(f"扫码或登录{data.verify_url}输入验证码核验本证明", Align.CENTER),
        Text(f"咨询电话：{data.contact_phone}", Align.CENTER),
        Feed(),
        Text(f"{branding.centre_name}（章）", Align.RIGHT),
        Text(_chinese_day(data.issued_on), Align.RIGHT),
    ]
    return _frame("deposit_certificate", branding, "个人缴存证明", body, data.printed_at)


def withdrawal_slip(data: WithdrawalSlipData, branding: ReceiptBranding) -> Receipt:
    body: list[Block] = [
        KeyValue("受理编号", data.acceptance_number, bold=True),
        KeyValue("受理时间", _when(data.accepted_at)),
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
    return _frame("withdrawal_slip", branding, "提取受理回执", body, data.printed_at)


def appointment_ticket(data: AppointmentTicketData, branding: ReceiptBranding) -> Receipt:
    slot = f"{_day(data.starts_at)} {data.starts_at:%H:%M}-{data.ends_at:%H:%M}"
    body: list[Block] = [
        Text("您的号码", Align.CENTER),
        Text(data.ticket_number, Align.CENTER, bold=True, size=2),
        Feed(),
        KeyValue("办理业务", data.business),
        KeyValue("预约时段", slot, bold=True),
        KeyValue("办理窗口", data.counter, bold=True),
        KeyValue("办理网点", data.office),
        KeyValue("网点地址", data.address),
        KeyValue("预约人", mask_name(data.name)),
        KeyValue("联系电话", mask_phone(data.phone)),
        Separator("-"),
        Text("请在预约时段内到达，过号需重新取号。", Align.LEFT),
        Barcode(data.ticket_number),
    ]
    return _frame("appointment_ticket", branding, "预约凭条", body, data.printed_at)


def pre_registration(data: PreRegistrationData, branding: ReceiptBranding) -> Receipt:
    body: list[Block] = [
        KeyValue("登记编号", data.registration_number, bold=True),
        KeyValue("办理业务", data.business),
        KeyValue("姓名", mask_name(data.holder.name)),
        KeyValue("证件号码", mask_id_number(data.holder.id_number)),
        KeyValue("联系电话", mask_phone(data.phone)),
        KeyValue("办理网点", data.office),
        KeyValue("有效期至", _day(data.valid_until), bold=True),
        Separator("-"),
        Text("请携带以下材料到柜台办理：", bold=True),
        *(Text(f"{n}. {item}") for n, item in enumerate(data.materials, 1)),
        Separator("-"),
        Text("到柜台出示本凭条，无需重复填写信息。", Align.LEFT),
        Barcode(data.registration_number),
    ]
    return _frame("pre_registration", branding, "业务预登记凭条", body, data.printed_at)


def test_slip(data: TestSlipData, branding: ReceiptBranding) -> Receipt:
    ruler = "".join(str(n % 10) for n in range(1, data.columns + 1))
    body: list[Block] = [
        KeyValue("打印机", data.printer),
        KeyValue("纸宽", f"{data.columns}列"),
        KeyValue("编码", data.codec.upper()),
        Separator("-"),
        Text(ruler),
        Text("住房公积金自助服务终端"),
        Text(TEST_PUNCTUATION),
        Text(f"金额 {format_fen(123456)}"),
        Text(f"生僻字 {TEST_RARE}（应显示为替换符）"),
        Text("加粗 BOLD", bold=True),
        Text("大字", Align.CENTER, size=2),
        QrCode("HPF-KIOSK-PRINTER-TEST", caption="二维码测试"),
        Barcode("TEST-0001"),
        Text("以上内容清晰完整即为正常", Align.CENTER),
    ]
    return _frame("test_slip", branding, "打印机测试页", body, data.printed_at)
