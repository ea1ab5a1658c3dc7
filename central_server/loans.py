"""Equal-instalment (等额本息) repayment plans in integer fen."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from fractions import Fraction

from central_server.dates import add_months
from central_server.money import div_half_up

# Basis points per year -> monthly rate: bp / 10_000 / 12.
_MONTHLY_RATE_DENOMINATOR = 120_000


@dataclass(frozen=True)
class Instalment:
    period: int
    due_date: date
    principal_fen: int
    interest_fen: int
    remaining_fen: int


def monthly_payment_fen(principal_fen: int, annual_rate_bp: int, term_months: int) -> int:
    """P·r·(1+r)^n / ((1+r)^n − 1), computed exactly and rounded half up to the fen."""
    if principal_fen <= 0 or annual_rate_bp <= 0 or term_months <= 0:
        raise ValueError("principal, rate and term must be positive")
    rate = Fraction(annual_rate_bp, _MONTHLY_RATE_DENOMINATOR)
    growth = (1 + rate) ** term_months
    exact = principal_fen * rate * growth / (growth - 1)
    return div_half_up(exact.numerator, exact.denominator)


def equal_instalment_plan(
    principal_fen: int, annual_rate_bp: int, term_months: int, start_date: date
) -> list[Instalment]:
    """The full plan: each month's interest is on the remaining principal; the last instalment takes
    whatever principal the rounding of the payment left over, so the plan always repays exactly."""
    payment = monthly_payment_fen(principal_fen, annual_rate_bp, term_months)
    remaining = principal_fen
    plan: list[Instalment] = []
    for period in range(1, term_months + 1):
        interest = div_half_up(remaining * annual_rate_bp, _MONTHLY_RATE_DENOMINATOR)
        principal = remaining if period == term_months else min(payment - interest, remaining)
        remaining -= principal
        plan.append(Instalment(period, add_months(start_date, period), principal, interest, remaining))
    return plan
