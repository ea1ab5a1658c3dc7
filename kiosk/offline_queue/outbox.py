"""The durable outbox: `enqueue` returns only when the transaction is on disk, and the forwarder takes it
from here to the centre. One kiosk process owns a data dir at a time (a lock file says which)."""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import os
import re
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from cryptography.exceptions import InvalidTag
from sqlalchemy import Connection, Engine, bindparam, func, insert, select, update

from kiosk.offline_queue.bounds import BoundsPolicy, Usage, level, refusal
from kiosk.offline_queue.database import open_database
from kiosk.offline_queue.events import BacklogChanged, Publisher
from kiosk.offline_queue.ids import TimeOrderedIds
from kiosk.offline_queue.keyring import KeyFileError, KeyRing
from kiosk.offline_queue.kinds import KINDS, MONEY_KINDS
from kiosk.offline_queue.staff import purge_delivered
from kiosk.offline_queue.states import Event, State, next_state
from kiosk.offline_queue.tables import outbox

log = logging.getLogger(__name__)

LOCK_FILE_NAME = "outbox.lock"
MAX_PAYLOAD_BYTES = 64 * 1024
_KEY_PATTERN = re.compile(r"^[A-Za-z0-9._:-]{8,64}$")
_ERROR_CHARS = 200
_RESEAL_BATCH = 500
_UNREADABLE = "cannot decrypt: key missing or row damaged"


class OutboxFull(Exception):
    """The outbox refuses a new transaction (bounds.py's policy). Nothing was stored.

    `message_key` names the citizen-facing text ("the service cannot take this transaction now, please try
    again later or go to the counter"); `str()` is for staff and logs and holds no personal data."""

    message_key = "outbox_full"

    def __init__(self, kind: str, bound: str) -> None:
        super().__init__(f"outbox full ({bound} bound): refused a new {kind}")
        self.kind = kind
        self.bound = bound


class OutboxBusy(Exception):
    """Another process has this outbox open."""


@dataclass(frozen=True)
class EnqueueReceipt:
    """Proof that the transaction is on disk; print the citizen's receipt only once you hold one."""

    id: int
    idempotency_key: str
    kind: str
    created_at: datetime


@dataclass(frozen=True)
class OutgoingItem:
    id: int
    idempotency_key: str
    kind: str
    created_at_ms: int
    attempts: int
    blamed_failures: int
    size: int
    payload: dict[str, Any] = field(repr=False)

    def wire(self) -> dict[str, Any]:
        """The item as POST /v1/intake/batch takes it."""
        created = datetime.fromtimestamp(self.created_at_ms / 1000, UTC)
        return {
            "idempotency_key": self.idempotency_key,
            "kind": self.kind,
            "created_at": created.isoformat(),
            "payload": self.payload,
        }


@dataclass(frozen=True)
class Answer:
    """The centre's answer for one item: accepted, duplicate or rejected (with its reason)."""

    status: str
    reason: str | None = None


