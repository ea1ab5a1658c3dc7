"""The crash test's harness, shared by tests/offline_queue/test_crash.py and bench/crash_cycles.py.

A zygote (crash_worker.py) forks one kiosk per cycle; the kiosk enqueues, forwards and purges until it is
SIGKILLed (or, on a clean cycle, SIGTERMed and closed). Every kiosk and the final drain append to one
journal, each line with one write() on an O_APPEND descriptor, which a SIGKILL cannot tear and threads
cannot interleave:

    L n          a kiosk's life begins (n: its cycle)
    O us         Outbox.open returned after `us` microseconds
    I key        about to enqueue `key` (a new one, or one returned before: a re-enqueue)
    R key        the enqueue of `key` returned
    S key...     the forwarder claimed these rows and sends them
    D key...     the centre's answers are recorded; these rows are delivered (accepted or duplicate)
    E            a failed batch is recorded
    P            purge_delivered begins
    Q n          purge_delivered deleted n rows
    X            the kiosk closed the outbox cleanly

Delivered rows are kept for only RETENTION_S, and both the forwarder (at every step) and a purger thread of
the kiosk's own purge them, so purges run all the time and kills land inside them too. A kill counts as in
purge while a thread is inside Outbox.purge_delivered, which includes its wait for the outbox's lock.
"""

from __future__ import annotations

import itertools
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from random import Random

from kiosk.offline_queue import Forwarder, Outbox, RetryPolicy
from kiosk.offline_queue.bounds import BoundsPolicy
from kiosk.offline_queue.database import DB_FILE_NAME
from kiosk.offline_queue.forwarder import IntakeClient
from kiosk.offline_queue.outbox import Answer, OutgoingItem
from kiosk.offline_queue.staff import OutboxAdmin
from kiosk.offline_queue.states import State

WORKER = Path(__file__).with_name("crash_worker.py")
# Short enough that most delivered rows are purged within a life (so a re-enqueue of their key makes a new
# row that is sent again), long enough that some are still there (so a re-enqueue finds the stored row).
RETENTION_S = 0.02
BOUNDS = BoundsPolicy(retention_s=RETENTION_S)
# The forwarder purges before every claim: the real kiosk's purge path, under fire at every step.
PURGE_EVERY_S = 0.0
_DELIVERED = frozenset({"accepted", "duplicate"})


class JournaledOutbox(Outbox):
    """The real outbox, writing to the journal when the forwarder claims, settles and purges."""

    journal: int

    def claim(self, limit: int) -> tuple[list[OutgoingItem], float | None]:
        items, due_in = super().claim(limit)
        if items:
            _write(self.journal, "S", (item.idempotency_key for item in items))
        return items, due_in

    def record_answers(self, items: Sequence[OutgoingItem], answers: Sequence[Answer]) -> None:
        super().record_answers(items, answers)
        delivered = (
            item.idempotency_key
            for item, answer in zip(items, answers, strict=True)
            if answer.status in _DELIVERED
        )
        _write(self.journal, "D", delivered)

    def record_failure(
        self,
        items: Sequence[OutgoingItem],
        error: str,
        *,
        blamed: bool,
        retry_in_s: float,
        max_attempts: int,
    ) -> None:
        super().record_failure(items, error, blamed=blamed, retry_in_s=retry_in_s, max_attempts=max_attempts)
        _write(self.journal, "E", ())

    def purge_delivered(self) -> int:
        _write(self.journal, "P", ())
        purged = super().purge_delivered()
        _write(self.journal, "Q", (str(purged),))
        return purged


def open_journaled(data_dir: Path, journal: int) -> JournaledOutbox:
    """Open the outbox with the crash test's bounds, journaling to the descriptor `journal`, and with the
    watch on deletions in its file (_watch_deletions)."""
    start = time.perf_counter()
    box = JournaledOutbox.open(data_dir, bounds=BOUNDS)
    elapsed_us = round((time.perf_counter() - start) * 1e6)
    assert isinstance(box, JournaledOutbox)
    box.journal = journal
    _write(journal, "O", (str(elapsed_us),))
    _watch_deletions(data_dir / DB_FILE_NAME)
    return box


