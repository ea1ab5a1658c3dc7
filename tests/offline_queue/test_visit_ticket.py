"""The visit ticket from sign-in to the centre: sealed with its payload, sent beside it, checked there."""

from __future__ import annotations

import json
import random
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest
from fastapi import FastAPI
from sqlalchemy import select

from central_server.models import Citizen, IntakeRecord
from central_server.testing import RunningServer
from kiosk.central import CentralClient
from kiosk.offline_queue import Forwarder, Outbox, RetryPolicy
from kiosk.offline_queue.database import DB_FILE_NAME
from kiosk.offline_queue.staff import OutboxAdmin

from .central_records import may_withdraw
from .conftest import TERMINAL_ID
from .synthetic import Visit, withdrawal

FAST = RetryPolicy(base_s=0.01, cap_s=0.01)


def _signed_in(app: FastAPI, client: CentralClient) -> tuple[Visit, str]:
    """Signs the central's first citizen who may withdraw in over HTTP, as a visit does: the visit, and its
    reference."""
    with app.state.context.db.transaction() as session:
        citizens = session.scalars(select(Citizen).order_by(Citizen.id))
        citizen = next(row for row in citizens if may_withdraw(row))
        id_number, name = citizen.id_number, citizen.name
    session = client.open_citizen_session(id_number, name, "123456")
    assert session.visit_ticket is not None and session.citizen_ref is not None
    return Visit(id_number, name, session.visit_ticket), session.citizen_ref


def _record(app: FastAPI, key: str) -> IntakeRecord:
    with app.state.context.db.transaction() as session:
        return session.scalars(
            select(IntakeRecord).where(
                IntakeRecord.terminal_id == TERMINAL_ID, IntakeRecord.idempotency_key == key
            )
        ).one()


def test_a_withdrawal_carries_the_sign_ins_ticket_to_the_centre(
    tmp_path: Path,
    central: RunningServer,
    central_app: FastAPI,
    make_client: Callable[[str], CentralClient],
) -> None:
    client = make_client(central.base_url)
    visit, ref = _signed_in(central_app, client)
    outbox = Outbox.open(tmp_path)
    payload = visit.owns(withdrawal(random.Random(5)))
    with_ticket = outbox.enqueue("withdrawal_application", payload, visit_ticket=visit.ticket)
    without = outbox.enqueue("withdrawal_application", payload)
    Forwarder(outbox, client, retry=FAST).step()
    outbox.close()
    accepted = _record(central_app, with_ticket.idempotency_key)
    assert (accepted.status, accepted.citizen_ref) == ("accepted", ref)
    refused = _record(central_app, without.idempotency_key)
    assert (refused.status, refused.reason) == ("rejected", "visit ticket missing")
    admin = OutboxAdmin(tmp_path)
    states = {row.idempotency_key: row.state for row in admin.rows()}
    admin.close()
    assert states == {with_ticket.idempotency_key: "delivered", without.idempotency_key: "dead"}


def test_the_ticket_is_sealed_with_the_payload_and_claimed_with_it(tmp_path: Path, visit: Visit) -> None:
    outbox = Outbox.open(tmp_path)
    payload = visit.owns(withdrawal(random.Random(6)))
    outbox.enqueue(
        "withdrawal_application", payload, idempotency_key="ticket-row-01", visit_ticket=visit.ticket
    )
    outbox.enqueue("rating", {"score": 5}, idempotency_key="no-ticket-01")
    # Not part of the transaction: the same one again under a newer ticket is the first receipt.
    again = outbox.enqueue(
        "withdrawal_application", payload, idempotency_key="ticket-row-01", visit_ticket="a.b"
    )
    assert again.idempotency_key == "ticket-row-01"
    items, _ = outbox.claim(10)
    outbox.close()
    assert [(item.payload, item.visit_ticket) for item in items] == [
        (payload, visit.ticket),
        ({"score": 5}, None),
    ]
    assert items[0].wire()["visit_ticket"] == visit.ticket and "visit_ticket" not in items[1].wire()
    assert visit.ticket not in repr(items[0])
    with sqlite3.connect(tmp_path / DB_FILE_NAME) as db:
        stored = b"".join(bytes(row[0]) for row in db.execute("SELECT payload FROM outbox"))
    assert visit.ticket.split(".")[1].encode() not in stored
    wal = (
        (tmp_path / f"{DB_FILE_NAME}-wal").read_bytes()
        if (tmp_path / f"{DB_FILE_NAME}-wal").exists()
        else b""
    )
    assert visit.ticket.split(".")[1].encode() not in wal
    assert json.dumps(payload, ensure_ascii=False).encode() not in stored


@pytest.mark.parametrize("ticket", ["", "no-dot", "a.b.c", "a.b\n{", "票.b", "a." + "b" * 101])
def test_a_ticket_the_centre_would_not_issue_is_refused_at_enqueue(tmp_path: Path, ticket: str) -> None:
    outbox = Outbox.open(tmp_path)
    with pytest.raises(ValueError, match="visit ticket"):
        outbox.enqueue("withdrawal_application", withdrawal(random.Random(7)), visit_ticket=ticket)
    assert outbox.usage().rows == 0
    outbox.close()
