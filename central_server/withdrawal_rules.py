"""Who may withdraw for which reason, how much, and with what papers: the centre's withdrawal rules.

Pure: facts and a date in, an assessment out. The figures are this reference centre's, plausible and
written down in docs/central-api.md, not any real centre's regulation:

- every reason: a closed account withdraws nothing; an application of the same reason still waiting for
  payment blocks another; an empty account has nothing to withdraw.
- 01 rent 租房: normal account, no unpaid housing loan, once per calendar month and at most
  `RENT_TIMES_PER_YEAR` times per calendar year; at most `RENT_MONTHLY_CAP_FEN` for each month since the
  last rent withdrawal (12 months when there was none, and never more than 12).
- 02 retirement 退休: aged `RETIREMENT_AGE` or more by the birth date in the ID number, no unpaid loan,
  normal or sealed account; the whole balance.
- 03 account closing 销户: a sealed account and no unpaid loan; the whole balance; counter only.
- 04 loan repayment 还贷: an unpaid housing loan, once per calendar year; at most the loan's outstanding
  principal.
- 05 house purchase 购房: normal account; the whole balance; counter only (the contract and invoice are
  checked there).
- 06 property fee 物业费: normal account, once per calendar year, at most `PROPERTY_FEE_CAP_FEN`.
- 07 leaving the city 离开本市: a sealed account and no unpaid loan; the whole balance; counter only.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum
from typing import Literal

from central_server.dates import month_index

RENT_MONTHLY_CAP_FEN = 1_500_00
RENT_MAX_MONTHS = 12
RENT_TIMES_PER_YEAR = 4
RETIREMENT_AGE = 60
PROPERTY_FEE_CAP_FEN = 3_000_00

AccountStatus = Literal["normal", "sealed", "closed"]


class Reason(StrEnum):
    """提取 reasons; 01-06 are the codes of the intake's `WithdrawalType`."""

    RENT = "01"
    RETIREMENT = "02"
    ACCOUNT_CLOSING = "03"
    LOAN_REPAYMENT = "04"
    HOUSE_PURCHASE = "05"
    PROPERTY_FEE = "06"
    LEAVING_CITY = "07"


class Refusal(StrEnum):
    ACCOUNT_CLOSED = "account_closed"
    APPLICATION_PENDING = "application_pending"
    NO_BALANCE = "no_balance"
    ACCOUNT_NOT_NORMAL = "account_not_normal"
    ACCOUNT_NOT_SEALED = "account_not_sealed"
    HAS_LOAN = "has_loan"
    NO_LOAN = "no_loan"
    TOO_YOUNG = "too_young"
    RENT_THIS_MONTH = "rent_this_month"
    RENT_YEARLY_LIMIT = "rent_yearly_limit"
    USED_THIS_YEAR = "used_this_year"
    # Only when applying: the options never offer more than the maximum nor file a counter-only reason.
    AMOUNT_OVER_MAXIMUM = "amount_over_maximum"
    COUNTER_ONLY = "counter_only"


@dataclass(frozen=True)
class Text:
    zh: str
    en: str


REASON_NAMES: dict[Reason, Text] = {
    Reason.RENT: Text("租房提取", "Rent"),
    Reason.RETIREMENT: Text("退休提取", "Retirement"),
    Reason.ACCOUNT_CLOSING: Text("销户提取", "Closing the account"),
    Reason.LOAN_REPAYMENT: Text("偿还公积金贷款提取", "Repaying the housing loan"),
    Reason.HOUSE_PURCHASE: Text("购房提取", "Buying a home"),
    Reason.PROPERTY_FEE: Text("物业费提取", "Property fees"),
    Reason.LEAVING_CITY: Text("离开本市提取", "Leaving the city"),
}

