"""The centre's sequence numbers: `centre_seq` in every envelope (docs/central-api.md)."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable

import anyio
from sqlalchemy import BigInteger, update
from sqlalchemy.orm import Mapped, Session, mapped_column
from starlette.types import ASGIApp, Receive, Scope, Send

from central_server.db import Database, insert_if_absent
from central_server.models import Base

_ROW_ID = 1


class SequenceRow(Base):
    """The first number no process has reserved yet."""

    __tablename__ = "centre_sequence"

    id: Mapped[int] = mapped_column(primary_key=True)
    next_value: Mapped[int] = mapped_column(BigInteger)


def create_if_absent(session: Session) -> None:
    """Starts the numbers at 1 on the centre's first start; workers starting together each try."""
    insert_if_absent(session, SequenceRow, id=_ROW_ID, next_value=1)


def database_blocks(db: Database) -> Callable[[int], int]:
    """`take_block` for `CentreSequence`: reserves n numbers in the database, in a transaction of its
    own (the row's lock keeps two processes from reserving the same ones)."""

    def take(count: int) -> int:
        with db.transaction() as session:
            end = session.execute(
                update(SequenceRow)
                .where(SequenceRow.id == _ROW_ID)
                .values(next_value=SequenceRow.next_value + count)
                .returning(SequenceRow.next_value)
            ).scalar_one()
        return int(end) - count

    return take


class CentreSequence:
    """Numbers the centre's answers, never twice across its worker processes and its restarts: numbers
    come in blocks reserved in the database (`take_block(n)` reserves n and returns the first), so a
    process goes to the database once per block, not once per answer. Numbers rise within a process;
    across processes they interleave, and a restart skips what was left of its blocks.

    `top_up()` reserves the next block before it is needed, at the start of a request (`SequenceTopUp`):
    `next()` is also called inside transactions, where waiting for the database could mean waiting for
    the very transaction it is in (on SQLite, one writer at a time)."""

    def __init__(self, take_block: Callable[[int], int], block: int = 1000) -> None:
        self._take_block = take_block
        self._block = block
        self._lock = threading.Lock()  # over the numbers
        self._top_up_lock = threading.Lock()  # one reservation at a time, without holding up next()
        self._forget()

    def _forget(self) -> None:
        self._pid = os.getpid()
        self._next = self._end = 0
        self._spare: int | None = None

    def _check_process(self) -> None:
        # A worker forked from the process that built the app must not hand out that process's numbers.
        if self._pid != os.getpid():
            self._forget()

    def next(self) -> str:
        with self._lock:
            self._check_process()
            if self._next >= self._end:
                start = self._spare if self._spare is not None else self._take_block(self._block)
                self._next, self._end, self._spare = start, start + self._block, None
            value = self._next
            self._next += 1
        return f"C{value:010d}"

    def running_low(self) -> bool:
        """No spare block, and less than half of the current one left."""
        with self._lock:
            self._check_process()
            return self._spare is None and self._end - self._next < self._block // 2

    def top_up(self) -> None:
        with self._top_up_lock:
            if not self.running_low():
                return
            start = self._take_block(self._block)
            with self._lock:
                self._spare = start


class SequenceTopUp:
    """ASGI middleware: tops the sequence up, on a worker thread, before a request that may need it."""

    def __init__(self, app: ASGIApp, *, sequence: CentreSequence) -> None:
        self.app = app
        self.sequence = sequence

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and self.sequence.running_low():
            await anyio.to_thread.run_sync(self.sequence.top_up)
        await self.app(scope, receive, send)
