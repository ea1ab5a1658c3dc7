"""Signed-in citizens for the intake: a visit ticket, and payloads that name its citizen."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from fastapi import FastAPI
from sqlalchemy import select

from central_server import visit_keys
from central_server.models import Citizen

from .helpers import Kiosk, password_of


@dataclass(frozen=True)
class Visitor:
    id_number: str
    name: str
    ticket: str
    citizen_ref: str

    def owns(self, payload: dict[str, Any]) -> dict[str, Any]:
        """The payload, naming this citizen."""
        return {**payload, "id_number": self.id_number, "name": self.name}


def sign_in(kiosk: Kiosk, card: dict[str, Any]) -> Visitor:
    """Signs the card's citizen in at the kiosk, as a visit does."""
    response = kiosk.login(card["id_number"], card["name"], password_of(card))
    assert response.status_code == 200, response.text
    data = response.json()["data"]
    return Visitor(card["id_number"], card["name"], data["visit_ticket"], data["citizen_ref"])


def issued_at(app: FastAPI, terminal_id: str, at: datetime, citizen_no: int = 0) -> Visitor:
    """A ticket the centre issues, straight from its database, at a moment its clock is not at."""
    with app.state.context.db.transaction() as session:
        citizen = session.scalars(select(Citizen).order_by(Citizen.id).offset(citizen_no).limit(1)).one()
        ticket, ref = visit_keys.issue(session, citizen.id, terminal_id, int(at.timestamp()))
        return Visitor(citizen.id_number, citizen.name, ticket, ref)
