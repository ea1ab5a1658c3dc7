"""The durable outbox: `enqueue` returns only when the transaction is on disk, and the forwarder takes it
from here to the centre. One kiosk process owns a data dir at a time (a lock file says which)."""

from __future__ import annotations

import contextlib
import hmac
import json
import logging
import os
import re
import sqlite3
import threading
import time
from collections.abc import Callable, Collection, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any, NamedTuple

from cryptography.exceptions import InvalidTag
from sqlalchemy import Connection, Engine, bindparam, func, select, update
from sqlalchemy.exc import DBAPIError

from kiosk.offline_queue import database
from kiosk.offline_queue.bounds import BoundsPolicy, Level, Usage, level, refusal
from kiosk.offline_queue.database import DB_FILE_NAME
from kiosk.offline_queue.errors import IdempotencyConflict, OutboxBusy, OutboxFull, OutboxUnavailable
from kiosk.offline_queue.events import BacklogChanged, Publisher
from kiosk.offline_queue.files import open_files, take_lock
from kiosk.offline_queue.ids import TimeOrderedIds
from kiosk.offline_queue.keyring import KEY_FILE_NAME, KeyRing, SealingKeyMissing
from kiosk.offline_queue.kinds import KINDS, MONEY_KINDS
from kiosk.offline_queue.staff import purge_delivered
from kiosk.offline_queue.states import Event, State, next_state
from kiosk.offline_queue.tables import outbox

__all__ = [
    "Answer",
    "EnqueueReceipt",
    "IdempotencyConflict",
    "ItemFate",
    "Outbox",
    "OutboxBusy",
    "OutboxFull",
    "OutboxUnavailable",
    "OutgoingItem",
    "WaitingItem",
]

log = logging.getLogger(__name__)

MAX_PAYLOAD_BYTES = 64 * 1024
_KEY_PATTERN = re.compile(r"^[A-Za-z0-9._:-]{8,64}$")
# The centre's visit ticket: base64url claims, a dot, base64url signature (central_server/visit_ticket.py).
_TICKET_PATTERN = re.compile(r"^[A-Za-z0-9_-]{1,1000}\.[A-Za-z0-9_-]{1,100}$")
_ERROR_CHARS = 200
_RESEAL_BATCH = 500
_UNREADABLE = "cannot decrypt: key missing or row damaged"
_CONFLICT = "the centre holds this key with another payload"
# The hot path's one statement, written out and handed to the driver as is: SQLAlchemy's per-execute work
# (~25 µs) would be a tenth of a durable commit. test_outbox checks every column lands where it belongs.
_INSERT = (
    "INSERT INTO outbox (id, idempotency_key, kind, created_at, attempts, blamed_failures, next_attempt_at,"
    f" state, key_id, payload, size, payload_digest) VALUES (?, ?, ?, ?, 0, 0, ?, '{State.PENDING.value}',"
    " ?, ?, ?, ?)"
)
_DISK = "disk"
# What `waiting` returns at most: a screen's worth for "my applications", read and decrypted in about a
# millisecond under the outbox's lock, whatever the backlog.
_WAITING_LIMIT = 200
_SETTLED = frozenset({State.DELIVERED, State.DEAD})
# Sorted keys, no spaces: the same transaction always gives the same bytes, so the same digest. Built once:
# json.dumps with options builds an encoder on every call.
_CANONICAL_JSON = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), sort_keys=True)


@dataclass(frozen=True, slots=True)
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
    visit_ticket: str | None = field(default=None, repr=False)

    def wire(self) -> dict[str, Any]:
        """The item as POST /v1/intake/batch takes it."""
        created = datetime.fromtimestamp(self.created_at_ms / 1000, UTC)
        item: dict[str, Any] = {
            "idempotency_key": self.idempotency_key,
            "kind": self.kind,
            "created_at": created.isoformat(),
            "payload": self.payload,
        }
        if self.visit_ticket is not None:
            item["visit_ticket"] = self.visit_ticket
        return item


