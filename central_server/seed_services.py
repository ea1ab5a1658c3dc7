"""Synthetic offices, business types and appointment calendars. The office names are those of the units'
managing offices in `seed.py`; the materials are the usual ones of HPF counters."""

from __future__ import annotations

from sqlalchemy.orm import Session

from central_server.appointments import AppointmentCalendar
from central_server.business_types import BusinessType, Office

_OFFICES = (
    ("SHILI", "示例管理部", "Example Office"),
    ("YANGLI", "样例管理部", "Sample Office"),
    ("CESHI", "测试管理部", "Test Office"),
)
_ALL_OFFICES = [code for code, _, _ in _OFFICES]
_ID_CARD = ("本人身份证原件", "The citizen's resident ID card (original)")

# (code, zh, en, calling letter, bookable, pre-registrable, offices, places per slot, materials (zh, en))
_BUSINESS_TYPES: tuple[
    tuple[str, str, str, str, bool, bool, list[str], int, tuple[tuple[str, str], ...]], ...
] = (
    (
        "withdrawal",
        "住房公积金提取",
        "HPF withdrawal",
        "A",
        True,
        True,
        _ALL_OFFICES,
        4,
        (
            _ID_CARD,
            ("本人名下银行借记卡", "A bank debit card in the citizen's own name"),
            (
                "提取事由证明（租房合同、购房合同、退休证等）",
                "Proof of the reason (tenancy, purchase contract, …)",
            ),
        ),
    ),
    (
        "loan",
        "个人住房贷款申请",
        "Housing loan application",
        "B",
        True,
        True,
        ["SHILI", "YANGLI"],
        2,
        (
            ("借款人及配偶身份证原件", "ID cards of the borrower and spouse (originals)"),
            ("婚姻状况证明", "Proof of marital status"),
            ("购房合同及首付款凭证", "Purchase contract and down-payment receipt"),
            ("收入证明", "Proof of income"),
        ),
    ),
    (
        "transfer",
        "公积金转移接续",
        "Account transfer between centres",
        "C",
        False,
        True,
        _ALL_OFFICES,
        0,
        (_ID_CARD, ("原缴存地账户信息", "Details of the account at the former centre")),
    ),
    (
        "details_change",
        "个人信息变更",
        "Change of personal details",
        "D",
        True,
        False,
        ["CESHI"],
        3,
        (_ID_CARD, ("变更事项证明材料", "Proof of the change")),
    ),
    (
        "loan_settlement",
        "贷款结清",
        "Loan settlement",
        "E",
        True,
        True,
        ["SHILI"],
        3,
        (_ID_CARD, ("借款合同", "The loan contract")),
    ),
)


def seed_services(session: Session) -> None:
    session.add_all(Office(code=code, name_zh=zh, name_en=en) for code, zh, en in _OFFICES)
    session.flush()
    for code, zh, en, letter, bookable, pre_registrable, offices, capacity, materials in _BUSINESS_TYPES:
        session.add(
            BusinessType(
                code=code,
                name_zh=zh,
                name_en=en,
                queue_letter=letter,
                materials_zh=[line_zh for line_zh, _ in materials],
                materials_en=[line_en for _, line_en in materials],
                bookable=bookable,
                pre_registrable=pre_registrable,
                offices=offices,
            )
        )
        session.flush()
        if bookable:
            session.add_all(
                AppointmentCalendar(office=office, business_code=code, capacity=capacity)
                for office in offices
            )
