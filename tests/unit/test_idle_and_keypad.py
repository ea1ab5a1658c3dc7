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


def test_keypad_digits_are_a_permutation_and_vary() -> None:
    layouts = [tuple(shuffled_digits()) for _ in range(200)]
    assert all(sorted(layout) == list("0123456789") for layout in layouts)
    # 200 draws from 10! orders: a repeated layout would mean the shuffle is broken.
    assert len(set(layouts)) == 200
    first_positions = Counter(layout[0] for layout in layouts)
    assert len(first_positions) == 10


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
