"""What became of a visit's transactions: `fate`, `waiting` and `wait_for_fate`, on real outboxes (and the
reference centre, through the forwarder, for the waits a visit really does)."""

from __future__ import annotations

import logging
import random
import sqlite3
import threading
import time
from collections.abc import Callable
from datetime import UTC
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event

from central_server.testing import RunningServer
from kiosk.central import CentralClient
from kiosk.offline_queue import Forwarder, Outbox, RetryPolicy
from kiosk.offline_queue.database import DB_FILE_NAME
from kiosk.offline_queue.outbox import Answer, ItemFate
from kiosk.offline_queue.states import State

from .synthetic import Visit, pre_registration, rating, withdrawal

FAST = RetryPolicy(base_s=0.001, cap_s=0.002, max_attempts=3)


def _enqueue(outbox: Outbox, kind: str, payload: dict[str, Any], key: str) -> str:
    return outbox.enqueue(kind, payload, idempotency_key=key).idempotency_key


def test_fate_follows_a_row_from_pending_through_in_flight_to_delivered(outbox: Outbox) -> None:
    rng = random.Random(1)
    assert outbox.fate("never-enqueued-0001") is None
    key = _enqueue(outbox, "withdrawal_application", withdrawal(rng), "visit-0001-withdrawal")
    assert outbox.fate(key) == ItemFate(State.PENDING)
    items, _wait = outbox.claim(10)
    assert outbox.fate(key) == ItemFate(State.IN_FLIGHT)
    outbox.record_answers(items, [Answer("accepted")])
    assert outbox.fate(key) == ItemFate(State.DELIVERED, None)


def test_a_rejected_row_is_dead_with_the_centres_reason_and_a_failed_one_pending_again(
    outbox: Outbox,
) -> None:
    rng = random.Random(2)
    refused = _enqueue(outbox, "withdrawal_application", withdrawal(rng), "visit-0002-withdrawal")
    failed = _enqueue(outbox, "rating", rating(rng), "visit-0002-rating")
    items, _wait = outbox.claim(1)
    outbox.record_answers(items, [Answer("rejected", "withdrawal_type: not allowed for this account")])
    assert outbox.fate(refused) == ItemFate(
        State.DEAD, "rejected: withdrawal_type: not allowed for this account"
    )
    items, _wait = outbox.claim(1)
    assert outbox.fate(failed) == ItemFate(State.IN_FLIGHT)
    outbox.record_failure(items, "HTTP 503", blamed=True, retry_in_s=60, max_attempts=10)
    assert outbox.fate(failed) == ItemFate(State.PENDING)


def test_waiting_lists_the_undelivered_rows_of_the_asked_kinds_decrypted_and_oldest_first(
    outbox: Outbox,
) -> None:
    rng = random.Random(3)
    payloads = {f"visit-0003-{n:04d}": pre_registration(rng) for n in range(5)}
    for key, payload in payloads.items():
        # The ticket is sealed with the payload; what `waiting` gives back is the payload alone.
        outbox.enqueue("pre_registration", payload, idempotency_key=key, visit_ticket="c3ludGhldGlj.c2ln")
        _enqueue(outbox, "rating", rating(rng), key + "-rating")
    keys = list(payloads)
    items, _wait = outbox.claim(3)  # pre 0, its rating, pre 1
    outbox.record_answers(items, [Answer("accepted"), Answer("accepted"), Answer("rejected", "name: empty")])
    items, _wait = outbox.claim(2)  # pre 1's rating, pre 2: in flight from here on
    assert outbox.fate(keys[2]) == ItemFate(State.IN_FLIGHT)

    waiting = outbox.waiting(["pre_registration", "appointment"])

    assert [item.idempotency_key for item in waiting] == keys[2:]
    assert all(item.kind == "pre_registration" for item in waiting)
    assert [item.payload for item in waiting] == [payloads[key] for key in keys[2:]]
    assert all(item.created_at.tzinfo is UTC for item in waiting)
    assert [item.created_at for item in waiting] == sorted(item.created_at for item in waiting)
    assert payloads[keys[2]]["id_number"] not in repr(waiting)
    assert outbox.waiting({"appointment"}) == []
    assert outbox.waiting([]) == []


