"""The sender sequence number (X-Seq-No) that must only go up, across restarts too."""

from __future__ import annotations

import os
import threading
from pathlib import Path

# Reserving numbers in blocks keeps disk writes off the per-request path: after a crash the kiosk skips
# at most one block, which keeps the sequence increasing, and increasing is all the centre requires.
_BLOCK = 1000


class SequenceCounter:
    def __init__(self, path: Path) -> None:
        self._path = path
        self._lock = threading.Lock()
        self._next = self._read_reserved()
        self._reserved_to = self._next

    def _read_reserved(self) -> int:
        try:
            text = self._path.read_text(encoding="ascii").strip()
        except FileNotFoundError:
            return 1
        if not text.isdigit():
            raise ValueError(f"{self._path}: sequence file is damaged ({text[:20]!r}); delete it to restart")
        return int(text)

    def _reserve(self, upto: int) -> None:
        self._path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self._path.with_suffix(".tmp")
        with open(tmp, "w", encoding="ascii") as handle:
            handle.write(str(upto))
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, self._path)
        self._reserved_to = upto

    def next(self) -> int:
        with self._lock:
            if self._next >= self._reserved_to:
                self._reserve(self._next + _BLOCK)
            value = self._next
            self._next += 1
            return value
