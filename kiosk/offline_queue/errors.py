"""What the outbox refuses, and why. Every message is one line for staff and logs, with no personal data."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path


class OutboxFull(Exception):
    """The outbox refuses a new transaction: a bound of bounds.py's policy, or `disk` when the disk (or the
    database's size limit) is full. Nothing was stored.

    `message_key` names the citizen-facing text ("the service cannot take this transaction now, please try
    again later or go to the counter"); `str()` is for staff and logs and holds no personal data."""

    message_key = "outbox_full"

    def __init__(self, kind: str, bound: str) -> None:
        super().__init__(f"outbox full ({bound} bound): refused a new {kind}")
        self.kind = kind
        self.bound = bound


class OutboxBusy(Exception):
    """Another process has this outbox open."""


class IdempotencyConflict(ValueError):
    """The idempotency key is already stored with another kind or payload. Nothing was stored: a key names
    one transaction, so a second, different one under it would be lost. Use a new key for a new
    transaction."""

    message_key = "idempotency_conflict"

    def __init__(self, idempotency_key: str, kind: str, stored_kind: str) -> None:
        what = "another payload" if kind == stored_kind else f"a {stored_kind}"
        super().__init__(f"idempotency key {idempotency_key} already holds {what}; refused a new {kind}")
        self.idempotency_key = idempotency_key
        self.kind = kind
        self.stored_kind = stored_kind


class Cause(StrEnum):
    DATABASE_DAMAGED = "database_damaged"
    KEY_MISSING = "key_missing"
    KEY_DAMAGED = "key_damaged"
    # The key file holds keys, but not the ones that sealed the stored rows.
    KEY_WRONG = "key_wrong"
    # Readable by other users, or not readable by this one: fixed in place (chmod, chown), never by a reset.
    KEY_EXPOSED = "key_exposed"
    KEY_UNREADABLE = "key_unreadable"


class OutboxUnavailable(Exception):
    """The outbox will not open, so that nothing in it is lost or exposed. Its files are left as they were.

    `reason` is one line that names the file and what to do; `path` is that file; `cause` says which kind of
    problem it is (staff may set a damaged outbox aside with `kiosk queue reset --keep-evidence`)."""

    def __init__(self, reason: str, path: Path, cause: Cause) -> None:
        super().__init__(reason)
        self.reason = reason
        self.path = path
        self.cause = cause

    @property
    def fixed_in_place(self) -> bool:
        return self.cause in (Cause.KEY_EXPOSED, Cause.KEY_UNREADABLE)
