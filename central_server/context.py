"""What every request handler needs, built once by create_app."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from central_server.db import Database
from central_server.envelope import ApiError, Code
from central_server.limits import Limits
from central_server.sequence import CentreSequence
from central_server.terminal_registry import TerminalRegistry
from central_server.terminals import TerminalRecord


@dataclass(frozen=True)
class AppContext:
    db: Database
    clock: Callable[[], datetime]
    terminals: TerminalRegistry  # the active kiosks; the console registers and revokes through it
    sequence: CentreSequence
    limits: Limits

    def unix_now(self) -> int:
        return int(self.clock().timestamp())

    def active_kiosks(self) -> dict[str, TerminalRecord]:
        """Every active kiosk by id, read in a transaction of its own (so not for use inside another)."""
        with self.db.transaction() as session:
            return self.terminals.active(session)

    def kiosk(self, session: Session, terminal_id: str) -> TerminalRecord:
        """The record of a kiosk whose token was accepted, read in the caller's transaction; refused as
        unauthorised if it was revoked in between."""
        record = self.terminals.get(session, terminal_id)
        if record is None:
            raise ApiError(Code.TERMINAL_UNAUTHORISED, "terminal revoked")
        return record


def _context(request: Request) -> AppContext:
    context: AppContext = request.app.state.context
    return context


Context = Annotated[AppContext, Depends(_context)]
