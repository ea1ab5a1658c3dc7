"""The crash test's child: a zygote that imports everything once, then forks one kiosk per "go" line.

Each forked kiosk opens the outbox, starts the forwarder and enqueues synthetic transactions in a loop until
the test SIGKILLs it. Around each enqueue it appends "I <key>" (about to enqueue) and "R <key>" (enqueue
returned) to the journal with single write() calls, which a SIGKILL cannot tear.

    python crash_worker.py DATA_DIR CENTRAL_URL JOURNAL TERMINAL_ID SECRET VISIT_JSON
"""

from __future__ import annotations

import json
import os
import random
import signal
import sys
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
from tests.offline_queue.synthetic import Visit, transaction


def kiosk(
    data_dir: Path, url: str, journal: Path, terminal_id: str, secret: str, visit: Visit, seed: int
) -> None:
    rng = random.Random(seed)
    log = os.open(journal, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    outbox = Outbox.open(data_dir)
    client = CentralClient(
        url,
        terminal_id=terminal_id,
        centre_id="00012000",
        secret=secret,
        sequence=SequenceCounter(data_dir / "sequence"),
        timeout_s=5,
    )
    forwarder = Forwarder(outbox, client, batch_size=20, retry=RetryPolicy(base_s=0.01, cap_s=0.05))
    forwarder.start()
    while True:
        key = uuid.uuid4().hex
        kind, payload = transaction(rng, visit)
        os.write(log, f"I {key}\n".encode())
        outbox.enqueue(kind, payload, idempotency_key=key, visit_ticket=visit.ticket)
        os.write(log, f"R {key}\n".encode())
        time.sleep(rng.uniform(0, 0.004))


def main() -> None:
    data_dir, url, journal, terminal_id, secret, visit_json = sys.argv[1:7]
    visit = Visit(**json.loads(visit_json))
    # Children are reaped by the kernel, so the test sees a killed kiosk vanish.
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)
    for cycle, _line in enumerate(sys.stdin):
        pid = os.fork()
        if pid == 0:
            try:
                kiosk(Path(data_dir), url, Path(journal), terminal_id, secret, visit, seed=cycle)
            finally:
                os._exit(1)
        sys.stdout.write(f"{pid}\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
