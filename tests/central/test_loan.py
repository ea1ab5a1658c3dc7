from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from .helpers import Statement
from .test_loan_plans import last_instalment_drift

TODAY = date(2026, 11, 27)


def test_loan_plans_repay_exactly(statements: list[Statement]) -> None:
    loans = [s.loan for s in statements if s.loan]
    assert len(loans) == 15
    for loan in loans:
        plan = loan["plan"]
        assert len(plan) == loan["term_months"]
        assert [row["period"] for row in plan] == list(range(1, len(plan) + 1))
        assert sum(row["principal_fen"] for row in plan) == loan["principal_fen"]
        assert plan[-1]["remaining_fen"] == 0
        remaining = loan["principal_fen"]
        for row in plan:
            remaining -= row["principal_fen"]
            assert row["remaining_fen"] == remaining
            assert row["principal_fen"] > 0
        first_interest = Decimal(loan["principal_fen"] * loan["annual_rate_bp"]) / 120_000
        assert plan[0]["interest_fen"] == first_interest.quantize(Decimal(1), rounding=ROUND_HALF_UP)
        # Equal instalments: every payment but the last is the monthly payment.
        payments = [row["principal_fen"] + row["interest_fen"] for row in plan]
        assert set(payments[:-1]) == {loan["monthly_payment_fen"]}
        drift = last_instalment_drift(loan["annual_rate_bp"], len(plan))
        assert abs(payments[-1] - loan["monthly_payment_fen"]) <= drift


def test_paid_overdue_balance_and_next_due_follow_today(statements: list[Statement]) -> None:
    loans = [s.loan for s in statements if s.loan]
    for loan in loans:
        plan = loan["plan"]
        past = [row for row in plan if date.fromisoformat(row["due_date"]) < TODAY]
        future = [row for row in plan if date.fromisoformat(row["due_date"]) >= TODAY]
        assert past
        assert not any(row["paid"] for row in future)
        unpaid_past = [row for row in past if not row["paid"]]
        assert loan["overdue_fen"] == sum(row["principal_fen"] + row["interest_fen"] for row in unpaid_past)
        repaid = sum(row["principal_fen"] for row in plan if row["paid"])
        assert loan["balance_fen"] == loan["principal_fen"] - repaid
        assert loan["next_due_date"] == future[0]["due_date"]
        assert loan["start_date"] < past[0]["due_date"]
    overdue = [loan for loan in loans if loan["overdue_fen"]]
    assert 1 <= len(overdue) <= 2


def test_no_loan_is_not_found(statements: list[Statement]) -> None:
    without = [s for s in statements if not s.account["has_loan"]]
    assert without
    assert {s.loan_code for s in without} == {"not_found"}
