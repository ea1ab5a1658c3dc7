"""The staff audit trail: `staff_audit_event` items as the intake accepts them, read back by operators."""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from central_server.staff.models import StaffAuditRecord


class StaffAuditData(BaseModel):
    at: dt.datetime = Field(description="when the kiosk says it happened, UTC")
    terminal_id: str
    staff_id: str = Field(description='6 digits, or "unknown" (a failed sign-in, number not on the roster)')
    action: str
    outcome: str | None
    target: str | None


def record(session: Session, payload: dict[str, Any], *, terminal_id: str, received_at: int) -> None:
    """Keeps one checked `staff_audit_event` payload (intake_schemas.StaffAuditEvent) of `terminal_id`."""
    session.add(
        StaffAuditRecord(
            terminal_id=terminal_id,
            at=dt.datetime.fromisoformat(payload["at"]),
            staff_id=payload["staff_id"],
            action=payload["action"],
            outcome=payload.get("outcome"),
            target=payload.get("target"),
            received_at=received_at,
        )
    )


def events(
    session: Session, *, terminal_id: str | None, start: dt.datetime, end: dt.datetime, limit: int
) -> list[StaffAuditData]:
    """Events from `start` (included) to `end` (excluded), newest first, at most `limit`."""
    query = (
        select(StaffAuditRecord)
        .where(StaffAuditRecord.at >= start, StaffAuditRecord.at < end)
        .order_by(StaffAuditRecord.at.desc(), StaffAuditRecord.id.desc())
        .limit(limit)
    )
    if terminal_id is not None:
        query = query.where(StaffAuditRecord.terminal_id == terminal_id)
    return [
        StaffAuditData(
            at=row.at,
            terminal_id=row.terminal_id,
            staff_id=row.staff_id,
            action=row.action,
            outcome=row.outcome,
            target=row.target,
        )
        for row in session.scalars(query)
    ]
