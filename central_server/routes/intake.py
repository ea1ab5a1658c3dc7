"""Batch intake: what kiosks accepted while the citizen stood there, forwarded from their outboxes."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Request
from sqlalchemy import String, select
from sqlalchemy.orm import Session

from central_server import visit_keys, visit_ticket
from central_server.auth import TerminalId
from central_server.context import Context
from central_server.crm import store as crm_store
from central_server.crm.deadlines import CaseDeadlines
from central_server.envelope import Code, Envelope, error_responses, ok
from central_server.intake_schemas import (
    CheckedItem,
    IntakeBatch,
    IntakeBatchData,
    IntakeItem,
    IntakeKind,
    IntakeResult,
    IntakeStatus,
    ItemRefused,
    check_kind_and_time,
    check_payload,
)
from central_server.intake_visit import check_citizen, covering_claims
from central_server.models import Citizen, IntakeRecord
from central_server.preregistration import Registered, apply_pre_registration
from central_server.staff import audit as staff_audit
from central_server.withdrawals import Accepted, WithdrawalRequest, apply_withdrawal
from kiosk.masking import mask_phone

router = APIRouter(prefix="/v1/intake", tags=["intake"])

_CRM_KINDS = (IntakeKind.TOUCHPOINT_EVENT, IntakeKind.RATING, IntakeKind.COMPLAINT_SUGGESTION)
_PHONE_FIELDS = ("callback_phone", "contact_phone")
CONFLICT_REASON = "idempotency key already used for another transaction; this one was not applied"


@router.post(
    "/batch",
    responses=error_responses(
        Code.BAD_CHANNEL, Code.BAD_ENVELOPE, Code.BAD_REQUEST, Code.TERMINAL_UNAUTHORISED
    ),
)
def intake_batch(
    body: IntakeBatch, context: Context, terminal_id: TerminalId, request: Request
) -> Envelope[IntakeBatchData]:
    """Applies each item at most once per idempotency key and answers per item, in order. A key seen
    before with the same kind and payload gets its first answer again (accepted → duplicate with the same
    reference); with another kind or payload it is a conflict, and that item is not applied. The batch
    commits as one transaction: an error answer means none of it was applied."""
    keys = [item.idempotency_key for item in body.items]
    now = context.clock()
    results: list[IntakeResult] = []
    with context.db.transaction() as session:
        hall = context.kiosk(session, terminal_id).group
        sender = _Sender(terminal_id, hall, request.app.state.crm.deadlines)
        ticket_key = visit_keys.load(session).ticket
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
                record = _apply(session, item, digest, sender, now, ticket_key)
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


@dataclass(frozen=True)
class _Sender:
    terminal_id: str
    hall: str  # the kiosk's group, the centre's record of it
    deadlines: CaseDeadlines


def _apply(
    session: Session, item: IntakeItem, digest: str, sender: _Sender, now: dt.datetime, ticket_key: bytes
) -> IntakeRecord:
    """Checks the item, hands it to its kind's service and records the outcome (added and flushed)."""
    terminal_id = sender.terminal_id
    record = IntakeRecord(
        terminal_id=terminal_id,
        idempotency_key=item.idempotency_key,
        kind=item.kind,
        payload_digest=digest,
        received_at=int(now.timestamp()),
    )
    # The ticket before the payload: an item no citizen's visit covers is refused for that alone.
    try:
        kind, created = check_kind_and_time(item.kind, item.created_at, now)
        claims = covering_claims(item.visit_ticket, kind, terminal_id, created, ticket_key)
        checked = check_payload(kind, created, item.payload, now)
        citizen = check_citizen(session, claims, checked.payload)
        citizen_ref = claims.ref if claims else None
        if kind in _CRM_KINDS:
            key = item.idempotency_key
            reference = _record_for_crm(session, kind, checked, sender, citizen_ref, key, now)
        elif kind is IntakeKind.STAFF_AUDIT_EVENT:
            received_at = int(now.timestamp())
            staff_audit.record(session, checked.payload, terminal_id=terminal_id, received_at=received_at)
            reference = None
        else:
            reference = _serve(session, kind, checked, citizen, terminal_id, item.idempotency_key, now)
    except ItemRefused as refusal:
        record.status = IntakeStatus.REJECTED.value
        record.reason = _fitted_reason(str(refusal))
        session.add(record)
        session.flush()
        return record
    record.status = IntakeStatus.ACCEPTED.value
    record.payload = json.dumps(_without_phones(checked.payload), ensure_ascii=False, sort_keys=True)
    record.kiosk_created_at = checked.created_at
    record.citizen_ref = citizen_ref
    record.reference = reference
    session.add(record)
    session.flush()
    if record.reference is None:
        record.reference = f"R{record.id:012d}"
    return record


