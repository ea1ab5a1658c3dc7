"""The kiosks this centre knows: each one's id, shared secret and group.

The group is the centre's record, not the kiosk's claim: staged rollouts go group by group, so a kiosk must
not be able to move itself into (or out of) a stage."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

DEFAULT_GROUP = "default"


@dataclass(frozen=True)
class TerminalRecord:
    terminal_id: str
    secret: str
    group: str = DEFAULT_GROUP

    def __repr__(self) -> str:  # never put a secret into a log line
        return f"TerminalRecord(terminal_id={self.terminal_id!r}, group={self.group!r})"


def terminal_records(terminals: Mapping[str, str | TerminalRecord]) -> dict[str, TerminalRecord]:
    """Accepts plain `id → secret` pairs (tests, small set-ups) beside full records."""
    return {
        terminal_id: value if isinstance(value, TerminalRecord) else TerminalRecord(terminal_id, value)
        for terminal_id, value in terminals.items()
    }