@dataclass(frozen=True, slots=True)
class ItemFate:
    """What became of one transaction. `reason` is set for a dead row only: the centre's answer
    ("rejected: …", "conflict: …"), or why the outbox gave up on it."""

    state: State
    reason: str | None = None


@dataclass(frozen=True)
class WaitingItem:
    """A transaction still in this kiosk's outbox (pending or being sent), decrypted."""

    idempotency_key: str
    kind: str
    created_at: datetime
    payload: dict[str, Any] = field(repr=False)


class _Stored(NamedTuple):
    """What a stored key holds, to compare a repeated enqueue against."""

    kind: str
    payload_digest: bytes | None
    key_id: str
    payload: bytes


@dataclass(frozen=True)
class Answer:
    """The centre's answer for one item: accepted, duplicate, rejected or conflict (with its reason)."""

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
        # Notified whenever rows are settled, so a visit waiting for its transaction's fate wakes at once.
        self._settled = threading.Condition(self._lock)
        self._work = threading.Event()
        self.events = Publisher()
        self._driver = database.sqlite_connection(connection)
        self._cursor = self._driver.cursor()
        # Below all three, any kind is taken (money's bounds are the tighter ones); refusal() decides above.
        self._room_rows = bounds.max_rows
        self._room_bytes = bounds.max_bytes
        self._room_age_ms = bounds.max_age_s * 1000
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
        # Rows claimed and not yet settled (in flight), by id: on disk they stay pending.
        self._sending: set[int] = set()
        # A failure a full disk kept from being recorded still holds claims back for its retry delay.
        self._hold_until_ms = 0
        # A checkpoint a reader or a full disk put off, tried again at the next claim.
        self._checkpoint_due = False

    @classmethod
    def open(
        cls,
        data_dir: Path,
        *,
        key_file: Path | None = None,
        bounds: BoundsPolicy | None = None,
        clock: Callable[[], float] = time.time,
    ) -> Outbox:
        """Open the outbox in `data_dir` with its key file, making both on a kiosk's first start.

        `key_file` defaults to `outbox.key` in `data_dir`, for tools and tests; the kiosk passes its setting
        `outbox.key_file`, which keeps the key off the data disk. Raises OutboxUnavailable (files left as
        they are) when opening would lose or expose a transaction, and OutboxBusy when another process has
        the outbox. Rows a crash cut off while being sent are still pending and go again: the centre's
        idempotency makes that safe."""
        data_dir = Path(data_dir)
        key_file = data_dir / KEY_FILE_NAME if key_file is None else Path(key_file)
        data_dir.mkdir(parents=True, exist_ok=True)
        lock_file = take_lock(data_dir)
        try:
            engine, connection, keys = open_files(data_dir, key_file, create=True)
            assert keys is not None  # open_files makes or loads them when asked to create
            try:
                with database.refusing_damage(data_dir / DB_FILE_NAME):
                    _recover_in_flight(connection)
                    box = cls(engine, connection, keys, lock_file, bounds or BoundsPolicy(), clock)
                    with box._lock:
                        # A crash between a delivery and its checkpoint left old pages in the WAL.
                        box._checkpoint()
                    return box
            except BaseException:
                connection.close()
                engine.dispose()
                raise
        except BaseException:
            lock_file.close()
            raise

    def close(self) -> None:
        with self._lock:
            self._cursor.close()
            self._conn.close()
            self._engine.dispose()
            self._lock_file.close()

    # -- taking transactions ----------------------------------------------------------------------------

    def enqueue(
        self,
        kind: str,
        payload: dict[str, Any],
        idempotency_key: str | None = None,
        visit_ticket: str | None = None,
    ) -> EnqueueReceipt:
        """Store one transaction durably (one commit, one fsync) and return its receipt.

        `visit_ticket` is the centre's ticket of the visit the transaction belongs to (a citizen's kinds
        need one); it is sealed with the payload and sent with it. It is not part of the transaction:
        enqueueing a key again with the same kind and payload, whatever the ticket, returns the first
        receipt and stores nothing; with another kind or payload it raises IdempotencyConflict. Raises
        OutboxFull when the bounds policy refuses it or the disk is full (bound "disk"), ValueError for an
        unknown kind, a malformed key or ticket, or an oversized payload."""
        if kind not in KINDS:
            raise ValueError(f"unknown kind {kind!r}")
        if idempotency_key is None:
            key = os.urandom(16).hex()
        elif _KEY_PATTERN.match(idempotency_key):
            key = idempotency_key
        else:
            raise ValueError("idempotency key must be 8-64 characters of A-Z a-z 0-9 . _ : -")
        plaintext = _CANONICAL_JSON.encode(payload).encode()
        if len(plaintext) > MAX_PAYLOAD_BYTES:
            raise ValueError(f"payload is {len(plaintext)} bytes; at most {MAX_PAYLOAD_BYTES}")
        if visit_ticket is not None and not _TICKET_PATTERN.match(visit_ticket):
            raise ValueError("visit ticket is not one the centre issues (base64url, a dot, base64url)")
        digest = self._keys.digest(kind, plaintext)
        key_id, blob = self._keys.seal(_with_ticket(plaintext, visit_ticket), _associated(key, kind))
        size = len(blob)
        with self._lock:
            now_ms = self._now_ms()
            oldest = self._oldest_ms
            if not (
                self._rows < self._room_rows
                and self._bytes + size <= self._room_bytes
                and (oldest is None or now_ms - oldest < self._room_age_ms)
            ):
                bound = refusal(self.bounds, self._usage(now_ms), size, money=kind in MONEY_KINDS)
                if bound is not None:
                    stored = self._stored_receipt(key, kind, plaintext, digest)
                    if stored is None:
                        raise OutboxFull(kind, bound)
                    return stored
            row_id = self._ids.next()
            try:
                # Autocommit: this one statement is the whole transaction, durable when it returns.
                self._cursor.execute(_INSERT, (row_id, key, kind, now_ms, now_ms, key_id, blob, size, digest))
            except sqlite3.IntegrityError:
                stored = self._stored_receipt(key, kind, plaintext, digest)
                if stored is None:
                    raise
                return stored
            except sqlite3.OperationalError as exc:
                if not database.is_disk_full(exc):
                    raise
                stored = self._stored_receipt(key, kind, plaintext, digest)
                if stored is None:
                    log.warning("outbox: the disk is full; refused a new %s", kind)
                    raise OutboxFull(kind, _DISK) from None
                return stored
            self._rows += 1
            self._bytes += size
            if oldest is None:
                self._oldest_ms = now_ms
            changed = self._level_change(self._usage(now_ms)) if self._level_may_change(now_ms) else None
        if not self._work.is_set():
            self._work.set()
        if changed is not None:
            self.events.publish(changed)
        return EnqueueReceipt(row_id, key, kind, datetime.fromtimestamp(now_ms / 1000, UTC))

    def _stored_receipt(self, key: str, kind: str, plaintext: bytes, digest: bytes) -> EnqueueReceipt | None:
        """The first receipt of `key` when it holds this very transaction, None when it is not stored;
        IdempotencyConflict when it holds another."""
        c = outbox.c
        row = self._conn.execute(
            select(c.id, c.kind, c.created_at, c.payload_digest, c.key_id, c.payload).where(
                c.idempotency_key == key
            )
        ).first()
        self._conn.commit()
        if row is None:
            return None
        stored = _Stored(row.kind, row.payload_digest, row.key_id, row.payload)
        if row.kind != kind or not self._same_payload(stored, key, plaintext, digest):
            raise IdempotencyConflict(key, kind, row.kind)
        return EnqueueReceipt(row.id, key, kind, datetime.fromtimestamp(row.created_at / 1000, UTC))

    def _same_payload(self, row: _Stored, key: str, plaintext: bytes, digest: bytes) -> bool:
        if row.payload_digest is not None:
            return hmac.compare_digest(row.payload_digest, digest)
        # Stored before digests existed: compare the payload itself while the row still holds it. A wiped
        # one cannot be compared, and refusing beats a receipt for a transaction that is never sent.
        if not row.payload:
            return False
        try:
            stored = self._keys.open(row.key_id, row.payload, _associated(key, row.kind))
        except (InvalidTag, SealingKeyMissing):
            return False
        return bool(json.loads(stored) == json.loads(plaintext))

    # -- the forwarder's side ---------------------------------------------------------------------------

    def wait_for_work(self, timeout_s: float) -> None:
        """Block until something is enqueued or `timeout_s` passes."""
        self._work.wait(timeout_s)
        self._work.clear()

    def wake(self) -> None:
        self._work.set()

    def retry_now(self) -> int:
        """Make every pending row due now and wake the forwarder, which sends them (or, with none, checks
        the centre) at once; returns how many rows were brought forward. For when staff know the centre is
        back (the demo's "Start the centre"): the backoff would otherwise wait for minutes."""
        c = outbox.c
        with self._lock:
            now_ms = self._now_ms()
            with self._write_transaction():
                moved = self._conn.execute(
                    update(outbox)
                    .where(c.state == State.PENDING.value, c.next_attempt_at > now_ms)
                    .values(next_attempt_at=now_ms)
                ).rowcount
        self.wake()
        return moved

    def claim(self, limit: int) -> tuple[list[OutgoingItem], float | None]:
        """Take the oldest due pending rows to send, oldest first; they are in flight until settled.

        Only a prefix of the oldest pending rows is taken: a row never overtakes an older one that waits
        for its retry, which keeps each citizen's transactions in the order they were made. When nothing is
        due, the second value is the seconds until the oldest pending row is (None: nothing pending).

        In flight is held here, in memory: on disk the rows stay pending. So a claim writes nothing (a full
        disk still drains), and a crash sends them again, which the centre's idempotency makes harmless."""
        c = outbox.c
        with self._lock:
            if self._checkpoint_due:
                self._checkpoint()
            now_ms = self._now_ms()
            if now_ms < self._hold_until_ms:
                return [], (self._hold_until_ms - now_ms) / 1000
            rows = self._conn.execute(
                select(c.id, c.idempotency_key, c.kind, c.created_at, c.attempts, c.next_attempt_at)
                .add_columns(c.blamed_failures, c.key_id, c.payload, c.size)
                .where(c.state == State.PENDING.value)
                .order_by(c.id)
                .limit(limit + len(self._sending))
            ).all()
            self._conn.commit()
            waiting = [row for row in rows if row.id not in self._sending]
            due = []
            for row in waiting[:limit]:
                if row.next_attempt_at > now_ms:
                    break
                due.append(row)
            if not due:
                return [], (waiting[0].next_attempt_at - now_ms) / 1000 if waiting else None
            items, unreadable = [], []
            for row in due:
                try:
                    payload, ticket = _without_ticket(
                        self._keys.open(row.key_id, row.payload, _associated(row.idempotency_key, row.kind))
                    )
                except (InvalidTag, SealingKeyMissing):
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
                        visit_ticket=ticket,
                    )
                )
            if unreadable:
                self._dead_letter_unreadable(unreadable)
            self._sending.update(item.id for item in items)
        return items, None

    def _dead_letter_unreadable(self, row_ids: list[int]) -> None:
        log.error("outbox: %d rows cannot be decrypted; dead-lettered", len(row_ids))
        try:
            with self._write_transaction():
                self._conn.execute(
                    update(outbox)
                    .where(outbox.c.id.in_(row_ids))
                    .values(state=State.DEAD.value, last_error=_UNREADABLE)
                )
        except DBAPIError as exc:
            if not database.is_disk_full(exc):
                raise
            # Their reason needs room the disk does not have: they stay pending, skipped at each claim.
            log.warning("outbox: the disk is full; the undecryptable rows are dead-lettered later")
        self._settled.notify_all()

    def record_answers(self, items: Sequence[OutgoingItem], answers: Sequence[Answer]) -> None:
        """Settle a batch the centre answered item by item: accepted or duplicate rows are delivered (their
        payload wiped beyond recovery: the centre has it now), rejected and conflicting rows are dead with
        the centre's reason.

        Delivering only shrinks rows and takes them out of the pending index, so it needs no new page: on a
        full disk it is what makes room. A dead row grows by its reason; when that does not fit, the row
        stays pending and is sent again (the centre gives the same answer) once there is room."""
        now_ms = self._now_ms()
        delivered: list[dict[str, Any]] = []
        delivered_bytes = 0
        dead: list[dict[str, Any]] = []
        for item, answer in zip(items, answers, strict=True):
            event = Event(answer.status)
            after = next_state(State.IN_FLIGHT, event)
            if after is State.DELIVERED:
                delivered.append({"row_id": item.id, "attempts": item.attempts + 1})
                delivered_bytes += item.size
                continue
            if event is Event.CONFLICT:
                reason = f"conflict: {answer.reason or _CONFLICT}"
            else:
                reason = f"rejected: {answer.reason or 'no reason given'}"
            dead.append({"row_id": item.id, "attempts": item.attempts + 1, "error": reason[:_ERROR_CHARS]})
        with self._lock:
            self._sending.difference_update(item.id for item in items)
            try:
                with self._write_transaction():
                    self._mark_delivered(delivered, now_ms)
                    self._mark_dead(dead)
            except DBAPIError as exc:
                if not (dead and database.is_disk_full(exc)):
                    raise
                log.warning("outbox: the disk is full; %d dead rows stay pending for now", len(dead))
                with self._write_transaction():
                    self._mark_delivered(delivered, now_ms)
            if delivered:
                self._checkpoint()
            self._settled.notify_all()
        self._after_settling(delivered_rows=len(delivered), delivered_bytes=delivered_bytes)

    def _mark_delivered(self, delivered: list[dict[str, Any]], now_ms: int) -> None:
        if not delivered:
            return
        self._conn.execute(
            update(outbox)
            .where(outbox.c.id == bindparam("row_id"))
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

    def _mark_dead(self, dead: list[dict[str, Any]]) -> None:
        if not dead:
            return
        self._conn.execute(
            update(outbox)
            .where(outbox.c.id == bindparam("row_id"))
            .values(state=State.DEAD.value, attempts=bindparam("attempts"), last_error=bindparam("error")),
            dead,
        )

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
        retry_at_ms = now_ms + int(retry_in_s * 1000)
        with self._lock:
            self._sending.difference_update(item.id for item in items)
            try:
                with self._write_transaction():
                    self._conn.execute(
                        update(outbox)
                        .where(c.id == bindparam("row_id"))
                        .values(
                            state=bindparam("after"),
                            attempts=bindparam("attempts"),
                            blamed_failures=bindparam("blamed"),
                            last_error=bindparam("error"),
                            next_attempt_at=retry_at_ms,
                        ),
                        params,
                    )
            except DBAPIError as exc:
                if not database.is_disk_full(exc):
                    raise
                # The rows stay as they were, due at once: every claim waits the retry delay instead, so a
                # full disk does not turn the backoff into a busy loop.
                log.warning("outbox: the disk is full; a failed batch of %d is not recorded", len(items))
                self._hold_until_ms = retry_at_ms
            self._settled.notify_all()
        self._after_settling(delivered_rows=0, delivered_bytes=0)

    def _after_settling(self, *, delivered_rows: int, delivered_bytes: int) -> None:
        with self._lock:
            self._rows -= delivered_rows
            self._bytes -= delivered_bytes
            self._oldest_ms = self._oldest_waiting_ms()
            changed = self._level_change(self._usage(self._now_ms()))
        if changed is not None:
            self.events.publish(changed)

    # -- what became of a visit's transactions -------------------------------------------------------------

    def fate(self, idempotency_key: str) -> ItemFate | None:
        """The state of the row enqueued under `idempotency_key` (in flight while the forwarder sends it)
        and, when dead, its reason; None when no row holds the key (never enqueued, or delivered and
        purged after the retention period). One lookup in the key's unique index."""
        with self._lock:
            return self._fate(idempotency_key)

    def wait_for_fate(self, idempotency_key: str, timeout_s: float) -> ItemFate | None:
        """`fate`, as soon as the row is delivered or dead, else after `timeout_s` whatever it is by then;
        None at once when no row holds the key. Settling wakes it, so it returns moments after the
        centre's answer and polls nothing. Blocks: call it from a worker, never the UI thread."""
        deadline = time.monotonic() + timeout_s
        with self._lock:
            while True:
                fate = self._fate(idempotency_key)
                remaining = deadline - time.monotonic()
                if fate is None or fate.state in _SETTLED or remaining <= 0:
                    return fate
                self._settled.wait(remaining)

    def _fate(self, key: str) -> ItemFate | None:
        c = outbox.c
        row = self._conn.execute(select(c.id, c.state, c.last_error).where(c.idempotency_key == key)).first()
        self._conn.commit()
        if row is None:
            return None
        state = State(row.state)
        if state is State.DEAD:
            return ItemFate(state, row.last_error)
        # In flight is held in memory only: on disk a row being sent is still pending.
        if state is State.PENDING and row.id in self._sending:
            return ItemFate(State.IN_FLIGHT)
        return ItemFate(state)

    def waiting(self, kinds: Collection[str], limit: int = _WAITING_LIMIT) -> list[WaitingItem]:
        """The rows of `kinds` not yet delivered (pending or being sent; not dead), decrypted, oldest first.
        At most `limit`: when more wait, the newest `limit` of them. A row that cannot be decrypted is left
        out (the log counts them; claim dead-letters it). A walk of the pending index from its newest end."""
        if isinstance(kinds, str):
            raise TypeError(f"kinds is a collection of kinds, not one kind: pass ({kinds!r},)")
        unknown = sorted(set(kinds) - set(KINDS))
        if unknown:
            raise ValueError(f"unknown kind {unknown[0]!r}; the outbox carries {', '.join(KINDS)}")
        if limit < 1:
            raise ValueError(f"limit must be at least 1, not {limit}")
        if not kinds:
            return []
        c = outbox.c
        items: list[WaitingItem] = []
        unreadable = 0
        with self._lock:
            rows = self._conn.execute(
                select(c.idempotency_key, c.kind, c.created_at, c.key_id, c.payload)
                .where(c.state == State.PENDING.value, c.kind.in_(sorted(set(kinds))))
                .order_by(c.id.desc())
                .limit(limit)
            ).all()
            self._conn.commit()
            # Under the lock: a key rotation must not retire a row's key between the read and the opening.
            for row in reversed(rows):
                try:
                    sealed = self._keys.open(
                        row.key_id, row.payload, _associated(row.idempotency_key, row.kind)
                    )
                except (InvalidTag, SealingKeyMissing):
                    unreadable += 1
                    continue
                payload, _ticket = _without_ticket(sealed)
                items.append(
                    WaitingItem(
                        idempotency_key=row.idempotency_key,
                        kind=row.kind,
                        created_at=datetime.fromtimestamp(row.created_at / 1000, UTC),
                        payload=json.loads(payload),
                    )
                )
        if unreadable:
            log.warning("outbox: %d waiting rows cannot be decrypted; left out of the list", unreadable)
        return items

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
            # The old ciphertexts must not outlive the old key in the WAL.
            self._checkpoint()
            self._keys.retire(in_use)
            return new_id

    def _checkpoint(self) -> None:
        """Leave no old page, and so no delivered payload's ciphertext, in the WAL (database.checkpoint)."""
        done = database.checkpoint(self._conn)
        if not done:
            log.warning("outbox: WAL checkpoint put off (a reader or a full disk); tried again later")
        self._checkpoint_due = not done

    # -- counts -------------------------------------------------------------------------------------------

    def usage(self) -> Usage:
        with self._lock:
            return self._usage(self._now_ms())

    def _usage(self, now_ms: int) -> Usage:
        age = 0.0 if self._oldest_ms is None else max(0.0, (now_ms - self._oldest_ms) / 1000)
        return Usage(rows=self._rows, bytes=self._bytes, oldest_age_s=age)

    def _level_may_change(self, now_ms: int) -> bool:
        # While every bound is below the warning ratio the level stays OK: no Usage to build, no event.
        if self._level is not Level.OK:
            return True
        bounds = self.bounds
        warn = bounds.warn_ratio
        age_s = 0.0 if self._oldest_ms is None else (now_ms - self._oldest_ms) / 1000
        return (
            self._rows / bounds.max_rows >= warn
            or self._bytes / bounds.max_bytes >= warn
            or age_s / bounds.max_age_s >= warn
        )

    def _level_change(self, usage: Usage) -> BacklogChanged | None:
        new_level, bound = level(self.bounds, usage)
        if new_level is self._level:
            return None
        self._level = new_level
        ratio = usage.ratios(self.bounds)[bound] if bound else 0.0
        return BacklogChanged(level=new_level, bound=bound, ratio=ratio)

    def _oldest_waiting_ms(self) -> int | None:
        c = outbox.c
        oldest = self._conn.execute(
            select(c.created_at).where(c.state == State.PENDING.value).order_by(c.id).limit(1)
        ).scalar()
        self._conn.commit()
        return oldest

    def _now_ms(self) -> int:
        return int(self._clock() * 1000)

    @contextlib.contextmanager
    def _write_transaction(self) -> Iterator[None]:
        """Several statements, one commit. BEGIN IMMEDIATE takes the write lock up front, so a staff
        command writing at the same moment waits instead of failing half-way. A COMMIT that fails (a full
        disk) leaves the transaction open: it is rolled back here, so the next one can begin."""
        self._conn.exec_driver_sql("BEGIN IMMEDIATE")
        try:
            yield
            self._conn.exec_driver_sql("COMMIT")
        except BaseException:
            if self._driver.in_transaction:
                self._conn.exec_driver_sql("ROLLBACK")
            self._conn.rollback()
            raise
        self._conn.commit()


def _recover_in_flight(connection: Connection) -> None:
    """Rows an outbox from before schema 0002 left marked in flight (by a crash) go back to pending."""
    try:
        connection.execute(
            update(outbox)
            .where(outbox.c.state == State.IN_FLIGHT.value)
            .values(state=next_state(State.IN_FLIGHT, Event.RECOVER).value)
        )
        connection.commit()
    except DBAPIError as exc:
        connection.rollback()
        if not database.is_disk_full(exc):
            raise
        log.warning("outbox: the disk is full; rows left in flight go back to pending at the next start")


def _associated(key: str, kind: str) -> bytes:
    return f"{key}|{kind}".encode()


# What a row seals: the payload's JSON, or the ticket, a newline and the payload's JSON. A payload starts
# with "{", which no ticket does, so rows stored before tickets read as they are and need no migration; and
# the ticket, sealed in the same blob, is wiped with the payload on delivery.
def _with_ticket(plaintext: bytes, visit_ticket: str | None) -> bytes:
    return plaintext if visit_ticket is None else visit_ticket.encode("ascii") + b"\n" + plaintext


def _without_ticket(sealed: bytes) -> tuple[bytes, str | None]:
    if sealed.startswith(b"{"):
        return sealed, None
    ticket, _newline, plaintext = sealed.partition(b"\n")
    return plaintext, ticket.decode("ascii")
