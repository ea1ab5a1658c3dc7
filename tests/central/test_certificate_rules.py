"""The pure rules of certificates: verification codes and statement periods (property tests)."""

from __future__ import annotations

import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from central_server.certificate_rules import (
    CODE_ALPHABET,
    CODE_LENGTH,
    MAX_STATEMENT_MONTHS,
    PeriodError,
    grouped,
    new_code,
    parse_code,
    statement_period,
)
from central_server.dates import month_label

codes = st.text(alphabet=CODE_ALPHABET, min_size=CODE_LENGTH, max_size=CODE_LENGTH)


def test_the_alphabet_has_32_symbols_and_no_look_alikes() -> None:
    assert len(set(CODE_ALPHABET)) == len(CODE_ALPHABET) == 32
    assert not set("01OI") & set(CODE_ALPHABET)


@given(st.randoms(use_true_random=False))
def test_new_codes_are_16_symbols_of_the_alphabet(rng: random.Random) -> None:
    code = new_code(rng.randrange)
    assert len(code) == CODE_LENGTH and set(code) <= set(CODE_ALPHABET)


@given(codes)
def test_a_printed_code_parses_back_however_it_is_typed(code: str) -> None:
    printed = grouped(code)
    assert printed.count("-") == 3 and all(len(group) == 4 for group in printed.split("-"))
    for typed in (printed, code, printed.lower(), " ".join(printed.split("-")), f"  {printed}\n"):
        assert parse_code(typed) == code


@given(st.text(max_size=80))
def test_anything_parses_to_a_well_formed_code_or_to_none(text: str) -> None:
    code = parse_code(text)
    assert code is None or (len(code) == CODE_LENGTH and set(code) <= set(CODE_ALPHABET))


@given(codes, st.integers(0, CODE_LENGTH - 1), st.sampled_from("01OI!<>/é测"))
def test_a_symbol_outside_the_alphabet_is_refused(code: str, at: int, wrong: str) -> None:
    assert parse_code(code[:at] + wrong + code[at + 1 :]) is None


def test_too_short_too_long_and_huge_inputs_are_refused() -> None:
    assert parse_code("ABCD-EFGH-JKMN-PQR") is None
    assert parse_code("ABCD-EFGH-JKMN-PQRST") is None
    assert parse_code("-" * 10_000 + "ABCDEFGHJKMNPQRS") is None
    assert parse_code("") is None


months = st.integers(2000 * 12, 2100 * 12)


@given(months, months, months, months)
def test_a_period_is_accepted_exactly_when_it_keeps_every_rule(
    first: int, last: int, opened: int, last_month: int
) -> None:
    keeps_rules = opened <= first <= last <= last_month and last - first < MAX_STATEMENT_MONTHS
    try:
        result = statement_period(month_label(first), month_label(last), opened, last_month)
    except PeriodError as exc:
        assert not keeps_rules
        assert exc.field in ("from", "to") and str(exc).startswith(f"{exc.field}: ")
    else:
        assert keeps_rules and result == (first, last)


@pytest.mark.parametrize(
    ("first", "last", "message"),
    [
        ("2026-05", "2026-04", "from: after to"),
        ("2026-01", "2026-12", "to: after 2026-11, the last month of the account"),
        ("2018-12", "2019-06", "from: before 2019-01, when the account was opened"),
        ("2024-01", "2026-01", "to: more than 24 months after from (both months count)"),
    ],
)
def test_each_broken_rule_is_named(first: str, last: str, message: str) -> None:
    with pytest.raises(PeriodError) as caught:
        statement_period(first, last, 2019 * 12, 2026 * 12 + 10)
    assert str(caught.value) == message


def test_24_months_is_the_longest_period() -> None:
    assert statement_period("2024-12", "2026-11", 2019 * 12, 2026 * 12 + 10) == (
        2024 * 12 + 11,
        2026 * 12 + 10,
    )
