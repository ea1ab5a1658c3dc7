"""DLE EOT status: the four real-time queries and what their answers mean (reference/devices.md §C).

DLE EOT is answered even while the printer is offline, so it is the one status a driver can rely on.
A missing, late or malformed answer means *unknown*: python-escpos's ``paper_status()`` reads an empty
answer as "paper OK", which is exactly the mistake this module exists to avoid.
"""

from __future__ import annotations

import dataclasses
import enum
from collections.abc import Mapping

DLE_EOT = b"\x10\x04"
QUERIES = (1, 2, 3, 4)  # printer, offline cause, error cause, roll paper

_FIXED_MASK = 0x93  # bits 0, 1, 4 and 7 have fixed values in every DLE EOT answer
_FIXED_VALUE = 0x12


def query(n: int) -> bytes:
    return DLE_EOT + bytes([n])


class Paper(enum.StrEnum):
    OK = "ok"
    NEAR_END = "near_end"
    OUT = "out"
    UNKNOWN = "unknown"


def is_status_byte(value: int) -> bool:
    return value & _FIXED_MASK == _FIXED_VALUE


@dataclasses.dataclass(frozen=True)
class PrinterStatus:
    """One reading of all four queries; ``None`` fields were not answered (or answered nonsense)."""

    online: bool | None
    paper: Paper
    cover_open: bool | None
    cutter_error: bool | None
    unrecoverable_error: bool | None
    recoverable_error: bool | None

    @property
    def answered(self) -> bool:
        return (
            None not in (self.online, self.cover_open, self.cutter_error) and self.paper is not Paper.UNKNOWN
        )

    @property
    def ready(self) -> bool:
        """Known to be able to print now; never true on a partial or missing answer."""
        return self.answered and self.problem is None

    @property
    def problem(self) -> str | None:
        """Why the printer cannot print, in the words the CLI and the maintenance screen show."""
        if self.online is None and self.paper is Paper.UNKNOWN and self.cover_open is None:
            return "no answer"
        if self.cover_open:
            return "cover open"
        if self.paper is Paper.OUT:
            return "paper out"
        if self.cutter_error:
            return "cutter error"
        if self.unrecoverable_error:
            return "unrecoverable error"
        if self.recoverable_error:
            return "recoverable error"
        if self.online is False:
            return "offline"
        if not self.answered:
            return "incomplete answer"
        return None

    def describe(self) -> str:
        problem = self.problem
        if problem is not None:
            return problem
        return "ready, paper near end" if self.paper is Paper.NEAR_END else "ready"

    def as_dict(self) -> dict[str, object]:
        return {
            **dataclasses.asdict(self),
            "paper": self.paper.value,
            "ready": self.ready,
            "problem": self.problem,
        }


UNKNOWN = PrinterStatus(None, Paper.UNKNOWN, None, None, None, None)


def parse_status(answers: Mapping[int, bytes]) -> PrinterStatus:
    """The status from the answer to each query (``b""`` when none came in time)."""
    values: dict[int, int | None] = {}
    for n in QUERIES:
        answer = answers.get(n, b"")
        values[n] = answer[-1] if len(answer) == 1 and is_status_byte(answer[-1]) else None

    def bit(n: int, mask: int) -> bool | None:
        value = values[n]
        return None if value is None else bool(value & mask)

    roll = values[4]
    offline_cause = values[2]
    if roll is None:
        paper = Paper.UNKNOWN
    elif roll & 0x60 or (offline_cause is not None and offline_cause & 0x20):
        paper = Paper.OUT
    elif roll & 0x0C:
        paper = Paper.NEAR_END
    else:
        paper = Paper.OK
    return PrinterStatus(
        online=None if values[1] is None else not values[1] & 0x08,
        paper=paper,
        cover_open=bit(2, 0x04),
        cutter_error=bit(3, 0x08),
        unrecoverable_error=bit(3, 0x20),
        recoverable_error=bit(3, 0x40),
    )


def answer_bytes(
    *,
    paper: Paper,
    cover_open: bool = False,
    cutter_error: bool = False,
    offline: bool | None = None,
) -> dict[int, int]:
    """The byte a printer in this condition answers to each query (for the virtual printer)."""
    paper_end = paper is Paper.OUT
    if offline is None:
        offline = paper_end or cover_open or cutter_error
    return {
        1: _FIXED_VALUE | (0x08 if offline else 0),
        2: _FIXED_VALUE
        | (0x04 if cover_open else 0)
        | (0x20 if paper_end else 0)
        | (0x40 if cutter_error else 0),
        3: _FIXED_VALUE | (0x08 if cutter_error else 0),
        4: _FIXED_VALUE | (0x0C if paper is Paper.NEAR_END else 0) | (0x60 if paper_end else 0),
    }