# Short, and each says what to do next.
REFUSAL_TEXTS: dict[Refusal, Text] = {
    Refusal.ACCOUNT_CLOSED: Text(
        "账户已销户，无法提取。", "The account is closed; nothing can be withdrawn."
    ),
    Refusal.APPLICATION_PENDING: Text(
        "您已有一笔同类申请正在办理，请等待到账后再申请。",
        "An application of this kind is still being paid; apply again once it has arrived.",
    ),
    Refusal.NO_BALANCE: Text(
        "账户余额为零，无可提取金额。", "The balance is zero; there is nothing to withdraw."
    ),
    Refusal.ACCOUNT_NOT_NORMAL: Text(
        "账户须为正常缴存状态，请咨询单位或到柜台办理。",
        "The account must be in normal deposit status; ask your employer or go to the counter.",
    ),
    Refusal.ACCOUNT_NOT_SEALED: Text(
        "账户须先封存，请联系单位办理封存后再申请。",
        "The account must be sealed first; ask your employer to seal it, then apply.",
    ),
    Refusal.HAS_LOAN: Text(
        "您有未结清的公积金贷款，请结清后再申请。",
        "You have a housing loan to repay; apply once it is settled.",
    ),
    Refusal.NO_LOAN: Text(
        "未查到您的未结清公积金贷款，偿还商业贷款请到柜台办理。",
        "No housing loan of this centre is open; for a commercial loan, go to the counter.",
    ),
    Refusal.TOO_YOUNG: Text(
        f"未到退休提取年龄（{RETIREMENT_AGE}周岁），提前退休请到柜台办理。",
        f"Below the retirement age ({RETIREMENT_AGE}); for early retirement, go to the counter.",
    ),
    Refusal.RENT_THIS_MONTH: Text(
        "本月已办理过租房提取，请下月再申请。",
        "Rent was already withdrawn this month; apply again next month.",
    ),
    Refusal.RENT_YEARLY_LIMIT: Text(
        f"本年度租房提取已满{RENT_TIMES_PER_YEAR}次，请明年再申请。",
        f"Rent was already withdrawn {RENT_TIMES_PER_YEAR} times this year; apply again next year.",
    ),
    Refusal.USED_THIS_YEAR: Text(
        "本年度已办理过此类提取，请明年再申请。",
        "This kind of withdrawal was already made this year; apply again next year.",
    ),
    Refusal.AMOUNT_OVER_MAXIMUM: Text(
        "申请金额超过可提取上限，请按上限以内金额申请。",
        "The amount is over the maximum; apply for the maximum or less.",
    ),
    Refusal.COUNTER_ONLY: Text(
        "此类提取须携带材料到柜台办理。", "This withdrawal is made at the counter; bring the papers listed."
    ),
}

MATERIALS: dict[Reason, tuple[Text, ...]] = {
    Reason.RENT: (Text("租房合同或无房证明", "tenancy agreement or proof of owning no home"),),
    Reason.RETIREMENT: (Text("退休证", "retirement certificate"),),
    Reason.ACCOUNT_CLOSING: (Text("解除劳动合同证明", "proof the employment ended"),),
    Reason.LOAN_REPAYMENT: (),
    Reason.HOUSE_PURCHASE: (
        Text("购房合同", "purchase contract"),
        Text("购房发票", "purchase invoice"),
    ),
    Reason.PROPERTY_FEE: (Text("物业费发票", "property fee invoice"),),
    Reason.LEAVING_CITY: (
        Text("户口迁出证明或异地缴存证明", "proof of moving away or of deposits in another city"),
    ),
}

COUNTER_ONLY: frozenset[Reason] = frozenset(
    {Reason.ACCOUNT_CLOSING, Reason.HOUSE_PURCHASE, Reason.LEAVING_CITY}
)


@dataclass(frozen=True)
class CitizenFacts:
    """What the rules look at, as the centre knows it on the day of the assessment."""

    account_status: AccountStatus
    balance_fen: int
    birth_date: dt.date  # from the ID number
    loan_outstanding_fen: int  # principal not yet repaid; 0 without a loan or when it is settled
    # Rent withdrawals of the account (paid or being paid), any order.
    rent_withdrawals: tuple[dt.date, ...] = ()
    # The last withdrawal of each reason other than rent (paid or being paid).
    last_withdrawal: tuple[tuple[Reason, dt.date], ...] = ()
    # Reasons with an application accepted and not yet paid.
    pending: frozenset[Reason] = frozenset()


