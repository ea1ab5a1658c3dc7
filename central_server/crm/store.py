"""Stores what the intake accepted for the CRM: touchpoints, ratings (opening a case for a bad one) and
complaints. Called inside the intake's transaction, so an item and its rows commit together."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from central_server.crm import phone_vault
from central_server.crm.deadlines import CaseDeadlines, case_deadlines
from central_server.crm.models import Complaint, FollowUpCase, Rating, Touchpoint, TouchpointDay
from central_server.crm.periods import period_keys
from central_server.intake_schemas import ItemRefused
from kiosk.transaction_numbers import kiosk_code, readable

# A rating this low is a 差评: 不满意 (2) or 非常不满意 (1).
BAD_SCORE = 2


def add_touchpoint(
    session: Session,
    event: dict[str, Any],
    *,
    source: str,
    hall: str,
    citizen_ref: str | None,
    received_at: int,
    created_at: dt.datetime | None,
) -> None:
    """`event` is a checked TouchpointEvent dump; `created_at` the kiosk's, None from other channels."""
    at_s = int(dt.datetime.fromisoformat(event["at"]).timestamp())
    row = {
        "terminal_id": source,
        "hall": hall,
        "channel": event["channel"],
        "visit_id": event["visit_id"],
        "citizen_ref": citizen_ref,
        "event": event["event"],
        "service": event["service"],
        "screen": event["screen"],
        "detail": event["detail"],
        "at_s": at_s,
        "duration_ms": event["duration_ms"],
        "delay_s": None if created_at is None else max(received_at - int(created_at.timestamp()), 0),
        "received_at": received_at,
        **period_keys(at_s),
    }
    session.add(Touchpoint(**row))
    count_touchpoints(session, [row])


_DAY_KEY = ("day", "week", "month", "terminal_id", "hall", "service", "event", "step")


def count_touchpoints(session: Session, rows: Iterable[Mapping[str, Any]]) -> None:
    """Adds touchpoints (Touchpoint column → value) to their days' counts in crm_touchpoint_days; whoever
    stores touchpoints calls this in the same transaction. One upsert per key: INSERT … ON CONFLICT (the
    unique key) DO UPDATE SET touchpoints = touchpoints + new. The database applies it atomically against
    the unique index, so workers counting the same key at once each add their own (PostgreSQL makes the
    second wait for the first's row; SQLite has one writer at a time)."""
    counts: Counter[tuple[Any, ...]] = Counter()
    for row in rows:
        step = (row["detail"] or row["screen"] or "unknown") if row["event"] == "service_abandoned" else ""
        where = (row["day"], row["week"], row["month"], row["terminal_id"], row["hall"])
        counts[(*where, row["service"] or "", row["event"], step)] += 1
    if not counts:
        return
    statement = _dialect_insert(session)
    session.execute(
        statement.on_conflict_do_update(
            index_elements=["day", "terminal_id", "hall", "service", "event", "step"],
            set_={"touchpoints": TouchpointDay.touchpoints + statement.excluded.touchpoints},
        ),
        [dict(zip(_DAY_KEY, key, strict=True), touchpoints=n) for key, n in counts.items()],
    )


def _dialect_insert(session: Session) -> sqlite.Insert | postgresql.Insert:
    """Core INSERT has no upsert; SQLite and PostgreSQL spell the same ON CONFLICT in their own."""
    dialect = session.get_bind().dialect.name
    if dialect == "sqlite":
        return sqlite.insert(TouchpointDay)
    if dialect == "postgresql":
        return postgresql.insert(TouchpointDay)
    raise RuntimeError(f"database dialect {dialect}: the CRM daily counts need sqlite or postgresql")


def add_rating(
    session: Session,
    payload: dict[str, Any],
    *,
    terminal_id: str,
    hall: str,
    citizen_ref: str | None,
    created_at: dt.datetime,
    received_at: int,
    deadlines: CaseDeadlines,
) -> None:
    """One rating per case and round (ItemRefused for a second); a 差评 opens its follow-up case, whose
    deadlines run from when the citizen rated."""
    already = session.scalar(
        select(Rating.id).where(
            Rating.case_ref == payload["case_ref"], Rating.rating_round == payload["rating_round"]
        )
    )
    if already is not None:
        raise ItemRefused("payload field case_ref: this case is already rated in this round")
    rated_at = int(created_at.timestamp())
    periods = period_keys(rated_at)
    rating = Rating(
        terminal_id=terminal_id,
        hall=hall,
        visit_id=payload["visit_id"],
        case_ref=payload["case_ref"],
        citizen_ref=citizen_ref,
        service=payload["service_code"],
        score=payload["score"],
        reasons=",".join(payload["detail_codes"]),
        rating_round=payload["rating_round"],
        phone_cipher=phone_vault.seal(session, payload["callback_phone"]),
        rated_at=rated_at,
        received_at=received_at,
        **periods,
    )
    session.add(rating)
    if payload["score"] > BAD_SCORE:
        return
    session.flush()
    callback_due, resolve_due = case_deadlines(created_at, deadlines)
    session.add(
        FollowUpCase(
            rating_id=rating.id,
            terminal_id=terminal_id,
            hall=hall,
            service=rating.service,
            opened_at=rated_at,
            callback_due=int(callback_due.timestamp()),
            resolve_due=int(resolve_due.timestamp()),
            **periods,
        )
    )


def add_complaint(
    session: Session,
    payload: dict[str, Any],
    *,
    terminal_id: str,
    hall: str,
    citizen_ref: str | None,
    idempotency_key: str,
    created_at: dt.datetime,
    received_at: int,
) -> str:
    """Stores it and answers its reference, the one the kiosk printed on the slip before delivery."""
    reference = readable(kiosk_code(terminal_id, idempotency_key))
    filed_at = int(created_at.timestamp())
    session.add(
        Complaint(
            terminal_id=terminal_id,
            hall=hall,
            reference=reference,
            category=payload["category"],
            topic=payload["topic"],
            text=payload["text"],
            phone_cipher=phone_vault.seal(session, payload["contact_phone"]),
            visit_id=payload["visit_id"],
            citizen_ref=citizen_ref,
            filed_at=filed_at,
            received_at=received_at,
            **period_keys(filed_at),
        )
    )
    return reference
