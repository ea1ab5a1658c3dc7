"""Row ids that sort by creation time: milliseconds since the epoch in the high bits, a counter below.

An INTEGER PRIMARY KEY (SQLite's rowid) keeps rows in id order on disk, so "oldest first" is a walk of the
index, and the id alone dates a row. The counter also keeps ids rising when the wall clock steps back."""

from __future__ import annotations

from collections.abc import Callable

_COUNTER_BITS = 16


class TimeOrderedIds:
    def __init__(self, last: int, clock: Callable[[], float]) -> None:
        self._last = last
        self._clock = clock

    def next(self) -> int:
        candidate = int(self._clock() * 1000) << _COUNTER_BITS
        self._last = max(candidate, self._last + 1)
        return self._last


def id_time_ms(row_id: int) -> int:
    return row_id >> _COUNTER_BITS
