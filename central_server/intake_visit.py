"""Whether an intake item's visit ticket covers it: signed by this centre, issued to the sending terminal,
the item made during the ticket's life, and the payload's citizen the ticket's."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from central_server import visit_ticket
from central_server.intake_schemas import CITIZEN_KINDS, IntakeKind, ItemRefused
from central_server.models import Citizen, CitizenReference


def covering_claims(
    ticket: str | None, kind: IntakeKind, terminal_id: str, created: dt.datetime, key: bytes
) -> visit_ticket.Claims | None:
    """The claims of the item's ticket when it covers the item; None for a kind that needs none and came
    without one. ItemRefused (a fixed reason) otherwise."""
    if ticket is None:
        if kind in CITIZEN_KINDS:
            raise ItemRefused(visit_ticket.MISSING)
        return None
    try:
        claims = visit_ticket.verify(ticket, key)
        visit_ticket.check_use(claims, terminal_id, created.timestamp())
    except visit_ticket.TicketInvalid:
        raise ItemRefused(visit_ticket.FORGED) from None
    except visit_ticket.TicketRefused as refusal:
        raise ItemRefused(str(refusal)) from None
    return claims


def check_citizen(
    session: Session, claims: visit_ticket.Claims | None, payload: dict[str, Any]
) -> Citizen | None:
    """The ticket's citizen, for the services that apply the item; None without a ticket. A checked payload
    that names a citizen must name the ticket's."""
    if claims is None:
        return None
    citizen = session.scalars(
        select(Citizen)
        .join(CitizenReference, CitizenReference.citizen_id == Citizen.id)
        .where(CitizenReference.ref == claims.ref)
    ).one_or_none()
    if "id_number" in payload and (citizen is None or payload["id_number"] != citizen.id_number):
        raise ItemRefused(visit_ticket.OTHER_CITIZEN)
    return citizen
