"""What the amount keypad lets a citizen type: yuan, at most eight digits before the point and two after it.

Plain Python (no Kivy), so the rules are tested without a window. The keypad never shows text that could
not become an amount: a second point, a third decimal or a leading zero is simply not taken, the way a
calculator behaves. Whether the amount may be applied for is the withdrawal service's decision.
"""

from __future__ import annotations

POINT = "."
_MAX_WHOLE_DIGITS = 8  # 99,999,999 yuan: above any withdrawal, as the service's own check says
_MAX_DECIMALS = 2


class AmountEntry:
    def __init__(self) -> None:
        self._text = ""

    @property
    def text(self) -> str:
        """What the keypad shows, as typed ("12." while the citizen is about to type decimals)."""
        return self._text

    @property
    def value(self) -> str:
        """The amount to apply for: the text without a point that has nothing after it."""
        return self._text.removesuffix(POINT)

    def press(self, key: str) -> None:
        """One key: a digit or the point. Raises ValueError for anything else (a keypad bug)."""
        if key == POINT:
            if POINT not in self._text:
                self._text = (self._text or "0") + POINT
            return
        if not (len(key) == 1 and "0" <= key <= "9"):
            raise ValueError(f"the amount keypad sends single digits or {POINT!r}, not {key!r}")
        whole, point, decimals = self._text.partition(POINT)
        if point:
            if len(decimals) < _MAX_DECIMALS:
                self._text += key
        elif whole == "0":
            self._text = key  # "0" then "5" is 5, not 05
        elif len(whole) < _MAX_WHOLE_DIGITS:
            self._text += key

    def backspace(self) -> None:
        self._text = self._text[:-1]

    def clear(self) -> None:
        self._text = ""
