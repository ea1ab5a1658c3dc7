"""Personal data never reaches the disk or the logs in the clear: the SQLite file, its WAL, the journal of
a rejected row and every log line are searched for the synthetic citizens' ID numbers, names and PANs."""

from __future__ import annotations

import logging
import random
from collections.abc import Callable
from pathlib import Path

import pytest

from central_server.testing import RunningServer
from kiosk.central import CentralClient
from kiosk.offline_queue import Forwarder, Outbox, RetryPolicy
from kiosk.offline_queue.database import DB_FILE_NAME
from kiosk.offline_queue.staff import OutboxAdmin

from .synthetic import Visit, withdrawal


def _needles(payloads: list[dict[str, object]]) -> list[bytes]:
    return [str(p[field]).encode() for p in payloads for field in ("id_number", "name", "bank_pan")]


def test_the_database_and_its_wal_hold_no_plaintext_personal_data(tmp_path: Path) -> None:
    rng = random.Random(11)
    payloads = [withdrawal(rng) for _ in range(50)]
    outbox = Outbox.open(tmp_path)
    for payload in payloads:
        outbox.enqueue("withdrawal_application", payload)
    wal = (tmp_path / f"{DB_FILE_NAME}-wal").read_bytes()
    main = (tmp_path / DB_FILE_NAME).read_bytes()
    # The check can see: the rows are in the WAL (not yet checkpointed) and their keys are readable.
    assert len(wal) > 50 * 1024
    items, _ = outbox.claim(50)
    assert wal.count(items[0].idempotency_key.encode()) >= 1
    assert [item.payload for item in items] == payloads
    outbox.close()
    for needle in _needles(payloads):
        assert needle not in wal and needle not in main, "plaintext personal data on disk"


def test_rejections_and_logs_name_fields_never_values(
    tmp_path: Path,
    central: RunningServer,
    make_client: Callable[[str], CentralClient],
    caplog: pytest.LogCaptureFixture,
    visit: Visit,
) -> None:
    rng = random.Random(12)
    broken = visit.owns(withdrawal(rng))
    broken["bank_pan"] = broken["bank_pan"][:-1] + str((int(broken["bank_pan"][-1]) + 1) % 10)
    broken["id_number"] = broken["id_number"][:-1] + ("0" if broken["id_number"][-1] != "0" else "1")
    outbox = Outbox.open(tmp_path)
    outbox.enqueue("withdrawal_application", broken, visit_ticket=visit.ticket)
    caplog.set_level(logging.DEBUG)
    forwarder = Forwarder(outbox, make_client(central.base_url), retry=RetryPolicy(base_s=0.01, cap_s=0.01))
    forwarder.step()
    outbox.close()
    admin = OutboxAdmin(tmp_path)
    [row] = admin.rows()
    admin.close()
    assert row.state == "dead" and row.last_error is not None and "id_number" in row.last_error
    text = (row.last_error + caplog.text).encode()
    for needle in _needles([broken]):
        assert needle not in text
