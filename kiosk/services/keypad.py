"""The password keypad's layout: the digits in a fresh random order for every entry, so that someone
watching the citizen's hand (or smudges on the glass) learns nothing about the password."""

from __future__ import annotations

import secrets

PASSWORD_LENGTH = 6


def shuffled_digits() -> list[str]:
    digits = list("0123456789")
    # secrets, not random: the order must not be predictable from earlier layouts.
    for i in range(len(digits) - 1, 0, -1):
        j = secrets.randbelow(i + 1)
        digits[i], digits[j] = digits[j], digits[i]
    return digits


class PasswordEntry:
    """Holds the digits typed so far; only a count of them is ever shown."""

    def __init__(self) -> None:
        self._digits: list[str] = []

    def press(self, digit: str) -> bool:
        """Add a digit; True once the password is complete."""
        if not (len(digit) == 1 and digit.isdigit()):
            raise ValueError("the keypad only sends single digits")
        if len(self._digits) < PASSWORD_LENGTH:
            self._digits.append(digit)
        return self.complete

    def backspace(self) -> None:
        if self._digits:
            self._digits.pop()

    def clear(self) -> None:
        self._digits.clear()

    @property
    def count(self) -> int:
        return len(self._digits)

    @property
    def complete(self) -> bool:
        return len(self._digits) == PASSWORD_LENGTH

    def take(self) -> str:
        """Hand the password over once and forget it."""
        value = "".join(self._digits)
        self._digits.clear()
        return value
