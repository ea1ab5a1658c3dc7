"""How big the backlog may grow and what happens when it is full. Pure: the outbox feeds it counts.

Policy: the backlog (pending, in flight and dead rows) is bounded by rows, bytes of ciphertext, and the age
of the oldest row still waiting to be sent. At `warn_ratio` of any bound a warning is published. At 100 %
of any bound, money-related kinds are refused with OutboxFull; other kinds (ratings, events) carry no money
and are still taken up to `soft_ceiling` times the row and byte bounds, then refused too. Nothing accepted
is ever evicted; delivered rows are deleted after `retention_s`.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import NamedTuple


class Level(StrEnum):
    OK = "ok"
    WARNING = "warning"
    FULL = "full"


@dataclass(frozen=True)
class BoundsPolicy:
    max_rows: int = 10_000
    max_bytes: int = 64 * 1024 * 1024
    # Like Square's 24 h for offline payments: a day-old backlog means the kiosk should stop taking money.
    max_age_s: float = 24 * 3600
    warn_ratio: float = 0.8
    soft_ceiling: float = 1.25
    retention_s: float = 7 * 24 * 3600

    def __post_init__(self) -> None:
        if self.max_rows < 1 or self.max_bytes < 1 or self.max_age_s <= 0 or self.retention_s < 0:
            raise ValueError("bounds must be positive")
        if not (0 < self.warn_ratio < 1 <= self.soft_ceiling):
            raise ValueError("need 0 < warn_ratio < 1 <= soft_ceiling")


class Usage(NamedTuple):
    # A tuple rather than a dataclass: one is built on every enqueue, and a tuple is built faster.
    rows: int
    bytes: int
    # Age of the oldest pending or in-flight row, 0 when there is none.
    oldest_age_s: float

    def ratios(self, policy: BoundsPolicy) -> dict[str, float]:
        return {
            "rows": self.rows / policy.max_rows,
            "bytes": self.bytes / policy.max_bytes,
            "age": self.oldest_age_s / policy.max_age_s,
        }


def level(policy: BoundsPolicy, usage: Usage) -> tuple[Level, str | None]:
    """The level and the bound nearest its limit (None when all are below the warning ratio)."""
    ratios = usage.ratios(policy)
    bound = max(ratios, key=ratios.__getitem__)
    ratio = ratios[bound]
    if ratio >= 1:
        return Level.FULL, bound
    if ratio >= policy.warn_ratio:
        return Level.WARNING, bound
    return Level.OK, None


def refusal(policy: BoundsPolicy, usage: Usage, size: int, *, money: bool) -> str | None:
    """The bound that refuses one more row of `size` bytes, or None when it may be taken."""
    if money:
        if usage.rows + 1 > policy.max_rows:
            return "rows"
        if usage.bytes + size > policy.max_bytes:
            return "bytes"
        if usage.oldest_age_s >= policy.max_age_s:
            return "age"
        return None
    if usage.rows + 1 > policy.max_rows * policy.soft_ceiling:
        return "rows"
    if usage.bytes + size > policy.max_bytes * policy.soft_ceiling:
        return "bytes"
    return None
