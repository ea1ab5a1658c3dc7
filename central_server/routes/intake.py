"""Batch intake: what kiosks accepted while the citizen stood there, forwarded from their outboxes."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from typing import Any

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
    ItemRefused,
    check_item,
)
from central_server.models import IntakeRecord

router = APIRouter(prefix="/v1/intake", tags=["intake"])

CONFLICT_REASON = "idempotency key already used for another transaction; this one was not applied"


@router.post(
    "/batch",
    responses=error_responses(
        Code.BAD_CHANNEL, Code.BAD_ENVELOPE, Code.BAD_REQUEST, Code.TERMINAL_UNAUTHORISED
    ),
)
def intake_batch(body: IntakeBatch, context: Context, terminal_id: TerminalId) -> Envelope[IntakeBatchData]:
    """Applies each item at most once per idempotency key and answers per item, in order. A key seen
    before with the same kind and payload gets its first answer again (accepted → duplicate with the same
    reference); with another kind or payload it is a conflict, and that item is not applied. The batch
    commits as one transaction: an error answer means none of it was applied."""
    keys = [item.idempotency_key for item in body.items]
    now = context.clock()
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
            digest = payload_digest(item.kind, item.payload)
            record = known.get(item.idempotency_key)
            if record is None:
                record = _apply(item, digest, terminal_id, now)
                session.add(record)
                session.flush()
                known[item.idempotency_key] = record
                results.append(_answer(record, first_time=True))
            elif record.payload_digest != digest:
                results.append(
                    IntakeResult(
                        idempotency_key=item.idempotency_key,
                        status=IntakeStatus.CONFLICT,
                        reason=CONFLICT_REASON,
                        reference=None,
                    )
                )
            else:
                results.append(_answer(record, first_time=False))
    return ok(context.sequence, IntakeBatchData(results=results))


def payload_digest(kind: str, payload: dict[str, Any]) -> str:
    """SHA-256 (hex) of the kind and the payload as sent, in canonical JSON (sorted keys, no spaces,
    UTF-8), so a resend whose JSON only orders or spaces its keys differently is the same transaction."""
    canonical = json.dumps(
        {"kind": kind, "payload": payload}, ensure_ascii=False, sort_keys=True, separators=(",", ":")
    )
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _apply(item: IntakeItem, digest: str, terminal_id: str, now: dt.datetime) -> IntakeRecord:
    record = IntakeRecord(
        terminal_id=terminal_id,
        idempotency_key=item.idempotency_key,
        kind=item.kind,
        payload_digest=digest,
        received_at=int(now.timestamp()),
    )
    try:
        checked = check_item(item.kind, item.created_at, item.payload, now)
    except ItemRefused as refusal:
        record.status = IntakeStatus.REJECTED.value
        record.reason = str(refusal)
        return record
    record.status = IntakeStatus.ACCEPTED.value
    record.payload = json.dumps(checked.payload, ensure_ascii=False, sort_keys=True)
    record.kiosk_created_at = checked.created_at
    return record


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
