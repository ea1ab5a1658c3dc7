"""The paper counter: how much of the roll the kiosk has fed since staff last put a new roll in, and from
it an estimate of what is left, so staff hear of low paper before the printer's own near-end sensor (which
on many printers trips only a few slips before the end) or a citizen's slip that does not come out.

Each job's length is measured from the bytes sent, by the same interpreter that draws the virtual
printer's paper (text rows, pictures, feeds; 8 dots a millimetre at 203 dpi). The counter is kept in the
data dir and survives a restart. It counts printed length only, not the few millimetres fed past the
cutter, so set `paper_roll_length_m` a little under the roll's nominal length.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from kiosk.devices.printer.driver import PrintOutcome
from kiosk.devices.printer.paper import Interpreter, paper_length_dots
from kiosk.devices.printer.status import Paper
from kiosk.devices.printer.tokenizer import Tokenizer
from kiosk.services.state_file import read_record, write_private

log = logging.getLogger(__name__)

FILE_NAME = "paper_counter.json"
DOTS_PER_MM = 8.0  # 203 dpi


@dataclass(frozen=True)
class PaperEstimate:
    used_m: float  # fed since the roll was replaced
    remaining_m: float  # roll length less what was fed; never below 0
    low: bool  # under the warning level, or the printer's own sensor says near end (or out)
    sensor: Paper  # what the printer's sensor said last
    replaced_at: datetime | None  # when staff last said "paper replaced" (None: never on this kiosk)


def job_length_mm(data: bytes, columns: int) -> float:
    """The paper a job of ESC/POS bytes takes, in millimetres."""
    interpreter = Interpreter(columns)
    for token in Tokenizer().feed(data):
        interpreter.apply(token)
    return paper_length_dots(interpreter.take_rows()) / DOTS_PER_MM


class PaperCounter:
    """Thread-safe: jobs are counted on printing workers, the estimate read on any thread."""

    def __init__(
        self, data_dir: Path, *, columns: int, roll_length_m: float, warn_remaining_m: float
    ) -> None:
        self._path = data_dir / FILE_NAME
        self._columns = columns
        self._roll_length_m = roll_length_m
        self._warn_remaining_m = warn_remaining_m
        self._lock = threading.Lock()
        record = read_record(self._path) or {}
        used = record.get("used_mm", 0.0)
        self._used_mm = float(used) if isinstance(used, int | float) and used >= 0 else 0.0
        try:
            replaced = record.get("replaced_at")
            self._replaced_at = datetime.fromisoformat(replaced) if isinstance(replaced, str) else None
        except ValueError:
            self._replaced_at = None

    def job_printed(self, outcome: PrintOutcome) -> None:
        """Count a job that reached the printer (printed, or stopped part-way: paper was fed either way).
        Blocking (one small fsynced write): called on the worker that printed it."""
        if not outcome.started:
            return
        self.add_mm(job_length_mm(outcome.job.data, self._columns))

    def add_mm(self, mm: float) -> None:
        with self._lock:
            self._used_mm += mm
            self._save()

    def paper_replaced(self, now: datetime) -> None:
        """Staff put a new roll in: the counter and its warning start again. Blocking (disk)."""
        with self._lock:
            self._used_mm, self._replaced_at = 0.0, now
            self._save()

    def estimate(self, sensor: Paper) -> PaperEstimate:
        with self._lock:
            used_m, replaced_at = self._used_mm / 1000, self._replaced_at
        remaining = max(0.0, self._roll_length_m - used_m)
        low = remaining < self._warn_remaining_m or sensor in (Paper.NEAR_END, Paper.OUT)
        return PaperEstimate(round(used_m, 3), round(remaining, 3), low, sensor, replaced_at)

    def _save(self) -> None:
        record = {
            "used_mm": round(self._used_mm, 1),
            "replaced_at": self._replaced_at.isoformat() if self._replaced_at else None,
        }
        try:
            write_private(self._path, record)
        except OSError as exc:
            log.warning("cannot keep the paper counter in %s: %s", self._path, exc.strerror)
