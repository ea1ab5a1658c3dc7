"""What the kiosk does with an exception nobody expected: describe it for the log without personal data,
and decide whether carrying on is still sensible.

A message is left out of the log on purpose: exceptions raised while serving a citizen often quote the
value they choked on (a KeyError's key, a ValueError's input, a pydantic error's input, a format string's
arguments), and that value may be a name, an ID number or a card number. The type and the frames (file,
line, function, source line: code, never data) are enough to find the bug.
"""

from __future__ import annotations

import time
import traceback
from collections import deque
from collections.abc import Callable

# The chain of causes of one exception is cut off here (a cycle or a pathological chain).
_MAX_CHAIN = 8


def redacted_traceback(exc: BaseException) -> str:
    """The traceback of `exc` and of its causes, oldest first as Python prints it, without any message."""
    chain: list[BaseException] = []
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen and len(chain) < _MAX_CHAIN:
        chain.append(current)
        seen.add(id(current))
        current = current.__cause__ or (None if current.__suppress_context__ else current.__context__)
    parts = []
    for link in reversed(chain):
        frames = "".join(traceback.format_list(traceback.extract_tb(link.__traceback__)))
        parts.append(f"Traceback (most recent call last):\n{frames}{_type_name(link)} (message withheld)")
    return "\n\nwhich caused:\n\n".join(parts)


def one_line_reason(exc: BaseException, limit: int = 200) -> str:
    """A short reason for a part that failed to start (no citizen is involved then, so the message is
    kept): the exception's own `reason` when it has one, else its type and first line."""
    reason = getattr(exc, "reason", None)
    if not (isinstance(reason, str) and reason.strip()):
        message = str(exc).strip()
        reason = f"{_type_name(exc)}: {message}" if message else _type_name(exc)
    return reason.strip().splitlines()[0][:limit]


def _type_name(exc: BaseException) -> str:
    kind = type(exc)
    return kind.__qualname__ if kind.__module__ == "builtins" else f"{kind.__module__}.{kind.__qualname__}"


class RecoveryBudget:
    """At most `limit` recoveries in any `window_s` seconds. A fault that comes back at once (every frame,
    every tap) is not cured by wiping the visit; past the budget the kiosk stops, and the service manager
    starts it afresh."""

    def __init__(self, limit: int = 5, window_s: float = 60.0, clock: Callable[[], float] = time.monotonic):
        self._limit = limit
        self._window_s = window_s
        self._clock = clock
        self._recent: deque[float] = deque()

    def spend(self) -> bool:
        """Count one recovery; False when the budget is exhausted (do not recover, stop)."""
        now = self._clock()
        while self._recent and now - self._recent[0] >= self._window_s:
            self._recent.popleft()
        if len(self._recent) >= self._limit:
            return False
        self._recent.append(now)
        return True
