"""The templates: every personal value masked, money as ￥ with thousands, nothing personal in a repr."""

from __future__ import annotations

import dataclasses

import pytest

from kiosk.devices.printer.chinese import Codec
from kiosk.devices.printer.layout import COLUMNS_58MM, COLUMNS_80MM, lay_out, text_of
from kiosk.receipts import samples, templates
from kiosk.receipts.model import Barcode, Cut, QrCode, Receipt, Text

COLUMNS = (COLUMNS_58MM, COLUMNS_80MM)


def _paper(receipt: Receipt, columns: int) -> str:
    return "\n".join(text_of(lay_out(receipt, columns), columns, Codec.GBK))


@pytest.mark.parametrize("columns", COLUMNS)
@pytest.mark.parametrize("name", sorted(samples.SAMPLES))
def test_no_personal_value_reaches_paper_in_full(name: str, columns: int) -> None:
    receipt = samples.SAMPLES[name](columns)
    paper = _paper(receipt, columns)
    for secret in samples.SECRETS:
        assert secret not in paper
    printed_codes = [b.data for b in receipt.blocks if isinstance(b, QrCode | Barcode)]
    assert not any(secret in code for code in printed_codes for secret in samples.SECRETS)


@pytest.mark.parametrize("name", sorted(set(samples.SAMPLES) - {"test_slip"}))
def test_every_receipt_has_the_centre_header_and_footer_and_ends_with_a_cut(name: str) -> None:
    receipt = samples.SAMPLES[name](COLUMNS_58MM)
    paper = _paper(receipt, COLUMNS_58MM)
    assert paper.splitlines()[0].strip() == samples.BRANDING.centre_name
    for line in (*samples.BRANDING.header_lines, *samples.BRANDING.footer_lines):
        assert line in paper
    assert "终端编号：         KIOSK-TEST-01" in paper
    assert isinstance(receipt.blocks[-1], Cut)


def test_the_account_statement_masks_as_the_domain_rules_say() -> None:
    paper = _paper(samples.SAMPLES["account_statement"](COLUMNS_58MM), COLUMNS_58MM)
    lines = paper.splitlines()
    # 32 columns each, a hanzi counted as two: the value sits flush right.
    assert "姓名：                      张**" in lines
    assert "证件号码：    120***********123X" in lines
    assert "账户余额：          ￥123,456.78" in lines  # ¥ from format_fen, normalised to GBK's ￥
    assert "缴存比例：       单位12% 个人12%" in lines


def test_the_withdrawal_slip_masks_bank_card_and_phone() -> None:
    paper = _paper(samples.SAMPLES["withdrawal_slip"](COLUMNS_58MM), COLUMNS_58MM)
    assert "621700*********2348" in paper
    assert "138****5678" in paper
    assert "提取金额：           ￥15,000.00" in paper.splitlines()


def test_the_appointment_ticket_keeps_a_compound_surname() -> None:
    paper = _paper(samples.SAMPLES["appointment_ticket"](COLUMNS_58MM), COLUMNS_58MM)
    assert "欧阳**" in paper
    assert "A023" in paper and "3号窗口" in paper


def test_the_certificate_carries_its_verification_code_and_a_qr_to_check_it() -> None:
    receipt = samples.SAMPLES["deposit_certificate"](COLUMNS_58MM)
    (qr,) = [block for block in receipt.blocks if isinstance(block, QrCode)]
    assert qr.data == "https://gjj.example.cn/verify?code=TEST-8K3Q-7MZ2"
    code = [b for b in receipt.blocks if isinstance(b, Text) and b.text == "TEST-8K3Q-7MZ2"]
    assert code and code[0].size == 2 and code[0].bold


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
            samples.PRE_REGISTRATION,
            samples.CERTIFICATE,
            samples.SAMPLES["account_statement"](COLUMNS_58MM),
        )
    )
    for secret in samples.SECRETS:
        assert secret not in shown
