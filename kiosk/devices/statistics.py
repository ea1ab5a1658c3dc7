"""Device statistics and the small JSON file that keeps them across restarts (UPOS statistics, §E 5).

One file per device, rewritten whole: a temporary file is written, fsynced and renamed over the old one,
so a power cut leaves either the old counters or the new ones, never half a file. A file that cannot be
understood is reported and replaced by zeros; counters are diagnostics, never a reason not to start.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import logging
import math
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from kiosk.atomic_write import write_atomically
from kiosk.devices.errors import DeviceError

log = logging.getLogger(__name__)

FORMAT = 1
# Counters that changed are written at most this often (seconds): a polling reader counts a command
# several times a second, and a write each time would wear the kiosk's flash for nothing.
SAVE_INTERVAL = 10.0
# Time open alone is written this often, so a crash loses at most this much of it.
HOURS_SAVE_INTERVAL = 600.0


@dataclasses.dataclass
class Statistics:
    """Counters in the spirit of UPOS statistics; reads work like a read-only dict (``dict(stats)``)."""

    commands: int = 0
    reads: int = 0
    failures: int = 0
    communication_errors: int = 0
    timeouts: int = 0
    reopen_attempts: int = 0
    hours_open: float = 0.0

    def keys(self) -> list[str]:
        return [f.name for f in dataclasses.fields(self)]

    def __getitem__(self, name: str) -> int | float:
        if name not in self.keys():
            raise KeyError(name)
        value: int | float = getattr(self, name)
        return value

    def as_dict(self) -> dict[str, int | float]:
        return dataclasses.asdict(self)


class StatisticsFileError(DeviceError, ValueError):
    """The file's content is not a statistics record (damaged, truncated, or not ours)."""


def _counter(name: str, value: object) -> int | float:
    # JSON's true is an int to Python, and hours_open alone may be fractional.
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise StatisticsFileError(f"counter {name!r} is not a count")
    if (name != "hours_open" and not isinstance(value, int)) or not math.isfinite(value) or value < 0:
        raise StatisticsFileError(f"counter {name!r} is not a count")
    return value


def parse_statistics(data: bytes) -> Statistics:
    """The counters of a statistics file; raises ``StatisticsFileError`` and nothing else.

    Counters the file lacks start at zero and counters it has that this version does not know are
    dropped, so a newer or older kiosk version reads the file as well as it can.
    """
    try:
        record = json.loads(data)
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        raise StatisticsFileError(f"not JSON ({type(exc).__name__})") from None
    if not isinstance(record, dict) or record.get("format") != FORMAT:
        raise StatisticsFileError(f"not a format {FORMAT} statistics record")
    counters = record.get("statistics")
    if not isinstance(counters, dict):
        raise StatisticsFileError("no statistics table")
    known = {field.name for field in dataclasses.fields(Statistics)}
    # Any: _counter checked each value against its field (an int, or hours_open's float).
    values: dict[str, Any] = {name: _counter(name, v) for name, v in counters.items() if name in known}
    return Statistics(**values)


def render_statistics(stats: Statistics, device: str) -> bytes:
    record = {
        "format": FORMAT,
        "device": device,
        "saved_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "statistics": stats.as_dict(),
    }
    return (json.dumps(record, indent=2) + "\n").encode()


class StatisticsFile:
    """Where one device's counters live, and when they are next due to be written.

    Used from the device's worker thread only.
    """

    def __init__(
        self,
        path: Path,
        *,
        interval: float = SAVE_INTERVAL,
        hours_interval: float = HOURS_SAVE_INTERVAL,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.path = path
        self._interval = interval
        self._hours_interval = hours_interval
        self._clock = clock
        self._saved_at = clock()
        self._write_failed = False

    def load(self) -> Statistics:
        """The saved counters; zeros for a missing file, and zeros with a warning for a damaged one."""
        try:
            data = self.path.read_bytes()
        except FileNotFoundError:
            return Statistics()
        except OSError as exc:
            log.warning("device statistics %s cannot be read (%s); counting from zero", self.path, exc)
            return Statistics()
        try:
            return parse_statistics(data)
        except StatisticsFileError as exc:
            log.warning("device statistics %s are damaged (%s); counting from zero", self.path, exc)
            return Statistics()

    def due(self, dirty: bool) -> float:
        """The clock time at which the next write is due."""
        return self._saved_at + (self._interval if dirty else self._hours_interval)

    def save(self, stats: Statistics, device: str) -> None:
        """Write now. A failure is logged (once until a write succeeds again) and never raised."""
        self._saved_at = self._clock()
        try:
            write_atomically(self.path, render_statistics(stats, device), 0o644)
        except OSError as exc:
            if not self._write_failed:
                log.warning("device statistics %s cannot be written: %s", self.path, exc)
            self._write_failed = True
            return
        self._write_failed = False