def test_waiting_takes_the_newest_rows_up_to_its_limit_and_gives_them_oldest_first(outbox: Outbox) -> None:
    rng = random.Random(4)
    keys = [_enqueue(outbox, "rating", rating(rng), f"visit-0004-{n:04d}") for n in range(7)]
    assert [item.idempotency_key for item in outbox.waiting(["rating"], limit=3)] == keys[4:]
    assert len(outbox.waiting(["rating"])) == 7


def test_waiting_leaves_out_a_row_it_cannot_decrypt_and_logs_only_a_count(
    outbox: Outbox, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    rng = random.Random(5)
    damaged = withdrawal(rng)
    _enqueue(outbox, "withdrawal_application", damaged, "visit-0005-damaged")
    kept = _enqueue(outbox, "withdrawal_application", withdrawal(rng), "visit-0005-kept")
    with sqlite3.connect(tmp_path / "outbox" / DB_FILE_NAME) as db:
        (blob,) = db.execute(
            "SELECT payload FROM outbox WHERE idempotency_key = 'visit-0005-damaged'"
        ).fetchone()
        # One bit of the tag flipped: AES-GCM refuses the row, as it would a damaged page.
        damaged_blob = blob[:-1] + bytes([blob[-1] ^ 1])
        db.execute(
            "UPDATE outbox SET payload = ? WHERE idempotency_key = 'visit-0005-damaged'", (damaged_blob,)
        )
    with caplog.at_level(logging.WARNING, logger="kiosk.offline_queue.outbox"):
        waiting = outbox.waiting(["withdrawal_application"])
    assert [item.idempotency_key for item in waiting] == [kept]
    assert "1 waiting rows cannot be decrypted" in caplog.text
    assert damaged["id_number"] not in caplog.text and damaged["name"] not in caplog.text
    # The forwarder's next claim dead-letters it, and a visit waiting for it hears so at once.
    claiming = threading.Timer(0.1, outbox.claim, (10,))
    claiming.start()
    started = time.monotonic()
    fate = outbox.wait_for_fate("visit-0005-damaged", timeout_s=10)
    assert fate == ItemFate(State.DEAD, "cannot decrypt: key missing or row damaged")
    assert time.monotonic() - started < 1
    claiming.join()


def test_waiting_names_what_is_wrong_with_its_arguments(outbox: Outbox) -> None:
    with pytest.raises(TypeError, match="not one kind: pass \\('rating',\\)"):
        outbox.waiting("rating")
    with pytest.raises(ValueError, match="unknown kind 'lottery_ticket'"):
        outbox.waiting(["rating", "lottery_ticket"])
    with pytest.raises(ValueError, match="limit must be at least 1, not 0"):
        outbox.waiting(["rating"], limit=0)


def test_fate_and_waiting_read_through_indexes(outbox: Outbox, tmp_path: Path) -> None:
    rng = random.Random(6)
    key = _enqueue(outbox, "rating", rating(rng), "visit-0006-rating")
    statements: list[tuple[str, Any]] = []

    def capture(_conn: object, _cursor: object, statement: str, parameters: Any, *_rest: object) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            statements.append((statement, parameters))

    event.listen(outbox._engine, "before_cursor_execute", capture)
    try:
        outbox.fate(key)
        outbox.waiting(["rating", "appointment"])
    finally:
        event.remove(outbox._engine, "before_cursor_execute", capture)
    with sqlite3.connect(tmp_path / "outbox" / DB_FILE_NAME) as db:
        plans = [
            " ".join(str(row) for row in db.execute(f"EXPLAIN QUERY PLAN {statement}", parameters))
            for statement, parameters in statements
        ]
    fate_plan, waiting_plan = plans
    assert "USING INDEX sqlite_autoindex_outbox_1 (idempotency_key=?)" in fate_plan
    assert "ix_outbox_pending" in waiting_plan and "TEMP B-TREE" not in waiting_plan


def _settle_later(outbox: Outbox, answer: Answer, after_s: float) -> threading.Thread:
    items, _wait = outbox.claim(1)

    def settle() -> None:
        time.sleep(after_s)
        outbox.record_answers(items, [answer])

    thread = threading.Thread(target=settle)
    thread.start()
    return thread


@pytest.mark.parametrize(
    ("answer", "fate"),
    [
        (Answer("accepted"), ItemFate(State.DELIVERED)),
        (
            Answer("rejected", "amount_fen: above the cap"),
            ItemFate(State.DEAD, "rejected: amount_fen: above the cap"),
        ),
    ],
)
def test_wait_for_fate_returns_as_soon_as_another_thread_settles_the_row(
    outbox: Outbox, answer: Answer, fate: ItemFate
) -> None:
    key = _enqueue(outbox, "withdrawal_application", withdrawal(random.Random(7)), "visit-0007-withdrawal")
    thread = _settle_later(outbox, answer, after_s=0.1)
    started = time.monotonic()
    assert outbox.wait_for_fate(key, timeout_s=10) == fate
    assert time.monotonic() - started < 1
    thread.join()


def test_wait_for_fate_wakes_when_a_failure_dead_letters_the_row(outbox: Outbox) -> None:
    key = _enqueue(outbox, "rating", rating(random.Random(10)), "visit-0010-rating")
    items, _wait = outbox.claim(1)
    failing = threading.Timer(
        0.1,
        outbox.record_failure,
        (items, "HTTP 500"),
        {"blamed": True, "retry_in_s": 60, "max_attempts": 1},
    )
    failing.start()
    started = time.monotonic()
    assert outbox.wait_for_fate(key, timeout_s=10) == ItemFate(State.DEAD, "HTTP 500")
    assert time.monotonic() - started < 1
    failing.join()


def test_wait_for_fate_gives_the_current_fate_after_the_timeout(outbox: Outbox) -> None:
    key = _enqueue(outbox, "rating", rating(random.Random(8)), "visit-0008-rating")
    started = time.monotonic()
    assert outbox.wait_for_fate(key, timeout_s=0.3) == ItemFate(State.PENDING)
    assert 0.3 <= time.monotonic() - started < 1.3
    # A failed send wakes the wait, which finds the row pending again and goes on waiting.
    items, _wait = outbox.claim(1)
    failing = threading.Timer(
        0.05,
        outbox.record_failure,
        (items, "timeout"),
        {"blamed": False, "retry_in_s": 60, "max_attempts": 10},
    )
    failing.start()
    started = time.monotonic()
    assert outbox.wait_for_fate(key, timeout_s=0.3) == ItemFate(State.PENDING)
    assert time.monotonic() - started >= 0.3
    failing.join()
    started = time.monotonic()
    assert outbox.wait_for_fate("never-enqueued-0008", timeout_s=5) is None
    assert time.monotonic() - started < 0.5


def test_a_visits_transaction_is_accepted_or_refused_by_the_centre_within_moments(
    tmp_path: Path, central: RunningServer, make_client: Callable[[str], CentralClient], visit: Visit
) -> None:
    outbox = Outbox.open(tmp_path / "outbox")
    forwarder = Forwarder(outbox, make_client(central.base_url), retry=FAST)
    forwarder.start()
    try:
        rng = random.Random(9)
        own = outbox.enqueue("pre_registration", visit.owns(pre_registration(rng)), visit_ticket=visit.ticket)
        # Another citizen's pre-registration under this visit's ticket: the centre refuses it for that alone.
        other = outbox.enqueue("pre_registration", pre_registration(rng), visit_ticket=visit.ticket)
        started = time.monotonic()
        assert outbox.wait_for_fate(own.idempotency_key, timeout_s=10) == ItemFate(State.DELIVERED)
        refused = outbox.wait_for_fate(other.idempotency_key, timeout_s=10)
        assert time.monotonic() - started < 5
    finally:
        forwarder.stop()
        outbox.close()
    assert refused is not None and refused.state is State.DEAD
    assert refused.reason is not None and refused.reason.startswith("rejected: ")
