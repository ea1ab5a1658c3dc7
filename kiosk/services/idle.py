"""When a citizen walks away: idle for `idle_timeout_s`, then a visible countdown, then a full wipe."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum


class IdlePhase(Enum):
    ACTIVE = "active"
    COUNTDOWN = "countdown"
    EXPIRED = "expired"


@dataclass(frozen=True)
class IdleStatus:
    phase: IdlePhase
    seconds_left: int  # meaningful in COUNTDOWN: whole seconds until the wipe, shown on screen


class IdleTimer:
    """Pure timing logic: the UI pokes it on every touch and asks for the status once a second."""

    def __init__(
        self, idle_timeout_s: float, countdown_s: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.idle_timeout_s = idle_timeout_s
        self.countdown_s = countdown_s
        self._clock = clock
        self._last_activity = clock()

    def touch(self) -> None:
        self._last_activity = self._clock()

    def status(self) -> IdleStatus:
        idle = self._clock() - self._last_activity
        if idle < self.idle_timeout_s:
            return IdleStatus(IdlePhase.ACTIVE, 0)
        remaining = self.idle_timeout_s + self.countdown_s - idle
        if remaining > 0:
            # Round up so the countdown shows 10 … 1 and never a 0 that lingers before the wipe.
            return IdleStatus(IdlePhase.COUNTDOWN, int(remaining) + (remaining % 1 > 0))
        return IdleStatus(IdlePhase.EXPIRED, 0)
