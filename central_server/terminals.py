"""The kiosks this centre knows: each one's id, shared secret and group.

The group is the centre's record, not the kiosk's claim: staged rollouts go group by group, so a kiosk must
not be able to move itself into (or out of) a stage."""

from __future__ import annotations

import stat
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError

DEFAULT_GROUP = "default"
TERMINAL_ID_PATTERN = r"^[A-Za-z0-9._-]{1,64}$"
GROUP_PATTERN = r"^[A-Za-z0-9_.-]{1,64}$"
MIN_SECRET_LENGTH = 16
# Accepted in demo mode only, when no terminals file is given.
DEMO_TERMINALS = {"KIOSK-DEMO-01": "demo-secret-not-for-production"}


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


class TerminalsFileError(Exception):
    """The terminals file cannot be used; `str()` names the file, what is wrong and what to do."""


class _TerminalEntry(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str = Field(pattern=TERMINAL_ID_PATTERN)
    # Guessing is throttled, but a short secret is still guessed in days; 16 characters are not.
    secret: str = Field(min_length=MIN_SECRET_LENGTH, max_length=256)
    group: str = Field(default=DEFAULT_GROUP, pattern=GROUP_PATTERN)


class _TerminalsFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    terminal: list[_TerminalEntry] = Field(min_length=1)


def load_terminals_file(path: Path) -> dict[str, TerminalRecord]:
    """The terminals in a TOML file of `[[terminal]]` tables (`id`, `secret`, optional `group`).

    The file holds every kiosk's secret, so it must be accessible to the service user only: one that group
    or others may read or write is refused rather than used."""
    try:
        mode = path.stat().st_mode
        if mode & 0o077:
            raise TerminalsFileError(
                f"terminals file {path} is accessible by group or others (mode {stat.S_IMODE(mode):04o}); "
                f"run: chmod 600 {path}"
            )
        with path.open("rb") as handle:
            document = tomllib.load(handle)
    except OSError as exc:
        raise TerminalsFileError(f"cannot read terminals file {path}: {exc.strerror}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise TerminalsFileError(f"terminals file {path} is not valid TOML: {exc}") from exc
    try:
        entries = _TerminalsFile.model_validate(document).terminal
    except ValidationError as exc:
        error = exc.errors()[0]
        # Never the input: it may be a secret.
        raise TerminalsFileError(f"terminals file {path}: {_place(error['loc'])}: {error['msg']}") from None
    records: dict[str, TerminalRecord] = {}
    for entry in entries:
        if entry.id in records:
            raise TerminalsFileError(f"terminals file {path}: terminal {entry.id} is listed twice")
        records[entry.id] = TerminalRecord(entry.id, entry.secret, entry.group)
    return records


def _place(loc: tuple[int | str, ...]) -> str:
    """("terminal", 1, "secret") → "[[terminal]] number 2, key secret"."""
    match loc:
        case ("terminal", int(index), key, *_):
            return f"[[terminal]] number {index + 1}, key {key}"
        case ("terminal", int(index)):
            return f"[[terminal]] number {index + 1}"
        case ("terminal",):
            return "[[terminal]] tables"
        case _:
            return "key " + ".".join(str(part) for part in loc)
