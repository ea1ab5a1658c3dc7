"""What staff may do to an outbox from outside the kiosk process: look, retry, purge, and set a broken one
aside. Never decrypts.

Works next to a running kiosk: SQLite serialises the writes, and none of these changes the backlog's size
(a retry moves a dead row back to pending; a purge deletes only delivered rows). A reset needs the kiosk
stopped: it takes the outbox's lock.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import Connection, Update, delete, func, select, update

from kiosk.offline_queue import database
from kiosk.offline_queue.database import NoOutbox
from kiosk.offline_queue.errors import OutboxUnavailable
from kiosk.offline_queue.files import open_files, set_aside, take_lock
from kiosk.offline_queue.states import Event, InvalidTransition, State, next_state
from kiosk.offline_queue.tables import outbox


@dataclass(frozen=True)
class RowSummary:
    id: int
    idempotency_key: str
    kind: str
    state: State
    created_at_ms: int
    attempts: int
    next_attempt_at_ms: int
    last_error: str | None


@dataclass(frozen=True)
class Status:
    counts: dict[State, int]
    undelivered_bytes: int
    oldest_waiting_ms: int | None
    next_attempt_ms: int | None
    key_ids: list[str]

    @property
    def backlog(self) -> int:
        return sum(self.counts[state] for state in (State.PENDING, State.IN_FLIGHT, State.DEAD))


class NothingToReset(Exception):
    """The outbox opens (or there is none): setting it aside would only stop its rows from being sent."""


def purge_delivered(connection: Connection, before_ms: int) -> int:
    result = connection.execute(
        delete(outbox).where(outbox.c.state == State.DELIVERED.value, outbox.c.delivered_at < before_ms)
    )
    connection.commit()
    if result.rowcount:
        database.checkpoint(connection)
    return result.rowcount


class OutboxAdmin:
    """Raises NoOutbox when there is no database, OutboxUnavailable when it or the key file (if given)
    is unusable, like the kiosk would. The key file is only checked, never written."""

    def __init__(self, data_dir: Path, key_file: Path | None = None) -> None:
        self._engine, self._connection, _ = open_files(data_dir, key_file, create=False)

    def close(self) -> None:
        self._connection.close()
        self._engine.dispose()

    def status(self) -> Status:
        c = outbox.c
        conn = self._connection
        counts = {state: 0 for state in State}
        for state, count in conn.execute(select(c.state, func.count()).group_by(c.state)):
            counts[State(state)] = count
        undelivered = conn.execute(
            select(func.coalesce(func.sum(c.size), 0)).where(c.state != State.DELIVERED.value)
        ).scalar_one()
        waiting = c.state.in_([State.PENDING.value, State.IN_FLIGHT.value])
        oldest = conn.execute(select(func.min(c.created_at)).where(waiting)).scalar()
        next_attempt = conn.execute(
            select(func.min(c.next_attempt_at)).where(c.state == State.PENDING.value)
        ).scalar()
        key_ids = list(
            conn.execute(select(c.key_id).where(c.state != State.DELIVERED.value).distinct()).scalars()
        )
        conn.commit()
        return Status(counts, undelivered, oldest, next_attempt, sorted(key_ids))

    def rows(self, state: State | None = None, limit: int = 50) -> list[RowSummary]:
        c = outbox.c
        query = select(
            c.id,
            c.idempotency_key,
            c.kind,
            c.state,
            c.created_at,
            c.attempts,
            c.next_attempt_at,
            c.last_error,
        )
        if state is not None:
            query = query.where(c.state == state.value)
        rows = self._connection.execute(query.order_by(c.id).limit(limit)).all()
        self._connection.commit()
        return [RowSummary(r[0], r[1], r[2], State(r[3]), r[4], r[5], r[6], r[7]) for r in rows]

    def retry(self, row_id: int, now_ms: int) -> State:
        """Make one dead or pending row due now, with a fresh attempt count. Returns its former state;
        raises KeyError for an unknown id and InvalidTransition for a row in flight or delivered."""
        conn = self._connection
        state = conn.execute(select(outbox.c.state).where(outbox.c.id == row_id)).scalar()
        conn.commit()
        if state is None:
            raise KeyError(row_id)
        before = State(state)
        next_state(before, Event.RETRY)
        # The state test again in the UPDATE: the kiosk may have claimed the row since the look-up.
        changed = conn.execute(
            _retry(now_ms).where(outbox.c.id == row_id, outbox.c.state == before.value)
        ).rowcount
        conn.commit()
        if not changed:
            raise InvalidTransition(f"row {row_id} changed state while being retried; try again")
        return before

    def retry_dead(self, now_ms: int) -> int:
        result = self._connection.execute(_retry(now_ms).where(outbox.c.state == State.DEAD.value))
        self._connection.commit()
        return result.rowcount

    def purge(self, before_ms: int) -> int:
        return purge_delivered(self._connection, before_ms)


def reset(
    data_dir: Path, key_file: Path, when: datetime
) -> tuple[OutboxUnavailable, list[tuple[Path, Path]]]:
    """Set an outbox that will not open aside (files.set_aside), so the kiosk starts afresh. Returns the
    problem and the files moved. Raises OutboxBusy while the kiosk runs, and NothingToReset when the outbox
    opens, or when its problem is fixed in place (a key file's mode or owner)."""
    if not data_dir.is_dir():
        raise NothingToReset(f"no outbox database in {data_dir}; nothing to reset")
    lock = take_lock(data_dir)
    try:
        try:
            admin = OutboxAdmin(data_dir, key_file)
        except NoOutbox:
            raise NothingToReset(f"no outbox database in {data_dir}; nothing to reset") from None
        except OutboxUnavailable as problem:
            if problem.fixed_in_place:
                raise NothingToReset(f"{problem.reason}; a reset would not help") from None
            return problem, set_aside(data_dir, key_file, when)
        backlog = admin.status().backlog
        admin.close()
        raise NothingToReset(
            f"the outbox in {data_dir} opens and holds {backlog} undelivered rows; nothing to reset"
        )
    finally:
        lock.close()


def _retry(now_ms: int) -> Update:
    return update(outbox).values(
        state=State.PENDING.value, attempts=0, blamed_failures=0, next_attempt_at=now_ms
    )
