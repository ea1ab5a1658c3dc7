"""The templates: every personal value masked, money as ￥ with thousands, nothing personal in a repr, the
QR code carrying exactly what the counter or the verify page looks up."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kiosk.devices.printer.chinese import Codec, normalise
from kiosk.devices.printer.encoder import EncoderProfile, encode_items
from kiosk.devices.printer.layout import COLUMNS_58MM, COLUMNS_80MM, PAPER_GEOMETRY, lay_out, text_of
from kiosk.devices.printer.virtual import PrintedJob, VirtualPrinter
from kiosk.masking import format_fen
from kiosk.receipts import samples, templates
from kiosk.receipts.data import ComplaintSlipData, PreRegistrationData, WithdrawalSlipData
from kiosk.receipts.model import Cut, QrCode, Receipt, Text

COLUMNS = (COLUMNS_58MM, COLUMNS_80MM)


def _paper(receipt: Receipt, columns: int) -> str:
    return "\n".join(text_of(lay_out(receipt, columns), columns, Codec.GBK))


def _printed(receipt: Receipt, paper_mm: int = 58) -> PrintedJob:
    """Through the encoder (QR codes as GS ( k, so their content travels as bytes) to a virtual printer."""
    columns, dots = PAPER_GEOMETRY[paper_mm]
    job = encode_items(lay_out(receipt, columns), EncoderProfile(dots=dots, native_qr=True))
    printer = VirtualPrinter(paper_mm=paper_mm)
    printer.feed(job.data)
    (printed,) = printer.jobs
    assert printed.complete and printed.invalid == ()
    return printed


def _qr_contents(printed: PrintedJob) -> list[str]:
    return re.findall(r"^\[QR (.*)\]$", printed.text, flags=re.MULTILINE)


@pytest.mark.parametrize("native_qr", [False, True])
@pytest.mark.parametrize("codec", list(Codec))
@pytest.mark.parametrize("paper_mm", sorted(PAPER_GEOMETRY))
@pytest.mark.parametrize("name", sorted(samples.SAMPLES))
def test_no_personal_value_reaches_the_printer_in_full(
    name: str, paper_mm: int, codec: Codec, native_qr: bool
) -> None:
    columns, dots = PAPER_GEOMETRY[paper_mm]
    receipt = samples.SAMPLES[name](columns)
    job = encode_items(lay_out(receipt, columns), EncoderProfile(dots=dots, codec=codec, native_qr=native_qr))
    paper = _paper(receipt, columns)
    for secret in samples.SECRETS:
        assert secret not in paper
        assert secret.encode(codec) not in job.data
    qr_data = [block.data for block in receipt.blocks if isinstance(block, QrCode)]
    assert not any(secret in data for data in qr_data for secret in samples.SECRETS)


def test_a_full_card_number_handed_over_as_masked_is_still_masked_on_paper() -> None:
    data = dataclasses.replace(samples.WITHDRAWAL, card_masked=samples.BANK_CARD)
    printed = _printed(templates.withdrawal_slip(data, samples.BRANDING))
    assert samples.BANK_CARD not in printed.text
    assert "收款卡号：      621799******2348" in printed.lines()


@pytest.mark.parametrize("name", sorted(set(samples.SAMPLES) - {"test_slip"}))
def test_every_receipt_has_the_centre_header_and_footer_and_ends_with_a_cut(name: str) -> None:
    receipt = samples.SAMPLES[name](COLUMNS_58MM)
    paper = _paper(receipt, COLUMNS_58MM)
    assert paper.splitlines()[0].strip() == samples.BRANDING.centre_name
    for line in (*samples.BRANDING.header_lines, *samples.BRANDING.footer_lines):
        assert line in paper
    assert "终端编号：         KIOSK-TEST-01" in paper
    assert isinstance(receipt.blocks[-1], Cut)


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("withdrawal_slip", samples.WITHDRAWAL.claim_number),
        ("withdrawal_slip_waiting", samples.WITHDRAWAL_WAITING.claim_number),
        ("appointment_ticket", samples.APPOINTMENT.booking_id),
        ("pre_registration", "7KQDM3XA"),  # the code without the hyphen that helps people read it
        ("deposit_certificate", "https://gjj.example.cn/verify/TEST-8K3Q-7MZ2-W4XP"),
        ("loan_settled_certificate", samples.LOAN_SETTLED.verify_url),
        ("statement_certificate", samples.STATEMENT.verify_url),
    ],
)
def test_the_qr_code_carries_exactly_what_is_looked_up(name: str, content: str) -> None:
    assert _qr_contents(_printed(samples.SAMPLES[name](COLUMNS_58MM))) == [content]


def test_a_cancellation_slip_has_no_qr_code_to_scan() -> None:
    assert _qr_contents(_printed(samples.SAMPLES["appointment_cancelled"](COLUMNS_58MM))) == []


def test_the_account_statement_masks_as_the_domain_rules_say() -> None:
    lines = _paper(samples.SAMPLES["account_statement"](COLUMNS_58MM), COLUMNS_58MM).splitlines()
    # 32 columns each, a hanzi counted as two: the value sits flush right.
    assert "姓名：                      孙**" in lines
    assert "证件号码：    120***********208X" in lines
    assert "个人账号：          120*****0021" in lines
    assert "账户余额：          ￥123,456.78" in lines  # ¥ from format_fen, normalised to GBK's ￥
    assert "缴存比例：       单位12% 个人12%" in lines


def test_the_withdrawal_slip_puts_the_claim_number_first_and_large() -> None:
    receipt = samples.SAMPLES["withdrawal_slip"](COLUMNS_58MM)
    texts = [block for block in receipt.blocks if isinstance(block, Text)]
    title = next(index for index, block in enumerate(texts) if block.text == "提取申请受理回执")
    label, number = texts[title + 1], texts[title + 2]
    assert (label.text, number.text, number.bold, number.size) == ("受理编号", "TQ7KQDM3XA", True, 2)
    lines = _printed(receipt).lines()
    assert "提取金额：           ￥15,000.00" in lines
    assert "中心已受理" in [line.strip() for line in lines]
    assert "1. 房屋租赁合同" in lines


def test_a_waiting_slip_says_it_is_stored_here_and_where_to_follow_it() -> None:
    lines = _printed(samples.SAMPLES["withdrawal_slip_waiting"](COLUMNS_58MM)).lines()
    assert "本机已受理，待发送至中心" in [line.strip() for line in lines]
    assert "可在任一自助终端“业务进度”" in lines
    assert "或拨打12329凭受理编号查询。" in lines
    assert "中心已受理" not in "\n".join(lines)
    # No account number known yet: the line is left out rather than printed empty.
    assert not any(line.startswith("个人账号") for line in lines)


def test_an_aware_time_prints_as_the_citizens_clock_shows_it() -> None:
    # The outbox stores UTC: 01:28 UTC is 09:28 in China.
    assert samples.WITHDRAWAL.accepted_at.tzinfo is dt.UTC
    lines = _paper(samples.SAMPLES["withdrawal_slip"](COLUMNS_58MM), COLUMNS_58MM).splitlines()
    assert "受理时间：      2026-11-27 09:28" in lines
    late = dataclasses.replace(samples.CERTIFICATE, issued_at=dt.datetime(2026, 11, 27, 17, 5, tzinfo=dt.UTC))
    paper = _paper(templates.deposit_certificate(late, samples.BRANDING), COLUMNS_58MM).splitlines()
    assert "出具时间：      2026-11-28 01:05" in paper
    assert "                  2026年11月28日" in paper  # the seal's date is the same day


@pytest.mark.parametrize("data", [samples.WITHDRAWAL, samples.PRE_REGISTRATION, samples.COMPLAINT])
def test_a_status_other_than_accepted_or_waiting_is_refused(
    data: WithdrawalSlipData | PreRegistrationData | ComplaintSlipData,
) -> None:
    with pytest.raises(ValueError, match=r"status 'sent' is not 'accepted' .* or 'waiting'"):
        dataclasses.replace(data, status="sent")  # type: ignore[arg-type]


def test_the_appointment_ticket_calls_the_number_large_and_keeps_a_compound_surname() -> None:
    receipt = samples.SAMPLES["appointment_ticket"](COLUMNS_58MM)
    (call,) = [block for block in receipt.blocks if isinstance(block, Text) and block.text == "D003"]
    assert call.size == 3 and call.bold
    lines = _paper(receipt, COLUMNS_58MM).splitlines()
    assert "预约日期：    2026-11-30（周一）" in lines
    assert "预约时段：           09:00-09:30" in lines
    assert "预约人：                  欧阳**" in lines
    assert "3. 首付款发票" in lines


def test_the_cancellation_slip_says_so_before_anything_else() -> None:
    receipt = samples.SAMPLES["appointment_cancelled"](COLUMNS_58MM)
    texts = [block.text for block in receipt.blocks if isinstance(block, Text)]
    assert texts[texts.index("预约取消凭条") + 1] == "预约已取消"
    lines = _paper(receipt, COLUMNS_58MM).splitlines()
    assert "原预约号：                  D003" in lines and "预约人：                  欧阳**" in lines


def test_the_pre_registration_slip_shows_the_readable_code_and_the_materials() -> None:
    lines = _printed(samples.SAMPLES["pre_registration"](COLUMNS_58MM)).lines()
    assert "7KQD-M3XA" in [line.strip() for line in lines]
    assert "有效期至：            2026-12-27" in lines
    assert "2. 退休证或退休审批表" in lines


def test_the_complaint_slip_puts_the_reference_first_and_the_phone_masked_with_the_callback() -> None:
    lines = [line.strip() for line in _printed(samples.SAMPLES["complaint_slip"](COLUMNS_58MM)).lines()]
    assert lines.index("受理编号") + 1 == lines.index("7KQD-M3XA") < lines.index("类别：" + " " * 22 + "投诉")
    assert "回电号码：           138****1234" in lines and samples.PHONE not in "".join(lines)
    assert "我们将在1个工作日内" in lines


def test_a_suggestion_without_a_phone_says_nobody_will_call() -> None:
    slip = samples.SAMPLES["suggestion_slip_waiting"](COLUMNS_58MM)
    lines = [line.strip() for line in _printed(slip).lines()]
    assert "您未留电话，中心不回电。" in lines and not any("回电号码" in line for line in lines)
    assert "本机已受理，待发送至中心" in lines and not any("业务进度" in line for line in lines)


CODES = {
    "deposit_certificate": samples.CERTIFICATE.code,
    "loan_settled_certificate": samples.LOAN_SETTLED.code,
    "statement_certificate": samples.STATEMENT.code,
}


@pytest.mark.parametrize("name", sorted(CODES))
def test_a_certificate_prints_its_code_the_form_to_type_it_in_and_the_seal(name: str) -> None:
    receipt = samples.SAMPLES[name](COLUMNS_58MM)
    (code,) = [block for block in receipt.blocks if isinstance(block, Text) and "验证码：" in block.text]
    assert code.bold and code.text == f"验证码：{CODES[name]}"
    lines = [line.strip() for line in _paper(receipt, COLUMNS_58MM).splitlines()]
    form = lines.index("https://gjj.example.cn/verify")
    assert lines[form - 1 : form + 2] == ["扫码核验，或登录", samples.VERIFY_FORM_URL, "输入验证码核验"]
    assert "天津市住房公积金管理中心（章）" in lines and "2026年11月27日" in lines


def test_the_loan_settled_certificate_states_the_loan() -> None:
    lines = _paper(samples.SAMPLES["loan_settled_certificate"](COLUMNS_58MM), COLUMNS_58MM).splitlines()
    assert "合同编号：   TEST-DK-2016-000123" in lines
    assert "贷款本金：          ￥600,000.00" in lines
    assert "贷款年利率：               3.25%" in lines
    assert "结清日期：            2026-05-20" in lines


def test_the_statement_certificate_lists_the_period_with_opening_and_closing_balances() -> None:
    lines = _paper(samples.SAMPLES["statement_certificate"](COLUMNS_58MM), COLUMNS_58MM).splitlines()
    assert "期初余额：          ￥101,234.56" in lines
    assert "07-20 提取 -15,000.00 100,061.68" in lines
    assert "期末余额：          ￥102,101.68" in lines
    empty = dataclasses.replace(samples.STATEMENT, records=(), closing_balance_fen=10_123_456)
    paper = _paper(templates.statement_certificate(empty, samples.BRANDING), COLUMNS_58MM)
    assert "此期间无缴存记录" in paper and "记录笔数：                     0" in paper.splitlines()


def test_deposit_records_are_grouped_by_year_and_fit_58mm_without_wrapping() -> None:
    receipt = samples.SAMPLES["deposit_records"](COLUMNS_58MM)
    lines = text_of(lay_out(receipt, COLUMNS_58MM), COLUMNS_58MM, Codec.GBK)
    assert "2026年" in lines
    assert "07-20 提取 -15,000.00 100,061.68" in lines
    assert "日期  类型     发生额       余额" in lines


def test_an_empty_period_says_so() -> None:
    data = dataclasses.replace(samples.RECORDS, records=())
    paper = _paper(templates.deposit_records(data, samples.BRANDING), COLUMNS_58MM)
    assert "此期间无缴存记录" in paper and "期末余额" not in paper


def test_reprs_never_show_personal_data() -> None:
    shown = " ".join(
        repr(value)
        for value in (
            samples.ACCOUNT,
            samples.WITHDRAWAL,
            samples.APPOINTMENT,
            samples.CANCELLATION,
            samples.PRE_REGISTRATION,
            samples.COMPLAINT,
            samples.CERTIFICATE,
            samples.LOAN_SETTLED,
            samples.STATEMENT,
            samples.SAMPLES["withdrawal_slip"](COLUMNS_58MM),
        )
    )
    for secret in (*samples.SECRETS, samples.BANK_CARD_MASKED):
        assert secret not in shown


def _value_of(key: str, lines: list[str]) -> str:
    """A KeyValue's value as printed: on the key's line, or on the lines below when it did not fit."""
    index = next(i for i, line in enumerate(lines) if line.startswith(f"{key}："))
    on_line = lines[index].removeprefix(f"{key}：").strip()
    return on_line or lines[index + 1].strip()


# Letters, digits, punctuation and symbols of any script: what a number or code could be made of.
_SYMBOLS = st.text(st.characters(categories=("L", "N", "P", "S")), min_size=1, max_size=40)


@settings(max_examples=60, deadline=None)
@given(
    claim_number=_SYMBOLS,
    amount_fen=st.integers(min_value=0, max_value=10**18),  # past 10**15 the amount wraps below its key
    paper_mm=st.sampled_from(sorted(PAPER_GEOMETRY)),
)
def test_any_claim_number_and_amount_prints_and_the_amount_reads_as_format_fen(
    claim_number: str, amount_fen: int, paper_mm: int
) -> None:
    data = dataclasses.replace(samples.WITHDRAWAL, claim_number=claim_number, amount_fen=amount_fen)
    printed = _printed(templates.withdrawal_slip(data, samples.BRANDING), paper_mm)
    assert _value_of("提取金额", printed.lines()) == normalise(format_fen(amount_fen))
    assert _qr_contents(printed) == [claim_number]


@settings(max_examples=60, deadline=None)
@given(code=_SYMBOLS, paper_mm=st.sampled_from(sorted(PAPER_GEOMETRY)))
def test_any_pre_registration_or_certificate_code_prints(code: str, paper_mm: int) -> None:
    columns = PAPER_GEOMETRY[paper_mm][0]
    slip = templates.pre_registration(
        dataclasses.replace(samples.PRE_REGISTRATION, code=code), samples.BRANDING
    )
    certificate = templates.deposit_certificate(
        dataclasses.replace(samples.CERTIFICATE, code=code, verify_url=f"{samples.VERIFY_FORM_URL}/{code}"),
        samples.BRANDING,
    )
    for receipt in (slip, certificate):
        _printed(receipt, paper_mm)
        assert lay_out(receipt, columns)