@dataclass(frozen=True)
class Assessment:
    reason: Reason
    allowed: bool
    refusal: Refusal | None  # None exactly when allowed
    max_fen: int  # 0 when refused
    materials: tuple[Text, ...]
    counter_only: bool


def age_on(birth_date: dt.date, today: dt.date) -> int:
    return today.year - birth_date.year - ((today.month, today.day) < (birth_date.month, birth_date.day))


def assess(facts: CitizenFacts, reason: Reason, today: dt.date) -> Assessment:
    """Whether this citizen may withdraw for `reason` today, and at most how much."""
    refusal, limit = _rule(facts, reason, today)
    if refusal is None and facts.balance_fen <= 0:
        refusal = Refusal.NO_BALANCE
    allowed = refusal is None
    return Assessment(
        reason=reason,
        allowed=allowed,
        refusal=refusal,
        max_fen=max(0, min(limit, facts.balance_fen)) if allowed else 0,
        materials=MATERIALS[reason],
        counter_only=reason in COUNTER_ONLY,
    )


def assess_all(facts: CitizenFacts, today: dt.date) -> list[Assessment]:
    return [assess(facts, reason, today) for reason in Reason]


def _rule(facts: CitizenFacts, reason: Reason, today: dt.date) -> tuple[Refusal | None, int]:
    """The reason's own refusal, or None and the reason's limit (before the balance caps it)."""
    if facts.account_status == "closed":
        return Refusal.ACCOUNT_CLOSED, 0
    if reason in facts.pending:
        return Refusal.APPLICATION_PENDING, 0
    has_loan = facts.loan_outstanding_fen > 0
    whole = facts.balance_fen
    match reason:
        case Reason.RENT:
            return _rent(facts, today)
        case Reason.RETIREMENT:
            if age_on(facts.birth_date, today) < RETIREMENT_AGE:
                return Refusal.TOO_YOUNG, 0
            return (Refusal.HAS_LOAN, 0) if has_loan else (None, whole)
        case Reason.ACCOUNT_CLOSING | Reason.LEAVING_CITY:
            if facts.account_status != "sealed":
                return Refusal.ACCOUNT_NOT_SEALED, 0
            return (Refusal.HAS_LOAN, 0) if has_loan else (None, whole)
        case Reason.LOAN_REPAYMENT:
            if not has_loan:
                return Refusal.NO_LOAN, 0
            if _used_this_year(facts, reason, today):
                return Refusal.USED_THIS_YEAR, 0
            return None, facts.loan_outstanding_fen
        case Reason.HOUSE_PURCHASE:
            if facts.account_status != "normal":
                return Refusal.ACCOUNT_NOT_NORMAL, 0
            return None, whole
        case Reason.PROPERTY_FEE:
            if facts.account_status != "normal":
                return Refusal.ACCOUNT_NOT_NORMAL, 0
            if _used_this_year(facts, reason, today):
                return Refusal.USED_THIS_YEAR, 0
            return None, PROPERTY_FEE_CAP_FEN


def _rent(facts: CitizenFacts, today: dt.date) -> tuple[Refusal | None, int]:
    if facts.account_status != "normal":
        return Refusal.ACCOUNT_NOT_NORMAL, 0
    if facts.loan_outstanding_fen > 0:
        return Refusal.HAS_LOAN, 0
    # Withdrawals dated after today (a clock set back) count as this month's.
    past = [day for day in facts.rent_withdrawals if day <= today]
    if len(past) < len(facts.rent_withdrawals) or any(month_index(day) == month_index(today) for day in past):
        return Refusal.RENT_THIS_MONTH, 0
    if sum(day.year == today.year for day in past) >= RENT_TIMES_PER_YEAR:
        return Refusal.RENT_YEARLY_LIMIT, 0
    months = RENT_MAX_MONTHS
    if past:
        months = min(RENT_MAX_MONTHS, month_index(today) - month_index(max(past)))
    return None, RENT_MONTHLY_CAP_FEN * months


def _used_this_year(facts: CitizenFacts, reason: Reason, today: dt.date) -> bool:
    return any(done == reason and day.year >= today.year for done, day in facts.last_withdrawal)
