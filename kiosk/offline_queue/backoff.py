"""When to try again after a failed batch: exponential backoff with full jitter (AWS's "Exponential Backoff
and Jitter"), so kiosks that lost the centre together do not all come back in the same second."""

from __future__ import annotations

import random
from dataclasses import dataclass

# 2**62 already dwarfs any cap; stopping there keeps the float finite however long the outage.
_MAX_EXPONENT = 62


@dataclass(frozen=True)
class RetryPolicy:
    base_s: float = 1.0
    cap_s: float = 300.0
    # Failures the centre answered (5xx, bad_request) before a row is dead-lettered; silence never counts.
    max_attempts: int = 10

    def __post_init__(self) -> None:
        if not (0 < self.base_s <= self.cap_s):
            raise ValueError("need 0 < base_s <= cap_s")
        if self.max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")

    def ceiling(self, failures: int) -> float:
        """The longest wait after `failures` consecutive failures (1 for the first)."""
        exponent = min(max(failures - 1, 0), _MAX_EXPONENT)
        return min(self.cap_s, self.base_s * 2**exponent)

    def delay(self, failures: int, rng: random.Random) -> float:
        return rng.uniform(0, self.ceiling(failures))