class Outbox:
    """Use `Outbox.open`. Thread-safe: the UI's workers enqueue while the forwarder claims and settles."""

    def __init__(
        self,
        engine: Engine,
        connection: Connection,
        keys: KeyRing,
        lock_file: IO[bytes],
        bounds: BoundsPolicy,
        clock: Callable[[], float],
    ) -> None:
        self._engine = engine
        self._conn = connection
        self._keys = keys
        self._lock_file = lock_file
        self.bounds = bounds
        self._clock = clock
        self._lock = threading.Lock()
        self._work = threading.Event()
        self.events = Publisher()
        # Core writes the INSERT once; each enqueue hands it straight to the driver, because SQLAlchemy's
        # per-execute bookkeeping (~25 µs) is a tenth of a durable commit and the enqueue is the hot path.
        compiled = insert(outbox).compile(dialect=engine.dialect, column_keys=[c.key for c in outbox.c])
        self._insert_sql = str(compiled)
        self._insert_order = compiled.positiontup or []
        self._driver = connection.connection.driver_connection
        last = connection.execute(select(func.max(outbox.c.id))).scalar() or 0
        self._ids = TimeOrderedIds(last, clock)
        rows, size = connection.execute(
            select(func.count(), func.coalesce(func.sum(outbox.c.size), 0)).where(
                outbox.c.state != State.DELIVERED.value
            )
        ).one()
        connection.commit()
        self._rows, self._bytes = rows, size
        self._oldest_ms = self._oldest_waiting_ms()
        self._level = level(bounds, self._usage(self._now_ms()))[0]

    @classmethod
    def open(
        cls,
        data_dir: Path,
        *,
        bounds: BoundsPolicy | None = None,
        clock: Callable[[], float] = time.time,
    ) -> Outbox:
        """Open (creating if need be) the outbox in `data_dir`, with its key file. Rows a crash left in
        flight go back to pending: the centre's idempotency makes sending them again safe."""
        data_dir = Path(data_dir)
        data_dir.mkdir(parents=True, exist_ok=True)
        lock_file = open(data_dir / LOCK_FILE_NAME, "ab")  # noqa: SIM115 (held for the outbox's life)
        try:
            fcntl.flock(lock_file, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            lock_file.close()
            raise OutboxBusy(f"another process has the outbox in {data_dir} open") from None
        try:
            keys = KeyRing.load_or_create(data_dir)
            engine, connection = open_database(data_dir, create=True)
            connection.execute(
                update(outbox)
                .where(outbox.c.state == State.IN_FLIGHT.value)
                .values(state=next_state(State.IN_FLIGHT, Event.RECOVER).value)
            )
            connection.commit()
            return cls(engine, connection, keys, lock_file, bounds or BoundsPolicy(), clock)
        except BaseException:
            lock_file.close()
            raise

    def close(self) -> None:
        with self._lock:
            self._conn.close()
            self._engine.dispose()
            self._lock_file.close()

    # -- taking transactions ----------------------------------------------------------------------------

    def enqueue(
        self, kind: str, payload: dict[str, Any], idempotency_key: str | None = None
    ) -> EnqueueReceipt:
        """Store one transaction durably (one commit, one fsync) and return its receipt.

        Raises OutboxFull when the bounds policy refuses it, ValueError for an unknown kind, a malformed key
        or an oversized payload. Enqueueing a key again returns the first receipt and stores nothing."""
        if kind not in KINDS:
            raise ValueError(f"unknown kind {kind!r}")
        key = idempotency_key or os.urandom(16).hex()
        if not _KEY_PATTERN.match(key):
            raise ValueError("idempotency key must be 8-64 characters of A-Z a-z 0-9 . _ : -")
        plaintext = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()
        if len(plaintext) > MAX_PAYLOAD_BYTES:
            raise ValueError(f"payload is {len(plaintext)} bytes; at most {MAX_PAYLOAD_BYTES}")
        key_id, blob = self._keys.seal(plaintext, _associated(key, kind))
        with self._lock:
            now_ms = self._now_ms()
            usage = self._usage(now_ms)
            bound = refusal(self.bounds, usage, len(blob), money=kind in MONEY_KINDS)
            if bound is not None:
                raise OutboxFull(kind, bound)
            row_id = self._ids.next()
            values = {
                "id": row_id,
                "idempotency_key": key,
                "kind": kind,
                "created_at": now_ms,
                "attempts": 0,
                "blamed_failures": 0,
                "next_attempt_at": now_ms,
                "state": State.PENDING.value,
                "last_error": None,
                "delivered_at": None,
                "key_id": key_id,
                "payload": blob,
                "size": len(blob),
            }
            try:
                # Autocommit: this one statement is the whole transaction, durable when it returns.
                self._driver.execute(self._insert_sql, [values[name] for name in self._insert_order])
            except sqlite3.IntegrityError:
                return self._existing_receipt(key, kind)
            self._rows += 1
            self._bytes += len(blob)
            if self._oldest_ms is None:
                self._oldest_ms = now_ms
            changed = self._level_change(usage._replace(rows=self._rows, bytes=self._bytes))
        if not self._work.is_set():
            self._work.set()
        if changed is not None:
            self.events.publish(changed)
        return EnqueueReceipt(row_id, key, kind, datetime.fromtimestamp(now_ms / 1000, UTC))

    def _existing_receipt(self, key: str, kind: str) -> EnqueueReceipt:
        row = self._conn.execute(
            select(outbox.c.id, outbox.c.kind, outbox.c.created_at).where(outbox.c.idempotency_key == key)
        ).one()
        self._conn.commit()
        if row.kind != kind:
            raise ValueError(f"idempotency key already used for a {row.kind}")
        return EnqueueReceipt(row.id, key, kind, datetime.fromtimestamp(row.created_at / 1000, UTC))

    # -- the forwarder's side ---------------------------------------------------------------------------

    def wait_for_work(self, timeout_s: float) -> None:
        """Block until something is enqueued or `timeout_s` passes."""
        self._work.wait(timeout_s)
        self._work.clear()

    def wake(self) -> None:
        self._work.set()

    def claim(self, limit: int) -> tuple[list[OutgoingItem], float | None]:
        """Mark the oldest due pending rows in flight and return them, oldest first.

        Only a prefix of the oldest pending rows is taken: a row never overtakes an older one that waits
        for its retry, which keeps each citizen's transactions in the order they were made. When nothing is
        due, the second value is the seconds until the oldest pending row is (None: nothing pending)."""
        c = outbox.c
        with self._lock:
            now_ms = self._now_ms()
            rows = self._conn.execute(
                select(c.id, c.idempotency_key, c.kind, c.created_at, c.attempts, c.next_attempt_at)
                .add_columns(c.blamed_failures, c.key_id, c.payload, c.size)
                .where(c.state == State.PENDING.value)
                .order_by(c.id)
                .limit(limit)
            ).all()
            due = []
            for row in rows:
                if row.next_attempt_at > now_ms:
                    break
                due.append(row)
            if not due:
                self._conn.commit()
                return [], (rows[0].next_attempt_at - now_ms) / 1000 if rows else None
            items, unreadable = [], []
            for row in due:
                try:
                    payload = self._keys.open(
                        row.key_id, row.payload, _associated(row.idempotency_key, row.kind)
                    )
                except (InvalidTag, KeyFileError):
                    # A damaged row or a lost key must not block every row behind it: dead-letter it.
                    unreadable.append(row.id)
                    continue
                items.append(
                    OutgoingItem(
                        id=row.id,
                        idempotency_key=row.idempotency_key,
                        kind=row.kind,
                        created_at_ms=row.created_at,
                        attempts=row.attempts,
                        blamed_failures=row.blamed_failures,
                        size=row.size,
                        payload=json.loads(payload),
                    )
                )
            with self._write_transaction():
                if items:
                    self._conn.execute(
                        update(outbox)
                        .where(c.id.in_([item.id for item in items]))
                        .values(state=next_state(State.PENDING, Event.CLAIM).value)
                    )
                if unreadable:
                    log.error("outbox: %d rows cannot be decrypted; dead-lettered", len(unreadable))
                    self._conn.execute(
                        update(outbox)
                        .where(c.id.in_(unreadable))
                        .values(
                            state=State.DEAD.value, last_error="cannot decrypt: key missing or row damaged"
                        )
                    )
        return items, None

    def record_answers(self, items: Sequence[OutgoingItem], answers: Sequence[Answer]) -> None:
        """Settle a batch the centre answered item by item: accepted or duplicate rows are delivered (their
        payload wiped: the centre has it now), rejected rows are dead with the centre's reason."""
        now_ms = self._now_ms()
        delivered: list[dict[str, Any]] = []
        delivered_bytes = 0
        dead: list[dict[str, Any]] = []
        for item, answer in zip(items, answers, strict=True):
            after = next_state(State.IN_FLIGHT, Event(answer.status))
            if after is State.DELIVERED:
                delivered.append({"row_id": item.id, "attempts": item.attempts + 1})
                delivered_bytes += item.size
            else:
                reason = f"rejected: {answer.reason or 'no reason given'}"[:_ERROR_CHARS]
                dead.append({"row_id": item.id, "attempts": item.attempts + 1, "error": reason})
        c = outbox.c
        with self._lock, self._write_transaction():
            if delivered:
                self._conn.execute(
                    update(outbox)
                    .where(c.id == bindparam("row_id"))
                    .values(
                        state=State.DELIVERED.value,
                        attempts=bindparam("attempts"),
                        delivered_at=now_ms,
                        last_error=None,
                        payload=b"",
                        size=0,
                    ),
                    delivered,
                )
            if dead:
                self._conn.execute(
                    update(outbox)
                    .where(c.id == bindparam("row_id"))
                    .values(
                        state=State.DEAD.value, attempts=bindparam("attempts"), last_error=bindparam("error")
                    ),
                    dead,
                )
        self._after_settling(delivered_rows=len(delivered), delivered_bytes=delivered_bytes)

    def record_failure(
        self,
        items: Sequence[OutgoingItem],
        error: str,
        *,
        blamed: bool,
        retry_in_s: float,
        max_attempts: int,
    ) -> None:
        """Settle a batch that failed as a whole: back to pending, due again in `retry_in_s`, or dead once a
        row has had `max_attempts` failures the centre answered (`blamed`)."""
        now_ms = self._now_ms()
        params = []
        for item in items:
            blamed_failures = item.blamed_failures + blamed
            after = next_state(
                State.IN_FLIGHT,
                Event.FAILED,
                blamed_failures=blamed_failures,
                max_attempts=max_attempts,
                blamed=blamed,
            )
            params.append(
                {
                    "row_id": item.id,
                    "attempts": item.attempts + 1,
                    "blamed": blamed_failures,
                    "after": after.value,
                    "error": error[:_ERROR_CHARS],
                }
            )
        c = outbox.c
        with self._lock, self._write_transaction():
            self._conn.execute(
                update(outbox)
                .where(c.id == bindparam("row_id"))
                .values(
                    state=bindparam("after"),
                    attempts=bindparam("attempts"),
                    blamed_failures=bindparam("blamed"),
                    last_error=bindparam("error"),
                    next_attempt_at=now_ms + int(retry_in_s * 1000),
                ),
                params,
            )
        self._after_settling(delivered_rows=0, delivered_bytes=0)

    def _after_settling(self, *, delivered_rows: int, delivered_bytes: int) -> None:
        with self._lock:
            self._rows -= delivered_rows
            self._bytes -= delivered_bytes
            self._oldest_ms = self._oldest_waiting_ms()
            changed = self._level_change(self._usage(self._now_ms()))
        if changed is not None:
            self.events.publish(changed)

    # -- housekeeping -------------------------------------------------------------------------------------

    def purge_delivered(self) -> int:
        """Delete delivered rows older than the retention period; returns how many."""
        with self._lock:
            return purge_delivered(self._conn, self._now_ms() - int(self.bounds.retention_s * 1000))

    def rotate_key(self) -> str:
        """Seal new rows under a fresh key, re-seal the stored ones under it, and drop the old key from the
        key file once no row needs it. Returns the new key id."""
        c = outbox.c
        with self._lock:
            new_id = self._keys.rotate()
            while True:
                with self._write_transaction():
                    rows = self._conn.execute(
                        select(c.id, c.idempotency_key, c.kind, c.key_id, c.payload)
                        .where(c.key_id != new_id, c.state != State.DELIVERED.value)
                        .limit(_RESEAL_BATCH)
                    ).all()
                    for row in rows:
                        associated = _associated(row.idempotency_key, row.kind)
                        key_id, blob = self._keys.seal(
                            self._keys.open(row.key_id, row.payload, associated), associated
                        )
                        self._conn.execute(
                            update(outbox)
                            .where(c.id == row.id)
                            .values(key_id=key_id, payload=blob, size=len(blob))
                        )
                if len(rows) < _RESEAL_BATCH:
                    break
            in_use = set(
                self._conn.execute(
                    select(c.key_id).where(c.state != State.DELIVERED.value).distinct()
                ).scalars()
            )
            self._conn.commit()
            self._keys.retire(in_use)
            return new_id

    # -- counts -------------------------------------------------------------------------------------------

    def usage(self) -> Usage:
        with self._lock:
            return self._usage(self._now_ms())

    def _usage(self, now_ms: int) -> Usage:
        age = 0.0 if self._oldest_ms is None else max(0.0, (now_ms - self._oldest_ms) / 1000)
        return Usage(rows=self._rows, bytes=self._bytes, oldest_age_s=age)

    def _level_change(self, usage: Usage) -> BacklogChanged | None:
        new_level, bound = level(self.bounds, usage)
        if new_level is self._level:
            return None
        self._level = new_level
        ratio = usage.ratios(self.bounds)[bound] if bound else 0.0
        return BacklogChanged(level=new_level, bound=bound, ratio=ratio)

    def _oldest_waiting_ms(self) -> int | None:
        # One index probe per state: min() over both states at once would scan them.
        c = outbox.c
        oldest = [
            self._conn.execute(
                select(c.created_at).where(c.state == state.value).order_by(c.id).limit(1)
            ).scalar()
            for state in (State.PENDING, State.IN_FLIGHT)
        ]
        self._conn.commit()
        present = [value for value in oldest if value is not None]
        return min(present) if present else None

    def _now_ms(self) -> int:
        return int(self._clock() * 1000)

    @contextlib.contextmanager
    def _write_transaction(self) -> Iterator[None]:
        """Several statements, one commit. BEGIN IMMEDIATE takes the write lock up front, so a staff
        command writing at the same moment waits instead of failing half-way."""
        self._conn.exec_driver_sql("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self._conn.exec_driver_sql("ROLLBACK")
            self._conn.rollback()
            raise
        self._conn.exec_driver_sql("COMMIT")
        self._conn.commit()


def _associated(key: str, kind: str) -> bytes:
    return f"{key}|{kind}".encode()
