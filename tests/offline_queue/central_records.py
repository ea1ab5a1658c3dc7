"""What the reference central applied, read straight from its database (tests may import the server)."""

from __future__ import annotations

import time
from collections import Counter

from fastapi import FastAPI
from sqlalchemy import select

from central_server import visit_keys
from central_server.models import Citizen, IntakeRecord
from central_server.seed import OTHER_PASSWORD_NAME
from central_server.withdrawal_rules import PROPERTY_FEE_CAP_FEN

from .synthetic import Visit


def applied(app: FastAPI, terminal_id: str) -> Counter[str]:
    """How many accepted records the central holds per idempotency key of this terminal."""
    with app.state.context.db.transaction() as session:
        keys = session.scalars(
            select(IntakeRecord.idempotency_key).where(
                IntakeRecord.terminal_id == terminal_id, IntakeRecord.status == "accepted"
            )
        ).all()
    return Counter(keys)


def may_withdraw(citizen: Citizen) -> bool:
    """Whether the rules grant this seeded citizen a property-fee withdrawal (synthetic.withdrawal): a normal
    account with the cap in it. The seeded history holds no property-fee withdrawals. Signs in with the
    demo password."""
    account = citizen.account
    return (
        account.status == "normal"
        and account.balance_fen >= PROPERTY_FEE_CAP_FEN
        and citizen.name != OTHER_PASSWORD_NAME
    )


def visits_at(app: FastAPI, terminal_id: str, count: int) -> list[Visit]:
    """Tickets the central issues now at the terminal, as sign-ins would, for the first `count` citizens who
    may withdraw; each visit may file one withdrawal (synthetic.withdrawal)."""
    with app.state.context.db.transaction() as session:
        citizens = [row for row in session.scalars(select(Citizen).order_by(Citizen.id)) if may_withdraw(row)]
        assert len(citizens) >= count, "the seed has too few citizens who may withdraw"
        visits = []
        for citizen in citizens[:count]:
            ticket, _ref = visit_keys.issue(session, citizen.id, terminal_id, int(time.time()))
            visits.append(Visit(citizen.id_number, citizen.name, ticket))
        return visits


def visit_at(app: FastAPI, terminal_id: str) -> Visit:
    """A visit of the first citizen who may withdraw."""
    return visits_at(app, terminal_id, 1)[0]


def applied_in_order(app: FastAPI, terminal_id: str) -> list[str]:
    with app.state.context.db.transaction() as session:
        return list(
            session.scalars(
                select(IntakeRecord.idempotency_key)
                .where(IntakeRecord.terminal_id == terminal_id)
                .order_by(IntakeRecord.id)
            )
        )