def _fitted_reason(reason: str) -> str:
    """The reason cut to its column: a validation message can quote a long list of allowed values, and
    PostgreSQL refuses a string longer than its column where SQLite would have kept it whole."""
    column = IntakeRecord.__table__.c.reason.type
    assert isinstance(column, String) and column.length is not None
    length = column.length
    return reason if len(reason) <= length else reason[: length - 1] + "…"


def _without_phones(payload: dict[str, Any]) -> dict[str, Any]:
    """The payload as the intake keeps it: a phone only masked here, as the CRM tables keep it encrypted."""
    return {
        key: mask_phone(value) if key in _PHONE_FIELDS and value is not None else value
        for key, value in payload.items()
    }


def _record_for_crm(
    session: Session,
    kind: IntakeKind,
    checked: CheckedItem,
    sender: _Sender,
    citizen_ref: str | None,
    idempotency_key: str,
    now: dt.datetime,
) -> str | None:
    """Stores a touchpoint, rating or complaint in the CRM tables; a complaint's reference is the code the
    kiosk printed. None for the other kinds."""
    received_at = int(now.timestamp())
    if kind is IntakeKind.TOUCHPOINT_EVENT:
        crm_store.add_touchpoint(
            session,
            checked.payload,
            source=sender.terminal_id,
            hall=sender.hall,
            citizen_ref=citizen_ref,
            received_at=received_at,
            created_at=checked.created_at,
        )
    elif kind is IntakeKind.RATING:
        crm_store.add_rating(
            session,
            checked.payload,
            terminal_id=sender.terminal_id,
            hall=sender.hall,
            citizen_ref=citizen_ref,
            received_at=received_at,
            created_at=checked.created_at,
            deadlines=sender.deadlines,
        )
    elif kind is IntakeKind.COMPLAINT_SUGGESTION:
        return crm_store.add_complaint(
            session,
            checked.payload,
            terminal_id=sender.terminal_id,
            hall=sender.hall,
            citizen_ref=citizen_ref,
            received_at=received_at,
            idempotency_key=idempotency_key,
            created_at=checked.created_at,
        )
    return None


def _serve(
    session: Session,
    kind: IntakeKind,
    checked: CheckedItem,
    citizen: Citizen | None,
    terminal_id: str,
    idempotency_key: str,
    now: dt.datetime,
) -> str | None:
    """Applies a withdrawal or pre-registration through its service: the number the kiosk printed (the
    answer's reference), or ItemRefused with the service's reason. None for the kinds that are only
    recorded (their reference is the record's)."""
    if kind not in (IntakeKind.WITHDRAWAL_APPLICATION, IntakeKind.PRE_REGISTRATION):
        return None
    if citizen is None:
        # Both kinds need a ticket and name a citizen, which check_citizen has matched to the ticket's.
        raise ItemRefused(visit_ticket.OTHER_CITIZEN)
    if kind is IntakeKind.WITHDRAWAL_APPLICATION:
        request = WithdrawalRequest.from_payload(checked.payload)
        filed = apply_withdrawal(
            session, citizen, request, terminal_id=terminal_id, idempotency_key=idempotency_key, now=now
        )
        if isinstance(filed, Accepted):
            return filed.claim_number
        raise ItemRefused(filed.intake_reason)
    registered = apply_pre_registration(
        session,
        citizen,
        checked.payload,
        terminal_id=terminal_id,
        idempotency_key=idempotency_key,
        taken_at=checked.created_at,
        now=now,
    )
    if isinstance(registered, Registered):
        return registered.code
    raise ItemRefused(registered.reason)


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
        reference=record.reference,
    )
