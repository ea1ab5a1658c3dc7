from collections import Counter

import pytest

from kiosk.services.idle import IdlePhase, IdleTimer
from kiosk.services.keypad import PasswordEntry, shuffled_digits


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_idle_counts_down_then_expires() -> None:
    clock = FakeClock()
    timer = IdleTimer(60, 10, clock)
    clock.now += 59.9
    assert timer.status().phase is IdlePhase.ACTIVE
    clock.now += 0.1
    assert timer.status().phase is IdlePhase.COUNTDOWN and timer.status().seconds_left == 10
    clock.now += 9.5
    assert timer.status().seconds_left == 1
    clock.now += 0.5
    assert timer.status().phase is IdlePhase.EXPIRED


def test_a_touch_restarts_the_wait() -> None:
    clock = FakeClock()
    timer = IdleTimer(60, 10, clock)
    clock.now += 65
    timer.touch()
    clock.now += 30
    assert timer.status().phase is IdlePhase.ACTIVE


def test_every_layout_has_each_digit_once() -> None:
    for _ in range(500):
        assert sorted(shuffled_digits()) == list("0123456789")


def test_the_layout_changes_between_visits() -> None:
    # 200 draws from 10! = 3,628,800 orders repeat a layout about once in 180 runs (the birthday bound), so
    # "no repeat at all" would be a flaky test. Five repeats or more happen about once in 10^13 runs; a
    # shuffle that is stuck, cycles or depends on little state repeats far more often than that.
    layouts = [tuple(shuffled_digits()) for _ in range(200)]
    assert len(layouts) - len(set(layouts)) < 5


def test_every_digit_is_as_likely_at_every_key() -> None:
    # Pearson's chi-squared over the 10×10 table of (key, digit) counts in 10,000 layouts. Every row and
    # column sums to 10,000, so a fair shuffle gives chi-squared with 81 degrees of freedom: about 81, and
    # above 205 about once in 10^12 runs (Wilson–Hilferty at z = 7). The classic biased shuffle (swapping
    # with any index instead of one not yet placed) scores about 1,250 here.
    layouts = 10_000
    counts = Counter((key, digit) for _ in range(layouts) for key, digit in enumerate(shuffled_digits()))
    expected = layouts / 10
    chi_squared = sum((count - expected) ** 2 / expected for count in counts.values())
    assert len(counts) == 100  # every digit was seen at every key
    assert chi_squared < 205, chi_squared


def test_password_entry() -> None:
    entry = PasswordEntry()
    for digit in "12345":
        assert not entry.press(digit)
    entry.backspace()
    assert entry.count == 4
    assert not entry.press("9")
    assert entry.press("0")
    assert entry.press("7")  # a seventh press is ignored
    assert entry.take() == "123490"
    assert entry.count == 0
    with pytest.raises(ValueError):
        entry.press("12")
