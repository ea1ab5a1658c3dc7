"""What every request handler needs, built once by create_app."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated

from fastapi import Depends, Request

from central_server.db import Database
from central_server.envelope import CentreSequence
from central_server.limits import Limits
from central_server.terminal_registry import TerminalRegistry


@dataclass(frozen=True)
class AppContext:
    db: Database
    clock: Callable[[], datetime]
    terminals: TerminalRegistry  # the active kiosks; the console registers and revokes through it
    sequence: CentreSequence
    limits: Limits

    def unix_now(self) -> int:
        return int(self.clock().timestamp())


def _context(request: Request) -> AppContext:
    context: AppContext = request.app.state.context
    return context


Context = Annotated[AppContext, Depends(_context)]