# Purge may delete delivered rows only. A trigger records any other row deleted, in the deleting
# transaction itself, so a pending row purged is seen even when it had been sent (and so is not lost).
_UNDELIVERED_DELETED = "crash_undelivered_deleted"
_WATCH = f"""
BEGIN IMMEDIATE;
CREATE TABLE IF NOT EXISTS {_UNDELIVERED_DELETED} (idempotency_key TEXT NOT NULL, state TEXT NOT NULL);
CREATE TRIGGER IF NOT EXISTS crash_watch_deletions AFTER DELETE ON outbox
WHEN OLD.state != '{State.DELIVERED.value}'
BEGIN INSERT INTO {_UNDELIVERED_DELETED} VALUES (OLD.idempotency_key, OLD.state); END;
COMMIT;
"""


def _watch_deletions(database: Path) -> None:
    connection = sqlite3.connect(database, isolation_level=None)
    try:
        watched = connection.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'trigger' AND name = 'crash_watch_deletions'"
        ).fetchone()
        if watched is None:
            connection.executescript(_WATCH)
    finally:
        connection.close()


def open_journal(path: Path) -> int:
    return os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)


def _write(journal: int, mark: str, words: Iterable[str]) -> None:
    os.write(journal, " ".join((mark, *words)).encode("ascii") + b"\n")


def write_mark(journal: int, mark: str, *words: str) -> None:
    _write(journal, mark, words)


class Phase(StrEnum):
    OPEN = "open"
    ENQUEUE = "enqueue"
    FORWARD = "forward"
    PURGE = "purge"
    IDLE = "idle"


@dataclass
class Life:
    """One kiosk process, as its journal lines tell it."""

    open_us: int | None = None
    clean: bool = False
    enqueuing: bool = False
    forwarding: bool = False
    # Threads inside purge_delivered (the forwarder's and the purger).
    purging: int = 0

    def phases(self) -> list[Phase]:
        """What the kiosk was doing when it ended: several at once (its threads), or idle."""
        if self.open_us is None:
            return [Phase.OPEN]
        doing = [
            phase
            for phase, busy in (
                (Phase.ENQUEUE, self.enqueuing),
                (Phase.FORWARD, self.forwarding),
                (Phase.PURGE, self.purging > 0),
            )
            if busy
        ]
        return doing or [Phase.IDLE]


@dataclass
class Journal:
    intended: set[str] = field(default_factory=set)
    returned: set[str] = field(default_factory=set)
    enqueues_returned: int = 0
    reenqueues: int = 0
    purges: int = 0
    rows_purged: int = 0
    # Keys claimed for sending after their delivery was recorded, with no enqueue of the key in between.
    resent_after_delivery: set[str] = field(default_factory=set)
    # Keys delivered, re-enqueued, and sent again: their row had been purged, so the re-enqueue made a new
    # one, and only the centre's idempotency stands between it and a second application.
    resent_after_reenqueue: int = 0
    lives: list[Life] = field(default_factory=list)

    def kills(self) -> Counter[Phase]:
        """How many killed kiosks were in each phase (a kiosk in two phases at once counts in both)."""
        return Counter(phase for life in self.lives if not life.clean for phase in life.phases())

    def open_us(self, *, after_clean: bool) -> list[int]:
        """Outbox.open's times in the kiosks whose predecessor was closed cleanly, or killed."""
        return [
            life.open_us
            for before, life in itertools.pairwise(self.lives)
            if life.open_us is not None and before.clean == after_clean
        ]


def read_journal(path: Path) -> Journal:
    journal = Journal()
    delivered: set[str] = set()
    reenqueued: set[str] = set()
    life = Life()
    for line in path.read_text(encoding="ascii").splitlines():
        mark, *words = line.split(" ")
        if mark == "L":
            life = Life()
            journal.lives.append(life)
        elif mark in ("I", "R"):
            key = words[0]
            if mark == "I":
                journal.reenqueues += key in journal.intended
                journal.intended.add(key)
                if key in delivered:
                    delivered.discard(key)
                    reenqueued.add(key)
            else:
                journal.enqueues_returned += 1
                journal.returned.add(key)
            life.enqueuing = mark == "I"
        elif mark == "S":
            journal.resent_after_delivery.update(key for key in words if key in delivered)
            journal.resent_after_reenqueue += sum(key in reenqueued for key in words)
            reenqueued.difference_update(words)
            life.forwarding = True
        elif mark in ("D", "E"):
            delivered.update(words)
            life.forwarding = False
        elif mark == "P":
            life.purging += 1
        elif mark == "Q":
            journal.purges += 1
            journal.rows_purged += int(words[0])
            life.purging -= 1
        elif mark == "O":
            life.open_us = int(words[0])
        elif mark == "X":
            life.clean = True
    return journal


