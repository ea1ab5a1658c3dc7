"""The crash test's child: a zygote that imports everything once, then forks one kiosk per "go" line.

Each forked kiosk opens the outbox (crash_harness.JournaledOutbox: delivered rows kept for a moment),
starts the forwarder, which purges at every step, and a purger thread, which purges every few milliseconds,
and enqueues synthetic transactions in a loop until it is SIGKILLed, or SIGTERMed, when it stops both and
closes the outbox. Around each enqueue it journals "I <key>" (about to enqueue) and "R <key>" (enqueue
returned); crash_harness lists the other lines.

One enqueue in REENQUEUE_SHARE repeats a key returned before, mostly one delivered and purged already, as a
kiosk does when it files a visit's transaction again: its payload is drawn from the key, so it is the same
transaction, which the centre must not apply twice.

    python crash_worker.py DATA_DIR CENTRAL_URL JOURNAL TERMINAL_ID SECRET VISIT_JSON
"""

from __future__ import annotations

import json
import os
import random
import signal
import sys
import threading
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

# Imported by the zygote so each forked kiosk starts in milliseconds; the outbox loads Alembic only to
# create or migrate the database, which the first kiosks must manage before they are killed.
import alembic.command
import alembic.config  # noqa: F401

from kiosk.central import CentralClient
from kiosk.central.sequence import SequenceCounter
from kiosk.offline_queue import Forwarder, Outbox, RetryPolicy
from tests.offline_queue.crash_harness import PURGE_EVERY_S, open_journal, open_journaled, write_mark
from tests.offline_queue.synthetic import Visit, transaction

REENQUEUE_SHARE = 0.1
# The purger's pause between purges: short, so a purge is running at many of the kill moments.
PURGE_PAUSE_S = 0.004
# The journal's end holds the keys whose delivery the last kiosks recorded ("D" lines): enough to pick
# re-enqueues from, read fast.
_TAIL_BYTES = 32 * 1024


def delivered_lately(journal_path: Path) -> list[str]:
    with journal_path.open("rb") as journal:
        journal.seek(max(0, journal_path.stat().st_size - _TAIL_BYTES))
        tail = journal.read().decode("ascii")
    # The first line may be cut by the seek.
    return [key for line in tail.splitlines()[1:] if line.startswith("D ") for key in line.split(" ")[1:]]


def purger(outbox: Outbox, rng: random.Random, stopping: threading.Event) -> None:
    while not stopping.wait(rng.uniform(0, PURGE_PAUSE_S)):
        outbox.purge_delivered()


def kiosk(
    data_dir: Path, url: str, journal_path: Path, terminal_id: str, secret: str, visit: Visit, cycle: int
) -> None:
    stopping = threading.Event()
    signal.signal(signal.SIGTERM, lambda _signum, _frame: stopping.set())
    rng = random.Random(cycle)
    journal = open_journal(journal_path)
    write_mark(journal, "L", str(cycle))
    # Delivered by earlier kiosks, most of them purged since; this kiosk's own keys join them, most of those
    # still in the outbox (a re-enqueue of one returns its first receipt).
    earlier = delivered_lately(journal_path)
    outbox = open_journaled(data_dir, journal)
    client = CentralClient(
        url,
        terminal_id=terminal_id,
        centre_id="00012000",
        secret=secret,
        sequence=SequenceCounter(data_dir / "sequence"),
        timeout_s=5,
    )
    forwarder = Forwarder(
        outbox,
        client,
        batch_size=20,
        retry=RetryPolicy(base_s=0.01, cap_s=0.05),
        purge_every_s=PURGE_EVERY_S,
    )
    forwarder.start()
    purging = threading.Thread(target=purger, args=(outbox, random.Random(-cycle), stopping), daemon=True)
    purging.start()
    while not stopping.is_set():
        key = rng.choice(earlier) if earlier and rng.random() < REENQUEUE_SHARE else uuid.uuid4().hex
        # Drawn from the key, so a re-enqueue carries the very transaction first enqueued under it.
        kind, payload = transaction(random.Random(key), visit)
        write_mark(journal, "I", key)
        outbox.enqueue(kind, payload, idempotency_key=key, visit_ticket=visit.ticket)
        write_mark(journal, "R", key)
        earlier.append(key)
        time.sleep(rng.uniform(0, 0.004))
    forwarder.stop()
    purging.join()
    outbox.close()
    write_mark(journal, "X")


def main() -> None:
    data_dir, url, journal, terminal_id, secret, visit_json = sys.argv[1:7]
    visit = Visit(**json.loads(visit_json))
    # Children are reaped by the kernel, so the test sees a killed kiosk vanish.
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)
    for cycle, _line in enumerate(sys.stdin):
        pid = os.fork()
        if pid == 0:
            code = 1
            try:
                kiosk(Path(data_dir), url, Path(journal), terminal_id, secret, visit, cycle)
                code = 0
            finally:
                os._exit(code)
        sys.stdout.write(f"{pid}\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
