"""The store itself: durable enqueue, time-ordered ids, claims, recovery, keys, migrations, layering."""

from __future__ import annotations

import ast
import json
import os
import random
import sqlite3
import stat
from pathlib import Path

import pytest

from kiosk.offline_queue import Outbox, OutboxBusy, OutboxUnavailable
from kiosk.offline_queue.database import DB_FILE_NAME, HEAD_REVISION
from kiosk.offline_queue.keyring import KEY_FILE_NAME
from kiosk.offline_queue.outbox import Answer

from .synthetic import rating, withdrawal

PACKAGE = Path(__file__).resolve().parents[2] / "kiosk" / "offline_queue"


def _states(path: Path) -> dict[str, int]:
    with sqlite3.connect(path / DB_FILE_NAME) as db:
        return dict(db.execute("SELECT state, count(*) FROM outbox GROUP BY state").fetchall())


def test_the_database_is_wal_with_full_sync_and_the_schema_is_alembics_head(
    outbox: Outbox, tmp_path: Path
) -> None:
    with sqlite3.connect(tmp_path / "outbox" / DB_FILE_NAME) as db:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert db.execute("SELECT version_num FROM alembic_version").fetchone()[0] == HEAD_REVISION
        plan = " ".join(
            str(row)
            for row in db.execute(
                "EXPLAIN QUERY PLAN SELECT payload FROM outbox WHERE state = 'pending' ORDER BY id LIMIT 100"
            )
        )
    assert "ix_outbox_pending" in plan and "TEMP B-TREE" not in plan
    assert outbox._conn.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL
    assert outbox._conn.exec_driver_sql("PRAGMA secure_delete").scalar() == 1
    outbox._conn.commit()
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    config = Config()
    config.set_main_option("script_location", str(PACKAGE / "migrations"))
    assert ScriptDirectory.from_config(config).get_current_head() == HEAD_REVISION


def test_ids_rise_with_time_even_when_the_clock_steps_back(tmp_path: Path) -> None:
    now = [1_800_000_000.0]
    box = Outbox.open(tmp_path, clock=lambda: now[0])
    rng = random.Random(1)
    first = box.enqueue("rating", rating(rng))
    now[0] -= 60
    second = box.enqueue("rating", rating(rng))
    box.close()
    now[0] += 120
    third = Outbox.open(tmp_path, clock=lambda: now[0]).enqueue("rating", rating(rng))
    assert first.id < second.id < third.id
    assert third.id >> 16 == int(now[0] * 1000)


def test_an_enqueue_survives_reopening_and_a_repeated_key_returns_the_first_receipt(tmp_path: Path) -> None:
    rng = random.Random(2)
    payload = withdrawal(rng)
    box = Outbox.open(tmp_path)
    receipt = box.enqueue("withdrawal_application", payload, idempotency_key="visit-0001-withdrawal")
    box.close()
    box = Outbox.open(tmp_path)
    again = box.enqueue("withdrawal_application", payload, idempotency_key="visit-0001-withdrawal")
    assert again == receipt
    with pytest.raises(ValueError):
        box.enqueue("lottery_ticket", {})
    box.close()
    assert _states(tmp_path) == {"pending": 1}


def test_a_second_process_cannot_own_the_outbox(outbox: Outbox, tmp_path: Path) -> None:
    with pytest.raises(OutboxBusy):
        Outbox.open(tmp_path / "outbox")


def test_claims_take_the_oldest_due_prefix_and_a_crash_sends_them_again(tmp_path: Path) -> None:
    now = [1_800_000_000.0]
    rng = random.Random(3)
    box = Outbox.open(tmp_path, clock=lambda: now[0])
    keys = [box.enqueue("rating", rating(rng)).idempotency_key for _ in range(5)]
    first, _ = box.claim(2)
    assert [item.idempotency_key for item in first] == keys[:2]
    # Rows in flight are not handed out twice.
    second, _ = box.claim(2)
    assert [item.idempotency_key for item in second] == keys[2:4]
    box.record_failure(first + second, "HTTP 500", blamed=True, retry_in_s=30, max_attempts=10)
    # The failed head waits 30 s, and nothing behind it may overtake it.
    assert box.claim(10) == ([], 30.0)
    now[0] += 30
    claimed, _ = box.claim(10)
    assert [item.idempotency_key for item in claimed] == keys
    assert [item.attempts for item in claimed] == [1, 1, 1, 1, 0]
    # In flight lives in memory: a crash leaves the rows pending on disk, to be sent again.
    box.close()
    assert _states(tmp_path) == {"pending": 5}
    reopened = Outbox.open(tmp_path, clock=lambda: now[0])
    items, _ = reopened.claim(10)
    assert [item.idempotency_key for item in items] == keys
    reopened.record_answers(
        items, [Answer("accepted")] * 3 + [Answer("duplicate"), Answer("rejected", "bad")]
    )
    assert _states(tmp_path) == {"delivered": 4, "dead": 1}
    assert reopened.usage().rows == 1  # the dead row stays in the backlog until staff act
    reopened.close()


