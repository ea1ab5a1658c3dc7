"""A delivered payload cannot be recovered from the disk, even with the key file: 20 synthetic withdrawals
(of 20 visits: the centre grants a citizen one) are delivered through a real centre, the kiosk is
SIGKILLed, and every offset of the database, its -wal and its -shm is tried as an AES-GCM nonce with every
key (recovery.py). The 5 still pending stay readable."""

from __future__ import annotations

import json
import random
import signal
import subprocess
import sys
from pathlib import Path

from fastapi import FastAPI

from central_server.testing import RunningServer
from kiosk.offline_queue.files import database_files

from .central_records import applied, visits_at
from .conftest import SECRET, TERMINAL_ID
from .recovery import recoverable
from .synthetic import withdrawal

WORKER = Path(__file__).with_name("scrub_worker.py")
DELIVER, PENDING = 20, 5


def _personal(payload: dict[str, object]) -> list[bytes]:
    return [str(payload[field]).encode() for field in ("id_number", "name", "bank_pan")]


def test_delivered_withdrawals_are_unrecoverable_after_a_crash_and_pending_ones_are_not(
    tmp_path: Path, central: RunningServer, central_app: FastAPI
) -> None:
    rng = random.Random(31)
    visits = visits_at(central_app, TERMINAL_ID, DELIVER + PENDING)
    payloads = [visit.owns(withdrawal(rng)) for visit in visits]
    payloads_file = tmp_path / "payloads.json"
    filed = [
        {"payload": payload, "visit_ticket": visit.ticket}
        for payload, visit in zip(payloads, visits, strict=True)
    ]
    payloads_file.write_text(json.dumps(filed, ensure_ascii=False), encoding="utf-8")
    data_dir, key_file = tmp_path / "data", tmp_path / "keys" / "outbox.key"
    before = set(applied(central_app, TERMINAL_ID))
    where = [str(data_dir), str(key_file), central.base_url, TERMINAL_ID, SECRET]
    kiosk = subprocess.Popen(
        [sys.executable, str(WORKER), *where, str(payloads_file), str(DELIVER)],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert kiosk.stdout is not None and kiosk.stdout.readline().strip() == "ready"
    finally:
        kiosk.send_signal(signal.SIGKILL)
        kiosk.wait(10)
    assert len(set(applied(central_app, TERMINAL_ID)) - before) == DELIVER

    found = b"\n".join(recoverable(database_files(data_dir), key_file))
    pending = [needle for payload in payloads[DELIVER:] for needle in _personal(payload)]
    # Seeded citizens may share a name: a delivered citizen's name may also be a pending one's.
    delivered = [
        needle for payload in payloads[:DELIVER] for needle in _personal(payload) if needle not in pending
    ]
    # The scan works: every pending withdrawal is still there to be read (it has not been sent yet).
    assert all(needle in found for needle in pending)
    assert [needle.decode() for needle in delivered if needle in found] == []
