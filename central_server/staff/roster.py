"""The staff roster: read from the --staff TOML file (or the demo accounts), kept in `staff_accounts`,
served to kiosks without names.

A PIN is six digits, so the hashes are what protects it: the file holds only scrypt hashes whose cost is
at least `STAFF_PIN_N` and at most what a kiosk can afford to check (docs/staff.md)."""

from __future__ import annotations

import hashlib
import json
import re
import stat
import tomllib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, cast

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from central_server.security import STAFF_PIN_N, hash_password
from central_server.staff.models import StaffAccount

StaffRole = Literal["hall_staff", "technician"]
STAFF_ID_PATTERN = r"^[0-9]{6}$"
# A kiosk checks a PIN in tens of milliseconds with 32-256 MiB at these costs; more would stall it.
MAX_PIN_N = 2**18
_PIN_HASH = re.compile(
    r"scrypt\$([0-9]{1,7})\$([0-9]{1,2})\$([0-9]{1,2})\$(?:[0-9a-f]{2}){16,64}\$[0-9a-f]{64}"
)
_STAFF_HEADER = re.compile(r"^[ \t]*\[\[[ \t]*staff[ \t]*\]\]", re.MULTILINE)

# `create_app(demo=True)` only (central_server/README.md): staff id, PIN, role.
DEMO_STAFF: tuple[tuple[str, str, StaffRole], ...] = (
    ("900001", "246810", "hall_staff"),
    ("900002", "135790", "technician"),
)


@dataclass(frozen=True)
class StaffEntry:
    staff_id: str
    pin_hash: str
    role: StaffRole
    active: bool = True

    def __repr__(self) -> str:  # a PIN hash in a log is a PIN to guess offline
        return f"StaffEntry(staff_id={self.staff_id!r}, role={self.role!r}, active={self.active!r})"


class StaffFileError(Exception):
    """The staff file cannot be used; `str()` names the file, the entry, what is wrong and what to do."""


def check_pin_hash(value: str) -> str:
    """A `scrypt$N$r$p$salthex$digesthex` line as `hash_password` writes it, with a staff PIN's cost."""
    match = _PIN_HASH.fullmatch(value)
    if match is None:
        raise ValueError("not a scrypt$N$r$p$salt$digest hash; make one with: kiosk-admin staff-hash")
    n, r, p = (int(part) for part in match.groups()[:3])
    if n & (n - 1) or not STAFF_PIN_N <= n <= MAX_PIN_N:
        raise ValueError(f"scrypt N must be a power of two from {STAFF_PIN_N} to {MAX_PIN_N}, got {n}")
    if not (1 <= r <= 16 and 1 <= p <= 4):
        raise ValueError(f"scrypt r must be 1-16 and p 1-4, got r={r} p={p}")
    return value


class _StaffFileEntry(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    id: str = Field(pattern=STAFF_ID_PATTERN, description="6 digits")
    pin_hash: str
    role: StaffRole
    active: bool = True

    @field_validator("pin_hash")
    @classmethod
    def _pin_hash(cls, value: str) -> str:
        return check_pin_hash(value)


class _StaffFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    staff: list[_StaffFileEntry] = Field(min_length=1)


def load_staff_file(path: Path) -> list[StaffEntry]:
    """The staff in a TOML file of `[[staff]]` tables (`id`, `pin_hash`, `role`, optional `active`). Like
    the terminals file it must be readable by the service user only: its hashes can be guessed offline."""
    try:
        mode = path.stat().st_mode
        if mode & 0o077:
            raise StaffFileError(
                f"staff file {path} is accessible by group or others (mode {stat.S_IMODE(mode):04o}); "
                f"run: chmod 600 {path}"
            )
        text = path.read_bytes().decode("utf-8")
    except OSError as exc:
        raise StaffFileError(f"cannot read staff file {path}: {exc.strerror}") from exc
    except UnicodeDecodeError:
        raise StaffFileError(f"staff file {path} is not UTF-8 text; save it as UTF-8") from None
    return parse_staff_file(text, path)


def parse_staff_file(text: str, path: Path) -> list[StaffEntry]:
    """The entries of a staff file's text; StaffFileError names `path`, the entry and its line."""
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise StaffFileError(f"staff file {path} is not valid TOML: {exc}") from exc
    try:
        entries = _StaffFile.model_validate(document).staff
    except ValidationError as exc:
        error = exc.errors()[0]
        # Never the input: it may be a PIN hash.
        raise StaffFileError(f"staff file {path}: {_place(error['loc'], text)}: {error['msg']}") from None
    seen: dict[str, int] = {}
    for index, entry in enumerate(entries):
        if entry.id in seen:
            raise StaffFileError(
                f"staff file {path}: {_place(('staff', index), text)}: staff id {entry.id} is listed twice "
                f"(first in [[staff]] number {seen[entry.id] + 1})"
            )
        seen[entry.id] = index
    return [StaffEntry(entry.id, entry.pin_hash, entry.role, entry.active) for entry in entries]


def _place(loc: tuple[int | str, ...], text: str) -> str:
    """("staff", 1, "role") → "[[staff]] number 2 (line 7), key role"."""
    match loc:
        case ("staff", int(index), key, *_):
            return f"{_entry(index, text)}, key {key}"
        case ("staff", int(index)):
            return _entry(index, text)
        case ("staff",):
            return "[[staff]] tables"
        case _:
            return "key " + ".".join(str(part) for part in loc)


def _entry(index: int, text: str) -> str:
    headers = list(_STAFF_HEADER.finditer(text))
    if index < len(headers):
        line = text.count("\n", 0, headers[index].start()) + 1
        return f"[[staff]] number {index + 1} (line {line})"
    return f"[[staff]] number {index + 1}"


def demo_entries() -> list[StaffEntry]:
    """The documented demo accounts, hashed now with a fresh salt each."""
    return [StaffEntry(sid, hash_password(pin, n=STAFF_PIN_N), role) for sid, pin, role in DEMO_STAFF]


def replace_roster(session: Session, entries: Iterable[StaffEntry]) -> None:
    """The roster becomes exactly `entries`: an account missing from the file can no longer sign in."""
    session.execute(delete(StaffAccount))
    session.add_all(
        StaffAccount(staff_id=e.staff_id, pin_hash=e.pin_hash, role=e.role, active=e.active) for e in entries
    )


def has_roster(session: Session) -> bool:
    return session.scalar(select(StaffAccount.staff_id).limit(1)) is not None


class RosterMember(BaseModel):
    staff_id: str = Field(description="6 digits")
    pin_hash: str = Field(description="scrypt$N$r$p$salthex$digesthex (docs/staff.md)")
    role: StaffRole
    active: bool = Field(description="always true: inactive accounts are left out")


class RosterData(BaseModel):
    staff: list[RosterMember]


def roster(session: Session) -> RosterData:
    rows: Sequence[StaffAccount] = session.scalars(
        select(StaffAccount).where(StaffAccount.active.is_(True)).order_by(StaffAccount.staff_id)
    ).all()
    return RosterData(
        staff=[
            RosterMember(
                staff_id=row.staff_id, pin_hash=row.pin_hash, role=cast(StaffRole, row.role), active=True
            )
            for row in rows
        ]
    )


def roster_etag(data: RosterData) -> str:
    """A strong ETag of the roster's content, so every worker gives the same one for the same roster."""
    canonical = json.dumps(data.model_dump(mode="json"), sort_keys=True)
    return '"' + hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:32] + '"'
