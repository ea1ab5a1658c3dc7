"""The withdrawal rules as a pure function: properties for any facts, and the rules each reason states."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from central_server.intake_schemas import WithdrawalType
from central_server.withdrawal_rules import (
    PROPERTY_FEE_CAP_FEN,
    RENT_MONTHLY_CAP_FEN,
    CitizenFacts,
    Reason,
    Refusal,
    assess,
    assess_all,
)

TODAY = dt.date(2026, 11, 27)
BORN_1980 = dt.date(1980, 5, 17)

days = st.dates(dt.date(2000, 1, 1), dt.date(2040, 12, 31))
facts_strategy = st.builds(
    CitizenFacts,
    account_status=st.sampled_from(["normal", "sealed", "closed"]),
    balance_fen=st.integers(-1_000_00, 5_000_000_00),
    birth_date=st.dates(dt.date(1930, 1, 1), dt.date(2010, 12, 31)),
    loan_outstanding_fen=st.integers(0, 2_000_000_00),
    rent_withdrawals=st.lists(days, max_size=8).map(tuple),
    last_withdrawal=st.lists(st.tuples(st.sampled_from(Reason), days), max_size=4).map(tuple),
    pending=st.frozensets(st.sampled_from(Reason)),
)


BASE = CitizenFacts(
    account_status="normal", balance_fen=50_000_00, birth_date=BORN_1980, loan_outstanding_fen=0
)


def facts(**changes: Any) -> CitizenFacts:
    return dataclasses.replace(BASE, **changes)


@given(facts_strategy, st.sampled_from(Reason), days)
def test_the_maximum_is_never_negative_nor_above_the_balance(
    citizen: CitizenFacts, reason: Reason, today: dt.date
) -> None:
    assessment = assess(citizen, reason, today)
    assert 0 <= assessment.max_fen <= max(citizen.balance_fen, 0)


@given(facts_strategy, st.sampled_from(Reason), days)
def test_a_refusal_has_a_code_and_allows_nothing(
    citizen: CitizenFacts, reason: Reason, today: dt.date
) -> None:
    assessment = assess(citizen, reason, today)
    assert assessment.allowed == (assessment.refusal is None)
    if assessment.allowed:
        assert assessment.max_fen > 0
    else:
        assert assessment.max_fen == 0


@given(facts_strategy, st.sampled_from(Reason), days)
def test_the_assessment_is_deterministic(citizen: CitizenFacts, reason: Reason, today: dt.date) -> None:
    assert assess(citizen, reason, today) == assess(citizen, reason, today)


@given(facts_strategy, days)
def test_a_closed_account_withdraws_nothing_and_a_pending_reason_waits(
    citizen: CitizenFacts, today: dt.date
) -> None:
    for assessment in assess_all(citizen, today):
        if citizen.account_status == "closed":
            assert assessment.refusal == Refusal.ACCOUNT_CLOSED
        elif assessment.reason in citizen.pending:
            assert assessment.refusal == Refusal.APPLICATION_PENDING


def test_the_kiosk_codes_are_the_intakes_withdrawal_types() -> None:
    assert {reason.value for reason in Reason} >= {kind.value for kind in WithdrawalType}


def test_rent_allows_the_monthly_cap_for_each_month_since_the_last_up_to_twelve() -> None:
    assert assess(facts(), Reason.RENT, TODAY).max_fen == 12 * RENT_MONTHLY_CAP_FEN
    three_months_ago = facts(rent_withdrawals=(dt.date(2026, 8, 27),))
    assert assess(three_months_ago, Reason.RENT, TODAY).max_fen == 3 * RENT_MONTHLY_CAP_FEN
    long_ago = facts(rent_withdrawals=(dt.date(2023, 1, 3),))
    assert assess(long_ago, Reason.RENT, TODAY).max_fen == 12 * RENT_MONTHLY_CAP_FEN
    poor = facts(balance_fen=1_234_56)
    assert assess(poor, Reason.RENT, TODAY).max_fen == 1_234_56


def test_rent_is_once_a_month_four_times_a_year_and_not_with_a_loan() -> None:
    this_month = facts(rent_withdrawals=(dt.date(2026, 11, 2),))
    assert assess(this_month, Reason.RENT, TODAY).refusal == Refusal.RENT_THIS_MONTH
    four = facts(rent_withdrawals=tuple(dt.date(2026, month, 27) for month in (1, 4, 7, 10)))
    assert assess(four, Reason.RENT, TODAY).refusal == Refusal.RENT_YEARLY_LIMIT
    assert assess(four, Reason.RENT, dt.date(2027, 1, 2)).max_fen == 3 * RENT_MONTHLY_CAP_FEN
    assert assess(facts(loan_outstanding_fen=1), Reason.RENT, TODAY).refusal == Refusal.HAS_LOAN
    assert assess(facts(account_status="sealed"), Reason.RENT, TODAY).refusal == Refusal.ACCOUNT_NOT_NORMAL


def test_retirement_follows_the_birth_date_and_pays_the_whole_balance() -> None:
    sixty_today = facts(birth_date=dt.date(1966, 11, 27), account_status="sealed")
    assert assess(sixty_today, Reason.RETIREMENT, TODAY).max_fen == 50_000_00
    sixty_tomorrow = facts(birth_date=dt.date(1966, 11, 28))
    assert assess(sixty_tomorrow, Reason.RETIREMENT, TODAY).refusal == Refusal.TOO_YOUNG


def test_closing_and_leaving_need_a_sealed_account_and_are_counter_only() -> None:
    for reason in (Reason.ACCOUNT_CLOSING, Reason.LEAVING_CITY):
        assert assess(facts(), reason, TODAY).refusal == Refusal.ACCOUNT_NOT_SEALED
        sealed = assess(facts(account_status="sealed"), reason, TODAY)
        assert (sealed.allowed, sealed.max_fen, sealed.counter_only) == (True, 50_000_00, True)
        assert sealed.materials


def test_loan_repayment_is_capped_by_the_loan_and_once_a_year() -> None:
    assert assess(facts(), Reason.LOAN_REPAYMENT, TODAY).refusal == Refusal.NO_LOAN
    borrower = facts(loan_outstanding_fen=20_000_00)
    assert assess(borrower, Reason.LOAN_REPAYMENT, TODAY).max_fen == 20_000_00
    repaid = facts(
        loan_outstanding_fen=20_000_00, last_withdrawal=((Reason.LOAN_REPAYMENT, dt.date(2026, 2, 1)),)
    )
    assert assess(repaid, Reason.LOAN_REPAYMENT, TODAY).refusal == Refusal.USED_THIS_YEAR
    assert assess(repaid, Reason.LOAN_REPAYMENT, dt.date(2027, 1, 1)).allowed


def test_property_fee_is_capped_and_yearly() -> None:
    assert assess(facts(), Reason.PROPERTY_FEE, TODAY).max_fen == PROPERTY_FEE_CAP_FEN
    paid = facts(last_withdrawal=((Reason.PROPERTY_FEE, dt.date(2026, 3, 1)),))
    assert assess(paid, Reason.PROPERTY_FEE, TODAY).refusal == Refusal.USED_THIS_YEAR


def test_an_empty_account_has_nothing_to_withdraw() -> None:
    assert assess(facts(balance_fen=0), Reason.HOUSE_PURCHASE, TODAY).refusal == Refusal.NO_BALANCE
