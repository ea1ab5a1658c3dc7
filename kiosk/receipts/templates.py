"""The receipts the kiosk prints, built from plain data. Every personal value is masked here, at render
time, with ``kiosk.masking``: a receipt is a display, and a slip left at the kiosk must not expose anyone.
"""

from __future__ import annotations

import datetime as dt
import itertools

from kiosk.masking import (
    format_fen,
    format_rate_bp,
    mask_bank_card,
    mask_id_number,
    mask_name,
    mask_phone,
)
from kiosk.receipts.data import (
    AccountStatementData,
    AppointmentCancelledData,
    AppointmentTicketData,
    ComplaintSlipData,
    DepositCertificateData,
    DepositRecord,
    DepositRecordsData,
    Holder,
    LoanSettledCertificateData,
    PreRegistrationData,
    ReceiptBranding,
    StatementCertificateData,
    TransactionStatus,
    WithdrawalSlipData,
)
from kiosk.receipts.frame import chinese_day, day, frame, local, when
from kiosk.receipts.model import (
    Align,
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
    lines: list[Block] = [
        KeyValue("姓名", mask_name(holder.name)),
        KeyValue("证件号码", mask_id_number(holder.id_number)),
    ]
    if holder.account_number:  # a slip filed before the account is known has none: no empty line
        lines.append(KeyValue("个人账号", mask_id_number(holder.account_number)))
    return lines


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


def _records_by_year(records: tuple[DepositRecord, ...]) -> list[Block]:
    if not records:
        return [Text("此期间无缴存记录", Align.CENTER), Text("金额单位：元", Align.RIGHT)]
    # One table per year, under the year, so that a row needs only month and day: four columns of
    # amounts then fit on 58 mm paper without wrapping.
    blocks: list[Block] = []
    for year, of_year in itertools.groupby(records, key=lambda r: r.on.year):
        blocks += [Text(f"{year}年", bold=True), _records_table(list(of_year))]
    return [*blocks, Text("金额单位：元", Align.RIGHT)]


def deposit_records(data: DepositRecordsData, branding: ReceiptBranding) -> Receipt:
    body: list[Block] = [
        *_holder_lines(data.holder),
        KeyValue("查询期间", f"{day(data.period_from)} 至 {day(data.period_to)}"),
        Separator("-"),
    ]
    body += _records_by_year(data.records)
    body.append(KeyValue("记录笔数", str(len(data.records))))
    if data.records:
        body.append(KeyValue("期末余额", format_fen(data.records[-1].balance_fen), bold=True))
    return frame("deposit_records", branding, "缴存明细", body, data.printed_at)


def _day_of_week(value: dt.date) -> str:
    """`2026-11-28（周六）`: a citizen plans a visit by the day of the week."""
    return f"{day(value)}（周{'一二三四五六日'[value.weekday()]}）"


def _materials(heading: str, materials: tuple[str, ...]) -> list[Block]:
    if not materials:
        return []
    return [Text(heading, bold=True), *(Text(f"{n}. {item}") for n, item in enumerate(materials, 1))]


def _big_number(label: str, number: str, size: int) -> list[Block]:
    """The number the citizen quotes or the hall calls: first on the slip, large, under what it is."""
    return [Text(label, Align.CENTER), Text(number, Align.CENTER, bold=True, size=size)]


_STATUS_LINE = {"accepted": "中心已受理", "waiting": "本机已受理，待发送至中心"}


def _status(status: TransactionStatus, number_name: str) -> list[Block]:
    line = Text(_STATUS_LINE[status], Align.CENTER, bold=True)
    if status == "accepted":
        return [line]
    # Short sentences, one a line (each fits 58 mm): a paragraph that wraps inside a word is misread.
    return [
        line,
        Text("中心暂时无法连接。"),
        Text("本业务已保存在本机，将自动发送，"),
        Text("无需重新办理。"),
        Text("可在任一自助终端“业务进度”"),
        Text(f"或拨打12329凭{number_name}查询。"),
    ]


def withdrawal_slip(data: WithdrawalSlipData, branding: ReceiptBranding) -> Receipt:
    body: list[Block] = [
        *_big_number("受理编号", data.claim_number, size=2),
        *_status(data.status, "受理编号"),
        Separator("-"),
        KeyValue("提取金额", format_fen(data.amount_fen), bold=True),
        KeyValue("提取原因", data.reason),
        # Masked again although it arrives masked: masking a masked number changes nothing, and a full
        # card number handed over by mistake still never reaches paper.
        KeyValue("收款卡号", mask_bank_card(data.card_masked)),
        *_holder_lines(data.holder),
        KeyValue("受理时间", when(data.accepted_at)),
        Separator("-"),
        *_materials("中心审核时可能需要您补充：", data.materials),
        QrCode(data.claim_number),
        Text("本回执仅证明申请已受理。"),
        Text("审核结果以中心通知为准。"),
        Text("到账时间以银行入账为准。"),
    ]
    return frame("withdrawal_slip", branding, "提取申请受理回执", body, data.printed_at)


def appointment_ticket(data: AppointmentTicketData, branding: ReceiptBranding) -> Receipt:
    body: list[Block] = [
        *_big_number("您的预约号", data.call_number, size=3),
        Separator("-"),
        KeyValue("预约日期", _day_of_week(data.day), bold=True),
        KeyValue("预约时段", data.slot, bold=True),
        KeyValue("办理业务", data.business),
        KeyValue("办理网点", data.office),
        KeyValue("预约人", mask_name(data.name)),
        Separator("-"),
        *_materials("请携带以下材料：", data.materials),
        QrCode(data.booking_id),
        Text("请在预约时段内到达办理网点，"),
        Text("出示本凭条办理。过时需重新预约。"),
    ]
    return frame("appointment_ticket", branding, "预约凭条", body, data.printed_at)


def appointment_cancelled(data: AppointmentCancelledData, branding: ReceiptBranding) -> Receipt:
    body: list[Block] = [
        Text("预约已取消", Align.CENTER, bold=True, size=2),
        Separator("-"),
        KeyValue("原预约号", data.call_number),
        KeyValue("原预约日期", _day_of_week(data.day)),
        KeyValue("原预约时段", data.slot),
        KeyValue("办理业务", data.business),
        KeyValue("办理网点", data.office),
        KeyValue("预约人", mask_name(data.name)),
        Separator("-"),
        Text("原预约号已作废。"),
        Text("如需办理，请重新预约。"),
    ]
    return frame("appointment_cancelled", branding, "预约取消凭条", body, data.printed_at)


def pre_registration(data: PreRegistrationData, branding: ReceiptBranding) -> Receipt:
    body: list[Block] = [
        *_big_number("预登记码", data.code, size=2),
        *_status(data.status, "预登记码"),
        Separator("-"),
        KeyValue("办理业务", data.business),
        *_holder_lines(data.holder),
        KeyValue("有效期至", day(data.valid_until), bold=True),
        Separator("-"),
        *_materials("请携带以下材料到柜台办理：", data.materials),
        # The counter scans the code as its system keys it in: without the hyphen that helps people read.
        QrCode(data.code.replace("-", "")),
        Text("到柜台出示本凭条或报出预登记码，"),
        Text("无需重复填写。"),
    ]
    return frame("pre_registration", branding, "业务预登记凭条", body, data.printed_at)


def complaint_slip(data: ComplaintSlipData, branding: ReceiptBranding) -> Receipt:
    if data.phone:
        follow_up: list[Block] = [
            KeyValue("回电号码", mask_phone(data.phone)),
            Text(f"我们将在{data.callback_working_days}个工作日内"),
            Text("按此号码回电。"),
        ]
    else:
        # No number, no call: say so, so that nobody waits by the phone for a call that never comes.
        follow_up = [Text("您未留电话，中心不回电。"), Text("可凭受理编号拨打12329查询。")]
    # Not the transactions' paragraph: a complaint is not listed under 业务进度.
    waiting = (
        [Text("中心暂时无法连接，本机将自动"), Text("发送，无需重新提交。")]
        if data.status == "waiting"
        else []
    )
    body: list[Block] = [
        *_big_number("受理编号", data.reference, size=2),
        Text(_STATUS_LINE[data.status], Align.CENTER, bold=True),
        *waiting,
        Separator("-"),
        KeyValue("类别", data.category, bold=True),
        KeyValue("事项", data.topic),
        Text(data.text),
        Separator("-"),
        *follow_up,
        Text("感谢您对公积金服务的监督。"),
    ]
    return frame("complaint_slip", branding, "投诉建议受理回执", body, data.printed_at)


def _verification(
    code: str, verify_url: str, verify_form_url: str, issued_at: dt.datetime, branding: ReceiptBranding
) -> list[Block]:
    return [
        Separator("-"),
        # Bold at normal size: the centre's four groups of four do not fit one double-size line on 58 mm,
        # and a code broken inside a group is easily typed wrong.
        Text(f"验证码：{code}", Align.CENTER, bold=True),
        QrCode(verify_url),
        Text("扫码核验，或登录", Align.CENTER),
        Text(verify_form_url, Align.CENTER),
        Text("输入验证码核验", Align.CENTER),
        Feed(),
        Text(f"{branding.centre_name}（章）", Align.RIGHT),
        Text(chinese_day(local(issued_at)), Align.RIGHT),
    ]


def deposit_certificate(data: DepositCertificateData, branding: ReceiptBranding) -> Receipt:
    statement = (
        f"兹证明以下职工自{data.period_from}起在{data.unit_name}缴存住房公积金，"
        f"截至{data.period_to}缴存情况如下。"
    )
    body: list[Block] = [
        Text(statement),
        Feed(),
        *_holder_lines(data.holder),
        KeyValue("单位名称", data.unit_name),
        KeyValue("开户日期", day(data.opened_on)),
        KeyValue("账户状态", data.status),
        KeyValue("缴存基数", format_fen(data.base_fen)),
        KeyValue("缴存比例", _rates(data.unit_rate_bp, data.personal_rate_bp)),
        KeyValue("月缴存额", format_fen(data.monthly_fen)),
        KeyValue("缴存余额", format_fen(data.balance_fen), bold=True),
        KeyValue("贷款记录", data.loan_record),
        KeyValue("证明期间", f"{data.period_from} 至 {data.period_to}"),
        KeyValue("出具时间", when(data.issued_at)),
        *_verification(data.code, data.verify_url, data.verify_form_url, data.issued_at, branding),
    ]
    return frame("deposit_certificate", branding, "个人缴存证明", body, data.printed_at)


def loan_settled_certificate(data: LoanSettledCertificateData, branding: ReceiptBranding) -> Receipt:
    body: list[Block] = [
        Text(f"兹证明以下借款人的住房公积金贷款已于{chinese_day(data.settled_on)}全部结清。"),
        Feed(),
        *_holder_lines(data.holder),
        KeyValue("合同编号", data.contract_no),
        KeyValue("贷款本金", format_fen(data.principal_fen)),
        KeyValue("贷款年利率", format_rate_bp(data.annual_rate_bp)),
        KeyValue("贷款期限", f"{data.term_months}个月"),
        KeyValue("放款日期", day(data.start_date)),
        KeyValue("结清日期", day(data.settled_on), bold=True),
        KeyValue("出具时间", when(data.issued_at)),
        *_verification(data.code, data.verify_url, data.verify_form_url, data.issued_at, branding),
    ]
    return frame("loan_settled_certificate", branding, "贷款结清证明", body, data.printed_at)


def statement_certificate(data: StatementCertificateData, branding: ReceiptBranding) -> Receipt:
    body: list[Block] = [
        Text(f"兹证明以下职工{data.period_from}至{data.period_to}的住房公积金缴存明细如下。"),
        Feed(),
        *_holder_lines(data.holder),
        KeyValue("证明期间", f"{data.period_from} 至 {data.period_to}"),
        KeyValue("期初余额", format_fen(data.opening_balance_fen)),
        Separator("-"),
        *_records_by_year(data.records),
        KeyValue("记录笔数", str(len(data.records))),
        KeyValue("期末余额", format_fen(data.closing_balance_fen), bold=True),
        KeyValue("出具时间", when(data.issued_at)),
        *_verification(data.code, data.verify_url, data.verify_form_url, data.issued_at, branding),
    ]
    return frame("statement_certificate", branding, "缴存明细证明", body, data.printed_at)
