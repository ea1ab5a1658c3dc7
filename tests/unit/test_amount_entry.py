"""The amount keypad's editing rules (kiosk/widgets/amount_entry.py): whatever the citizen taps, the keypad
shows text on its way to an amount, and the amount it hands over is one the withdrawal service can read."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kiosk.services.withdrawal import AmountRefused, parse_amount
from kiosk.widgets.amount_entry import POINT, AmountEntry

KEYS = [*"0123456789", POINT, "backspace", "clear"]


def _tap(entry: AmountEntry, keys: list[str] | str) -> AmountEntry:
    for key in keys:
        if key == "backspace":
            entry.backspace()
        elif key == "clear":
            entry.clear()
        else:
            entry.press(key)
    return entry


@given(st.lists(st.sampled_from(KEYS), max_size=40))
def test_any_taps_leave_an_amount_the_service_reads(keys: list[str]) -> None:
    entry = _tap(AmountEntry(), keys)
    if entry.value == "":
        return
    try:
        fen = parse_amount(entry.value)
    except AmountRefused as refused:
        # Typed zeros are the one thing the keypad lets through that is not an amount to apply for.
        assert refused.message == "Please enter an amount above zero.", entry.value
        assert set(entry.value) <= {"0", POINT}
        return
    assert 0 < fen < 10**10


@given(st.integers(min_value=1, max_value=99_999_999_99))
def test_every_amount_can_be_typed_as_written(fen: int) -> None:
    text = f"{fen // 100}.{fen % 100:02d}"
    assert _tap(AmountEntry(), text).value == text
    assert parse_amount(_tap(AmountEntry(), text).value) == fen


@pytest.mark.parametrize(
    ("keys", "shown", "value"),
    [
        ("0", "0", "0"),
        ("05", "5", "5"),
        (".5", "0.5", "0.5"),
        ("12.", "12.", "12"),
        ("1.2.3", "1.23", "1.23"),  # a second point is not taken
        ("1.234", "1.23", "1.23"),  # nor a third decimal
        ("123456789", "12345678", "12345678"),  # nor a ninth digit before the point
        (["1", "2", "backspace", "3"], "13", "13"),
        (["9", ".", "9", "clear", "4"], "4", "4"),
    ],
)
def test_the_keypad_takes_only_what_can_become_an_amount(
    keys: list[str] | str, shown: str, value: str
) -> None:
    entry = _tap(AmountEntry(), keys)
    assert (entry.text, entry.value) == (shown, value)


def test_a_key_that_is_not_a_digit_or_the_point_is_a_bug() -> None:
    with pytest.raises(ValueError, match="single digits"):
        AmountEntry().press("x")
