"""Batch intake: what kiosks accepted while the citizen stood there, forwarded from their outboxes."""

from __future__ import annotations

import json

from fastapi import APIRouter
from sqlalchemy import select

from central_server.auth import TerminalId
from central_server.context import Context
from central_server.envelope import Code, Envelope, error_responses, ok
from central_server.intake_schemas import (
    IntakeBatch,
    IntakeBatchData,
    IntakeItem,
    IntakeResult,
    IntakeStatus,
    payload_problem,
)
from central_server.models import IntakeRecord

router = APIRouter(prefix="/v1/intake", tags=["intake"])


@router.post(
    "/batch",
    responses=error_responses(
        Code.BAD_CHANNEL, Code.BAD_ENVELOPE, Code.BAD_REQUEST, Code.TERMINAL_UNAUTHORISED
    ),
)
def intake_batch(body: IntakeBatch, context: Context, terminal_id: TerminalId) -> Envelope[IntakeBatchData]:
    """Applies each item at most once per idempotency key and answers per item, in order. A key seen
    before gets its first answer again (accepted → duplicate with the same reference). The batch commits
    as one transaction: an error answer means none of it was applied."""
    keys = [item.idempotency_key for item in body.items]
    now = context.unix_now()
    results: list[IntakeResult] = []
    with context.db.transaction() as session:
        known = {
            record.idempotency_key: record
            for record in session.scalars(
                select(IntakeRecord).where(
                    IntakeRecord.terminal_id == terminal_id, IntakeRecord.idempotency_key.in_(keys)
                )
            )
        }
        for item in body.items:
            record = known.get(item.idempotency_key)
            if record is None:
                record = _apply(item, terminal_id, now)
                session.add(record)
                session.flush()
                known[item.idempotency_key] = record
                first_time = True
            else:
                first_time = False
            results.append(_answer(record, first_time))
    return ok(context.sequence, IntakeBatchData(results=results))


def _apply(item: IntakeItem, terminal_id: str, now: int) -> IntakeRecord:
    problem = payload_problem(item.kind, item.payload)
    return IntakeRecord(
        terminal_id=terminal_id,
        idempotency_key=item.idempotency_key,
        kind=item.kind,
        status=IntakeStatus.REJECTED.value if problem else IntakeStatus.ACCEPTED.value,
        reason=problem,
        payload=None if problem else json.dumps(item.payload, ensure_ascii=False, sort_keys=True),
        kiosk_created_at=item.created_at,
        received_at=now,
    )


def _answer(record: IntakeRecord, first_time: bool) -> IntakeResult:
    if record.status == IntakeStatus.REJECTED.value:
        return IntakeResult(
            idempotency_key=record.idempotency_key,
            status=IntakeStatus.REJECTED,
            reason=record.reason,
            reference=None,
        )
    return IntakeResult(
        idempotency_key=record.idempotency_key,
        status=IntakeStatus.ACCEPTED if first_time else IntakeStatus.DUPLICATE,
        reason=None,
        reference=f"R{record.id:012d}",
    )