def _gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


def _wait_gone(pid: int, timeout_s: float = 10.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not _gone(pid):
        if time.monotonic() > deadline:
            raise RuntimeError(f"kiosk {pid} did not go away")
        time.sleep(0.002)


def run_cycles(worker_args: Sequence[str], cycles: int, rng: Random, *, clean_every: int = 0) -> list[float]:
    """Fork `cycles` kiosks through the zygote, SIGKILL each after a random 5-100 ms, and return each kill
    cycle's seconds from fork to gone. With `clean_every`, after every that many kills one more kiosk is
    SIGTERMed instead and closes cleanly (so the next one opens after a clean close)."""
    zygote = subprocess.Popen(
        [sys.executable, str(WORKER), *worker_args], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    assert zygote.stdin is not None and zygote.stdout is not None
    durations = []
    try:
        for cycle in range(cycles):
            clean = clean_every > 0 and cycle % clean_every == clean_every - 1
            for signum in (signal.SIGKILL, signal.SIGTERM) if clean else (signal.SIGKILL,):
                start = time.perf_counter()
                zygote.stdin.write("go\n")
                zygote.stdin.flush()
                pid = int(zygote.stdout.readline())
                time.sleep(rng.uniform(0.005, 0.1))
                os.kill(pid, signum)
                _wait_gone(pid)
                if signum == signal.SIGKILL:
                    durations.append(time.perf_counter() - start)
    finally:
        zygote.stdin.close()
        zygote.wait(10)
    return durations


def drain(data_dir: Path, journal_path: Path, client: IntakeClient, timeout_s: float = 60.0) -> None:
    """Send everything left, journaled like the kiosks (its sends count in resent_after_delivery)."""
    journal = open_journal(journal_path)
    try:
        write_mark(journal, "L", "drain")
        outbox = open_journaled(data_dir, journal)
        forwarder = Forwarder(
            outbox,
            client,
            retry=RetryPolicy(base_s=0.01, cap_s=0.05),
            purge_every_s=PURGE_EVERY_S,
        )
        deadline = time.monotonic() + timeout_s
        while forwarder.step() == 0.0 and time.monotonic() < deadline:
            pass
        outbox.close()
        write_mark(journal, "X")
    finally:
        os.close(journal)


@dataclass(frozen=True)
class Verdict:
    """The journal against what the centre applied."""

    lost: set[str]
    doubled: set[str]
    unintended: set[str]

    @classmethod
    def of(cls, journal: Journal, applied: Counter[str]) -> Verdict:
        return cls(
            lost={key for key in journal.returned if applied[key] == 0},
            doubled={key for key, count in applied.items() if count > 1},
            unintended=set(applied) - journal.intended,
        )


@dataclass(frozen=True)
class Leftover:
    """The outbox file after the drain."""

    counts: dict[State, int]
    # SQLite's integrity_check: "ok" when the file is consistent.
    integrity: str
    # Rows deleted while not delivered (_watch_deletions): pending rows purged.
    undelivered_deleted: int


def left_in_outbox(data_dir: Path) -> Leftover:
    admin = OutboxAdmin(data_dir)
    try:
        counts = admin.status().counts
    finally:
        admin.close()
    connection = sqlite3.connect(data_dir / DB_FILE_NAME)
    try:
        integrity = "; ".join(row[0] for row in connection.execute("PRAGMA integrity_check"))
        (deleted,) = connection.execute(f"SELECT count(*) FROM {_UNDELIVERED_DELETED}").fetchone()
    finally:
        connection.close()
    return Leftover(counts, integrity, deleted)
