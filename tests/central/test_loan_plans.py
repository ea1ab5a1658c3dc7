"""Equal-instalment plans, for any loan and not only the synthetic ones."""

from __future__ import annotations

from datetime import date

from hypothesis import given
from hypothesis import strategies as st

from central_server.loans import equal_instalment_plan, monthly_payment_fen


def last_instalment_drift(annual_rate_bp: int, term: int) -> float:
    """How far the last instalment may be from the others: each month rounds the payment and the interest
    by at most half a fen each, and that fen then compounds in the remaining principal."""
    rate = annual_rate_bp / 120_000
    return ((1 + rate) ** term - 1) / rate


def test_a_known_monthly_payment() -> None:
    # 1,000,000 yuan over 30 years at 3.25 %: 4,352.06 yuan a month, as bank calculators give.
    assert monthly_payment_fen(100_000_000, 325, 360) == 435_206


@given(
    principal=st.integers(1_000_00, 5_000_000_00),
    rate=st.integers(1, 1_000),
    term=st.integers(1, 360),
    start=st.dates(date(2000, 1, 1), date(2040, 12, 31)),
)
def test_a_plan_repays_the_principal_exactly(principal: int, rate: int, term: int, start: date) -> None:
    plan = equal_instalment_plan(principal, rate, term, start)
    payment = monthly_payment_fen(principal, rate, term)
    assert len(plan) == term
    assert sum(row.principal_fen for row in plan) == principal
    assert plan[-1].remaining_fen == 0
    assert all(row.principal_fen >= 0 and row.interest_fen >= 0 for row in plan)
    assert all(row.principal_fen + row.interest_fen == payment for row in plan[:-1])
    assert abs(plan[-1].principal_fen + plan[-1].interest_fen - payment) <= last_instalment_drift(rate, term)
    assert [row.due_date for row in plan] == sorted({row.due_date for row in plan})
    assert plan[0].due_date > start
