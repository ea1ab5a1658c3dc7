"""The visit-ticket keys, kept in the database, and the citizen references made with them."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from sqlalchemy.orm import Session

from central_server import visit_ticket
from central_server.db import insert_if_absent
from central_server.models import CitizenReference, VisitKeys

_ROW_ID = 1


@dataclass(frozen=True)
class Keys:
    ticket: bytes
    citizen_ref: bytes


def create_if_absent(session: Session) -> None:
    """Makes the keys on the centre's first start. Workers starting together each try; the first insert
    wins and the others keep its keys."""
    insert_if_absent(
        session,
        VisitKeys,
        id=_ROW_ID,
        ticket_key=secrets.token_hex(32),
        citizen_ref_key=secrets.token_hex(32),
    )


def load(session: Session) -> Keys:
    row = session.get(VisitKeys, _ROW_ID)
    if row is None:
        raise RuntimeError("visit_keys has no row: the centre creates it on start (create_app)")
    return Keys(ticket=bytes.fromhex(row.ticket_key), citizen_ref=bytes.fromhex(row.citizen_ref_key))


def issue(session: Session, citizen_id: int, terminal_id: str, now: int) -> tuple[str, str]:
    """A ticket for the citizen at the terminal, and the citizen's reference (recorded for the intake)."""
    keys = load(session)
    ref = visit_ticket.citizen_ref(citizen_id, keys.citizen_ref)
    insert_if_absent(session, CitizenReference, ref=ref, citizen_id=citizen_id)
    return visit_ticket.encode(visit_ticket.new_claims(ref, terminal_id, now), keys.ticket), ref
