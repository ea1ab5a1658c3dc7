"""The hidden gesture that opens maintenance mode: a number of taps in one corner of the screen within a
few seconds. Plain Python (positions and times in, a yes out), so the rule is tested without a window.

A corner is a square of `CORNER_FRACTION` of the screen's shorter side: big enough for a finger, small
enough that a citizen's ordinary tap on the attract screen almost never lands there, and never five times
in a row.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from typing import Literal

Corner = Literal["top_left", "top_right", "bottom_left", "bottom_right"]
CORNER_FRACTION = 0.12


def in_corner(corner: Corner, x: float, y: float, width: float, height: float) -> bool:
    """Whether (x, y) lies in `corner` of a width x height area whose origin is bottom left (Kivy's)."""
    if width <= 0 or height <= 0:
        return False
    side = CORNER_FRACTION * min(width, height)
    near_left = 0 <= x <= side
    near_right = width - side <= x <= width
    near_bottom = 0 <= y <= side
    near_top = height - side <= y <= height
    return {
        "top_left": near_left and near_top,
        "top_right": near_right and near_top,
        "bottom_left": near_left and near_bottom,
        "bottom_right": near_right and near_bottom,
    }[corner]


class CornerTaps:
    """Counts taps in the corner; `tap()` answers True on the one that completes the gesture. A tap
    anywhere else starts the count again, so the gesture is taps in a row, not taps among others."""

    def __init__(
        self, corner: Corner, taps: int, window_s: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        if taps < 1 or window_s <= 0:
            raise ValueError("the gesture needs at least one tap and a positive window")
        self.corner = corner
        self._taps = taps
        self._window_s = window_s
        self._clock = clock
        self._times: deque[float] = deque(maxlen=taps)

    def tap(self, x: float, y: float, width: float, height: float) -> bool:
        if not in_corner(self.corner, x, y, width, height):
            self._times.clear()
            return False
        now = self._clock()
        self._times.append(now)
        if len(self._times) == self._taps and now - self._times[0] <= self._window_s:
            self._times.clear()
            return True
        return False

    def reset(self) -> None:
        self._times.clear()