def test_rows_an_older_outbox_left_in_flight_go_back_to_pending(tmp_path: Path) -> None:
    box = Outbox.open(tmp_path)
    box.enqueue("rating", rating(random.Random(8)))
    box.close()
    with sqlite3.connect(tmp_path / DB_FILE_NAME) as db:
        db.execute("UPDATE outbox SET state = 'in_flight'")
    Outbox.open(tmp_path).close()
    assert _states(tmp_path) == {"pending": 1}


def test_blamed_failures_dead_letter_a_row_and_silence_does_not(tmp_path: Path) -> None:
    box = Outbox.open(tmp_path)
    box.enqueue("rating", rating(random.Random(4)))
    for _ in range(12):
        items, _ = box.claim(1)
        box.record_failure(items, "ConnectionError", blamed=False, retry_in_s=0, max_attempts=3)
    assert _states(tmp_path) == {"pending": 1}
    for _ in range(3):
        items, _ = box.claim(1)
        box.record_failure(items, "HTTP 500", blamed=True, retry_in_s=0, max_attempts=3)
    assert _states(tmp_path) == {"dead": 1}
    box.close()


def test_the_key_file_is_private_and_the_payload_is_bound_to_its_row(outbox: Outbox, tmp_path: Path) -> None:
    key_file = tmp_path / "outbox" / KEY_FILE_NAME
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    rng = random.Random(5)
    outbox.enqueue("withdrawal_application", withdrawal(rng), idempotency_key="row-one-key")
    outbox.enqueue("withdrawal_application", withdrawal(rng), idempotency_key="row-two-key")
    with sqlite3.connect(tmp_path / "outbox" / DB_FILE_NAME) as db:
        db.execute(
            "UPDATE outbox SET payload = (SELECT payload FROM outbox WHERE idempotency_key = 'row-one-key')"
            " WHERE idempotency_key = 'row-two-key'"
        )
    # The copied payload fails its check: that row is dead-lettered, and the one behind it still goes.
    items, _ = outbox.claim(2)
    assert [item.idempotency_key for item in items] == ["row-one-key"]
    assert _states(tmp_path / "outbox") == {"pending": 1, "dead": 1}


def test_a_key_file_others_can_read_is_refused(tmp_path: Path) -> None:
    Outbox.open(tmp_path).close()
    os.chmod(tmp_path / KEY_FILE_NAME, 0o644)
    with pytest.raises(OutboxUnavailable, match="chmod 600"):
        Outbox.open(tmp_path)


def test_every_column_of_an_enqueue_lands_where_it_belongs(outbox: Outbox, tmp_path: Path) -> None:
    payload = withdrawal(random.Random(7))
    receipt = outbox.enqueue("withdrawal_application", payload, idempotency_key="column-check-01")
    plaintext = json.dumps(payload, ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode()
    with sqlite3.connect(tmp_path / "outbox" / DB_FILE_NAME) as db:
        db.row_factory = sqlite3.Row
        row = dict(db.execute("SELECT * FROM outbox").fetchone())
    created = int(receipt.created_at.timestamp() * 1000)
    sealed_by, blob = row.pop("key_id"), row.pop("payload")
    assert row == {
        "id": receipt.id,
        "idempotency_key": "column-check-01",
        "kind": "withdrawal_application",
        "created_at": created,
        "attempts": 0,
        "blamed_failures": 0,
        "next_attempt_at": created,
        "state": "pending",
        "last_error": None,
        "delivered_at": None,
        "size": len(blob),
        "payload_digest": outbox._keys.digest("withdrawal_application", plaintext),
    }
    assert outbox._keys.open(sealed_by, blob, b"column-check-01|withdrawal_application") == plaintext


def test_rotation_reseals_stored_rows_and_retires_the_old_key(tmp_path: Path) -> None:
    rng = random.Random(6)
    box = Outbox.open(tmp_path)
    payloads = [withdrawal(rng) for _ in range(3)]
    for payload in payloads:
        box.enqueue("withdrawal_application", payload)
    old = box._keys.active_id
    new = box.rotate_key()
    box.enqueue("withdrawal_application", payloads[0], idempotency_key="after-rotation")
    box.close()
    reopened = Outbox.open(tmp_path)
    assert reopened._keys.key_ids == {new} and old != new
    items, _ = reopened.claim(10)
    assert [item.payload for item in items] == [*payloads, payloads[0]]
    with sqlite3.connect(tmp_path / DB_FILE_NAME) as db:
        assert {row[0] for row in db.execute("SELECT key_id FROM outbox")} == {new}
    reopened.close()


def test_the_package_keeps_to_its_layer() -> None:
    forbidden = ("kivy", "kiosk.screens", "kiosk.services", "kiosk.devices", "kiosk.app", "central_server")
    found = []
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = (
                [alias.name for alias in node.names]
                if isinstance(node, ast.Import)
                else [node.module]
                if isinstance(node, ast.ImportFrom) and node.module
                else []
            )
            found += [f"{path.name}: {name}" for name in names if name.startswith(forbidden)]
    assert found == []
    assert len(list(PACKAGE.rglob("*.py"))) > 10  # the scan saw the package
