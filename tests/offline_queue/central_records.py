"""What the reference central applied, read straight from its database (tests may import the server)."""

from __future__ import annotations

from collections import Counter

from fastapi import FastAPI
from sqlalchemy import select

from central_server.models import IntakeRecord


def applied(app: FastAPI, terminal_id: str) -> Counter[str]:
    """How many accepted records the central holds per idempotency key of this terminal."""
    with app.state.context.db.transaction() as session:
        keys = session.scalars(
            select(IntakeRecord.idempotency_key).where(
                IntakeRecord.terminal_id == terminal_id, IntakeRecord.status == "accepted"
            )
        ).all()
    return Counter(keys)


def applied_in_order(app: FastAPI, terminal_id: str) -> list[str]:
    with app.state.context.db.transaction() as session:
        return list(
            session.scalars(
                select(IntakeRecord.idempotency_key)
                .where(IntakeRecord.terminal_id == terminal_id)
                .order_by(IntakeRecord.id)
            )
        )
