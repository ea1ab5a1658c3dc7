"""The centre's record of its kiosks, in the `terminals` table: registered from the terminals file (in bulk,
at start), by the demo, or by an administrator in the console, and revoked there.

Every reader of `context.terminals` asks the `TerminalRegistry` for the ACTIVE kiosks within its own
transaction, so a kiosk revoked by one worker process is unknown to every worker at once (its tokens stop
working with it: terminal auth checks the token's kiosk is active). Nothing of it is kept in process memory:
the centre may run as several processes behind one port (`kiosk-central serve --workers`).
"""

from __future__ import annotations

import logging
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal, cast

from sqlalchemy import BigInteger, String, delete, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from central_server.db import Database, insert_if_absent
from central_server.models import Base, TerminalToken
from central_server.terminals import GROUP_PATTERN, TERMINAL_ID_PATTERN, TerminalRecord

TerminalState = Literal["active", "revoked", "unlisted"]
SECRET_BYTES = 32  # secrets.token_urlsafe(32): 43 characters, far above the file's 16-character minimum
REASON_MAX = 500
_log = logging.getLogger(__name__)


# Who provisions kiosks in bulk at start (the terminals file, or the demo), as against an operator.
PROVISIONED = ("file", "demo")


class TerminalRow(Base):
    __tablename__ = "terminals"

    terminal_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    # Kept as given: the kiosk proves it knows it (as with the file, the database is the service user's).
    secret: Mapped[str] = mapped_column(String(256))
    group: Mapped[str] = mapped_column(String(64))
    state: Mapped[str] = mapped_column(String(8))  # TerminalState
    registered_at: Mapped[int] = mapped_column(BigInteger)  # unix seconds
    registered_by: Mapped[str] = mapped_column(String(40))  # "file", "demo" or the operator's username
    revoked_at: Mapped[int | None] = mapped_column(BigInteger, default=None)
    revoked_by: Mapped[str | None] = mapped_column(String(40), default=None)
    revoke_reason: Mapped[str | None] = mapped_column(String(REASON_MAX), default=None)


@dataclass(frozen=True)
class TerminalEntry:
    """One kiosk as the console lists it: everything but its secret."""

    terminal_id: str
    group: str
    state: TerminalState
    registered_at: int
    registered_by: str
    revoked_at: int | None
    revoked_by: str | None
    revoke_reason: str | None


class RegistryRefused(Exception):
    """A registration or revocation that cannot be done; `str()` is the one English line to show."""


def valid_terminal_id(terminal_id: str) -> bool:
    return re.fullmatch(TERMINAL_ID_PATTERN, terminal_id) is not None


def valid_group(group: str) -> bool:
    return re.fullmatch(GROUP_PATTERN, group) is not None


class TerminalRegistry:
    """The kiosks in the `terminals` table: looked up in the caller's transaction, changed in a new one."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def get(self, session: Session, terminal_id: str) -> TerminalRecord | None:
        """The kiosk if it is active, else None (unknown, revoked or unlisted)."""
        row = session.get(TerminalRow, terminal_id)
        if row is None or row.state != "active":
            return None
        return TerminalRecord(row.terminal_id, row.secret, row.group)

    def active(self, session: Session) -> dict[str, TerminalRecord]:
        """Every active kiosk by id."""
        rows = session.scalars(select(TerminalRow).where(TerminalRow.state == "active"))
        return {row.terminal_id: TerminalRecord(row.terminal_id, row.secret, row.group) for row in rows}

    def provision(self, records: Mapping[str, TerminalRecord], *, source: str, now: int) -> None:
        """Adds the file's (or the demo's) kiosks, or brings a listed kiosk's secret and group up to date.
        A kiosk revoked in the table stays revoked even when listed: revoking is for good.

        The file stays the authority over the kiosks it provisioned: one it no longer lists is `unlisted`
        (refused, like a revoked one) until it is listed again. Taking a kiosk out of the file must shut
        it out, and, unlike a revoke, a kiosk dropped by mistake comes back when it is listed again."""
        with self._db.transaction() as session:
            provisioned = select(TerminalRow).where(TerminalRow.registered_by.in_(PROVISIONED))
            for dropped in session.scalars(provisioned.where(TerminalRow.state == "active")):
                if dropped.terminal_id not in records:
                    dropped.state = "unlisted"
                    _log.warning(
                        "terminal %s is no longer listed: refused until it is listed again",
                        dropped.terminal_id,
                    )
            for record in records.values():
                row = session.get(TerminalRow, record.terminal_id)
                if row is None:
                    session.add(
                        TerminalRow(
                            terminal_id=record.terminal_id,
                            secret=record.secret,
                            group=record.group,
                            state="active",
                            registered_at=now,
                            registered_by=source,
                        )
                    )
                elif row.state == "revoked":
                    _log.warning("terminal %s is listed (%s) but stays revoked", row.terminal_id, source)
                else:
                    row.secret, row.group, row.state = record.secret, record.group, "active"

    def register(self, terminal_id: str, group: str, *, by: str, now: int) -> str:
        """Adds a kiosk and returns its new secret: the only time anyone is told it."""
        if not valid_terminal_id(terminal_id):
            raise RegistryRefused("A kiosk id is 1 to 64 letters, digits, dots, dashes or underscores.")
        if not valid_group(group):
            raise RegistryRefused("A group is 1 to 64 letters, digits, dots, dashes or underscores.")
        secret = secrets.token_urlsafe(SECRET_BYTES)
        with self._db.transaction() as session:
            # Inserted unless the id exists, then read back: of two workers registering one id at once,
            # the one whose secret is not in the row was second.
            insert_if_absent(
                session,
                TerminalRow,
                terminal_id=terminal_id,
                secret=secret,
                group=group,
                state="active",
                registered_at=now,
                registered_by=by,
            )
            if session.get_one(TerminalRow, terminal_id).secret != secret:
                # Revoked ids too: an old token or log line must never be taken for the new kiosk's.
                raise RegistryRefused("This kiosk id is taken (perhaps by a revoked kiosk): choose another.")
        return secret

    def revoke(self, terminal_id: str, *, by: str, reason: str, now: int) -> None:
        """Refuses the kiosk from now on: its secret and every token it holds."""
        reason = reason.strip()
        if not reason:
            raise RegistryRefused("Write why the kiosk is revoked.")
        if len(reason) > REASON_MAX:
            raise RegistryRefused("The reason is too long.")
        with self._db.transaction() as session:
            row = session.get(TerminalRow, terminal_id, with_for_update=True)
            if row is None:
                raise RegistryRefused("There is no such kiosk.")
            if row.state == "revoked":
                raise RegistryRefused("This kiosk is revoked already.")
            row.state, row.revoked_at, row.revoked_by, row.revoke_reason = "revoked", now, by, reason
            session.execute(delete(TerminalToken).where(TerminalToken.terminal_id == terminal_id))

    def entries(self) -> list[TerminalEntry]:
        """Every kiosk on record, active and revoked, by id."""
        with self._db.transaction() as session:
            rows = session.scalars(select(TerminalRow).order_by(TerminalRow.terminal_id))
            return [
                TerminalEntry(
                    terminal_id=row.terminal_id,
                    group=row.group,
                    state=cast(TerminalState, row.state),
                    registered_at=row.registered_at,
                    registered_by=row.registered_by,
                    revoked_at=row.revoked_at,
                    revoked_by=row.revoked_by,
                    revoke_reason=row.revoke_reason,
                )
                for row in rows
            ]
