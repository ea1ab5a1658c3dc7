"""An idempotency key names one transaction: the same one again gets its first receipt, a different one is
refused (IdempotencyConflict), before and after delivery, full outbox or not; and the centre's own
"conflict" answer dead-letters the row with its reason."""

from __future__ import annotations

import random
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest

from central_server.testing import RunningServer
from kiosk.central import CentralClient
from kiosk.offline_queue import BoundsPolicy, Forwarder, IdempotencyConflict, Outbox, OutboxFull
from kiosk.offline_queue.database import DB_FILE_NAME
from kiosk.offline_queue.outbox import Answer
from kiosk.offline_queue.staff import OutboxAdmin
from kiosk.offline_queue.states import State

from .synthetic import Visit, rating, withdrawal

KEY = "visit-0001-withdrawal"


def _rows(data_dir: Path) -> int:
    with sqlite3.connect(data_dir / DB_FILE_NAME) as db:
        return int(db.execute("SELECT count(*) FROM outbox").fetchone()[0])


def test_the_same_transaction_again_gets_its_first_receipt_and_another_is_refused(tmp_path: Path) -> None:
    rng = random.Random(61)
    payload = withdrawal(rng)
    box = Outbox.open(tmp_path)
    first = box.enqueue("withdrawal_application", payload, idempotency_key=KEY)
    # Key order does not make another transaction.
    assert (
        box.enqueue("withdrawal_application", dict(reversed(payload.items())), idempotency_key=KEY) == first
    )
    other = {**payload, "amount_fen": payload["amount_fen"] + 1}
    with pytest.raises(IdempotencyConflict) as conflict:
        box.enqueue("withdrawal_application", other, idempotency_key=KEY)
    assert conflict.value.idempotency_key == KEY and "another payload" in str(conflict.value)
    assert str(payload["id_number"]) not in str(conflict.value)
    with pytest.raises(IdempotencyConflict, match="holds a withdrawal_application"):
        box.enqueue("rating", rating(rng), idempotency_key=KEY)

    # After delivery the payload is wiped, and the digest still tells the two apart.
    items, _ = box.claim(10)
    box.record_answers(items, [Answer("accepted")])
    assert box.enqueue("withdrawal_application", payload, idempotency_key=KEY) == first
    with pytest.raises(IdempotencyConflict):
        box.enqueue("withdrawal_application", other, idempotency_key=KEY)
    box.close()
    assert _rows(tmp_path) == 1


def test_a_stored_key_gets_its_receipt_even_when_the_outbox_is_full(tmp_path: Path) -> None:
    rng = random.Random(62)
    box = Outbox.open(tmp_path, bounds=BoundsPolicy(max_rows=2, soft_ceiling=1.0))
    payloads = [withdrawal(rng), withdrawal(rng)]
    receipts = [
        box.enqueue("withdrawal_application", p, idempotency_key=f"visit-000{i}-w")
        for i, p in enumerate(payloads)
    ]
    with pytest.raises(OutboxFull):
        box.enqueue("withdrawal_application", withdrawal(rng))
    assert box.enqueue("withdrawal_application", payloads[1], idempotency_key="visit-0001-w") == receipts[1]
    with pytest.raises(IdempotencyConflict):
        box.enqueue("withdrawal_application", payloads[0], idempotency_key="visit-0001-w")
    box.close()


def test_rows_stored_before_digests_are_compared_by_their_payload(tmp_path: Path) -> None:
    rng = random.Random(63)
    payloads = [withdrawal(rng), withdrawal(rng)]
    box = Outbox.open(tmp_path)
    receipts = [
        box.enqueue("withdrawal_application", p, idempotency_key=f"old-row-{i}")
        for i, p in enumerate(payloads)
    ]
    items, _ = box.claim(1)
    box.record_answers(items, [Answer("accepted")])
    box.close()
    with sqlite3.connect(tmp_path / DB_FILE_NAME) as db:
        db.execute("UPDATE outbox SET payload_digest = NULL")
    box = Outbox.open(tmp_path)
    # Still pending: its payload is there to compare.
    assert box.enqueue("withdrawal_application", payloads[1], idempotency_key="old-row-1") == receipts[1]
    with pytest.raises(IdempotencyConflict):
        box.enqueue("withdrawal_application", payloads[0], idempotency_key="old-row-1")
    # Delivered before digests: nothing left to compare, so it is refused rather than silently dropped.
    with pytest.raises(IdempotencyConflict):
        box.enqueue("withdrawal_application", payloads[0], idempotency_key="old-row-0")
    box.close()


def test_the_centres_conflict_answer_is_final_with_its_reason(
    tmp_path: Path, central: RunningServer, make_client: Callable[[str], CentralClient], visit: Visit
) -> None:
    """Two kiosk data dirs of one terminal (a restored backup, say) send one key with two payloads."""
    rng = random.Random(64)
    key = f"restored-{rng.getrandbits(64):016x}"
    client = make_client(central.base_url)
    for data_dir in (tmp_path / "first", tmp_path / "restored"):
        box = Outbox.open(data_dir)
        payload = visit.owns(withdrawal(rng))
        box.enqueue("withdrawal_application", payload, idempotency_key=key, visit_ticket=visit.ticket)
        Forwarder(box, client).step()
        box.close()
    first, restored = OutboxAdmin(tmp_path / "first"), OutboxAdmin(tmp_path / "restored")
    [delivered], [dead] = first.rows(), restored.rows()
    first.close()
    restored.close()
    assert delivered.state is State.DELIVERED
    assert dead.state is State.DEAD and dead.attempts == 1
    assert dead.last_error is not None and dead.last_error.startswith("conflict: ")
