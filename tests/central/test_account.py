"""Account fields against the deposit records, for every synthetic citizen (fetched over HTTP)."""

from __future__ import annotations

import itertools
from collections import Counter
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from central_server.dates import centre_today

from .helpers import FIXED_NOW, Statement

TODAY = date(2026, 11, 27)  # FIXED_NOW in the centre
LAST_MONTH = "2026-10"
FIRST_MONTH = "2023-11"
YEAR_START = date(TODAY.year, 1, 1)


def test_the_fixed_clock_is_the_assumed_centre_day() -> None:
    assert centre_today(FIXED_NOW) == TODAY


def test_monthly_deposit_is_base_times_both_rates(statements: list[Statement]) -> None:
    for statement in statements:
        account = statement.account
        assert account["unit_rate_bp"] == account["personal_rate_bp"]
        assert 500 <= account["unit_rate_bp"] <= 1200
        rate = Decimal(account["unit_rate_bp"] + account["personal_rate_bp"]) / 10_000
        expected = (account["deposit_base_fen"] * rate).quantize(Decimal(1), rounding=ROUND_HALF_UP)
        assert account["monthly_deposit_fen"] == expected


def test_balance_is_the_newest_records_balance_and_records_add_up(statements: list[Statement]) -> None:
    for statement in statements:
        records = statement.records
        assert records, statement.account["account_no"]
        assert records[0]["balance_fen"] == statement.account["balance_fen"]
        oldest_first = records[::-1]
        for before, record in itertools.pairwise(oldest_first):
            assert record["date"] >= before["date"]
            assert record["balance_fen"] == before["balance_fen"] + record["amount_fen"]
        assert all(record["balance_fen"] >= 0 for record in records)


def test_records_cover_the_36_months_before_this_one(statements: list[Statement]) -> None:
    for statement in statements:
        assert all(FIRST_MONTH <= record["date"][:7] <= LAST_MONTH for record in statement.records)
    assert any(s.records[-1]["date"][:7] == FIRST_MONTH for s in statements)


def test_signs_follow_the_record_type(statements: list[Statement]) -> None:
    for statement in statements:
        for record in statement.records:
            leaving = record["type"] in ("withdrawal", "transfer_out")
            assert (record["amount_fen"] < 0) == leaving, record


def test_year_figures_follow_from_the_records(statements: list[Statement]) -> None:
    for statement in statements:
        this_year = [r for r in statement.records if date.fromisoformat(r["date"]) >= YEAR_START]
        before = [r for r in statement.records if date.fromisoformat(r["date"]) < YEAR_START]
        account = statement.account
        assert account["last_year_balance_fen"] == (before[0]["balance_fen"] if before else 0)
        deposits = sum(r["amount_fen"] for r in this_year if r["type"] in ("remit", "back_pay"))
        withdrawals = -sum(r["amount_fen"] for r in this_year if r["type"] == "withdrawal")
        assert (account["year_deposits_fen"], account["year_withdrawals_fen"]) == (deposits, withdrawals)


def test_paid_up_to_by_status(statements: list[Statement]) -> None:
    for statement in statements:
        account = statement.account
        remitted = max(r["period"] for r in statement.records if r["type"] in ("remit", "back_pay"))
        assert account["paid_up_to"] == remitted
        if account["status"] == "normal":
            assert account["paid_up_to"] == LAST_MONTH
        else:
            assert account["paid_up_to"] < LAST_MONTH
        if account["status"] == "closed":
            assert account["balance_fen"] == 0
            assert statement.records[0]["type"] in ("withdrawal", "transfer_out")


def test_interest_is_posted_each_30_june(statements: list[Statement]) -> None:
    for statement in statements:
        if statement.account["status"] == "closed":
            continue
        june_postings = {r["date"] for r in statement.records if r["type"] == "interest"}
        opened = statement.account["opened_on"]
        expected = {f"{year}-06-30" for year in (2024, 2025, 2026) if f"{year}-06-30" > opened}
        assert june_postings == expected


def test_account_identity_matches_the_card(statements: list[Statement]) -> None:
    for statement in statements:
        assert statement.account["id_number"] == statement.card["id_number"]
        assert statement.account["name"] == statement.card["name"]
        assert statement.account["status"] == statement.card["status"]
        assert statement.account["has_loan"] == statement.card["has_loan"] == (statement.loan is not None)
    assert len({s.account["account_no"] for s in statements}) == len(statements)


def test_the_data_set_has_the_promised_shape(statements: list[Statement]) -> None:
    assert len(statements) >= 60
    statuses = Counter(s.account["status"] for s in statements)
    assert statuses["sealed"] == 6
    assert 1 <= statuses["closed"] <= 2
    assert len({s.account["unit_account_no"] for s in statements}) == 8
    types = Counter(r["type"] for s in statements for r in s.records)
    assert set(types) == {"remit", "back_pay", "withdrawal", "interest", "transfer_in", "transfer_out"}
