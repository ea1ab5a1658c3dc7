"""Pre-registration (预登记): a case registered at a kiosk before the citizen comes to a counter.

It reaches the centre through the kiosk's outbox, perhaps hours after the kiosk printed the slip, so the
code on the slip is the kiosk's own: both sides derive it from the terminal id and the item's idempotency
key (`kiosk.transaction_numbers.kiosk_code`), which are unique per transaction. The centre refuses one
whose code another pre-registration already holds (a hash clash, about one in 10^12 for any two), naming
the code.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint, select, update
from sqlalchemy.engine import CursorResult
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from central_server.application_sources import ApplicationSummary
from central_server.business_types import BusinessType
from central_server.dates import centre_today
from central_server.models import Base, Citizen, UtcDateTime
from kiosk.transaction_numbers import CODE_LENGTH, PRE_REGISTRATION_VALID_DAYS, kiosk_code, readable

# A slip is good on the day it was taken (centre time) and the seven days after.
VALID_DAYS = PRE_REGISTRATION_VALID_DAYS

PreRegistrationState = Literal["waiting", "done"]


class PreRegistrationRecord(Base):
    __tablename__ = "pre_registrations"
    __table_args__ = (
        UniqueConstraint("terminal_id", "idempotency_key", name="uq_pre_registration_item"),
        # A citizen's waiting pre-registrations: the advice and the citizen's own list read them.
        Index("ix_pre_registrations_citizen", "citizen_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(CODE_LENGTH), unique=True)
    citizen_id: Mapped[int] = mapped_column(ForeignKey("citizens.id"))
    business_code: Mapped[str] = mapped_column(ForeignKey("business_types.code"))
    note: Mapped[str] = mapped_column(Text)
    terminal_id: Mapped[str] = mapped_column(String(64))
    idempotency_key: Mapped[str] = mapped_column(String(64))
    taken_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    valid_until: Mapped[dt.date]
    state: Mapped[PreRegistrationState] = mapped_column(String(10))
    done_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)

    citizen: Mapped[Citizen] = relationship()
    business: Mapped[BusinessType] = relationship()


def valid_until(taken_at: dt.datetime) -> dt.date:
    return centre_today(taken_at) + dt.timedelta(days=VALID_DAYS)


def current_state(record: PreRegistrationRecord, today: dt.date) -> Literal["waiting", "done", "expired"]:
    if record.state == "waiting" and today > record.valid_until:
        return "expired"
    return record.state


@dataclass(frozen=True)
class Registered:
    code: str
    valid_until: dt.date


@dataclass(frozen=True)
class Refused:
    reason: str


def apply_pre_registration(
    session: Session,
    citizen: Citizen,
    payload: Mapping[str, Any],
    *,
    terminal_id: str,
    idempotency_key: str,
    taken_at: dt.datetime,
    now: dt.datetime,
) -> Registered | Refused:
    """Records a checked `pre_registration` payload (intake_schemas.PreRegistration, as check_item gives
    it) of `citizen`, taken at `taken_at` (the item's created_at) by `terminal_id` under `idempotency_key`.
    Applying the same item again gives the same code. Reasons name fields and codes, never personal data."""
    if payload["id_number"] != citizen.id_number or payload["name"] != citizen.name:
        return Refused("payload fields id_number and name: not the citizen of this visit")
    business = session.get(BusinessType, payload["business_code"])
    if business is None:
        return Refused(f"payload field business_code: no business type {payload['business_code']}")
    if not business.pre_registrable:
        return Refused(f"payload field business_code: business {business.code} is not pre-registered")
    until = valid_until(taken_at)
    if centre_today(now) > until:
        return Refused(f"arrived after its code's last valid day {until.isoformat()}; it was not recorded")
    code = kiosk_code(terminal_id, idempotency_key)
    existing = session.scalars(
        select(PreRegistrationRecord).where(PreRegistrationRecord.code == code)
    ).one_or_none()
    if existing is not None:
        if (existing.terminal_id, existing.idempotency_key) == (terminal_id, idempotency_key):
            return Registered(existing.code, existing.valid_until)
        return _clash(code)
    record = PreRegistrationRecord(
        code=code,
        citizen_id=citizen.id,
        business_code=business.code,
        note=payload.get("note", ""),
        terminal_id=terminal_id,
        idempotency_key=idempotency_key,
        taken_at=taken_at,
        valid_until=until,
        state="waiting",
        done_at=None,
    )
    # A savepoint: another worker may record the same code between the look-up and this insert, and the
    # clash must refuse this item only, not roll back the rest of its batch.
    try:
        with session.begin_nested():
            session.add(record)
    except IntegrityError:
        return _clash(code)
    return Registered(code, until)


def _clash(code: str) -> Refused:
    return Refused(
        f"pre-registration code {readable(code)} is held by another pre-registration; this one was not "
        "recorded (the citizen registers at the counter)"
    )


def find(session: Session, code: str) -> PreRegistrationRecord | None:
    return session.scalars(
        select(PreRegistrationRecord).where(PreRegistrationRecord.code == code)
    ).one_or_none()


def mark_done(session: Session, record: PreRegistrationRecord, now: dt.datetime) -> bool:
    """Marks a waiting, unexpired pre-registration handled; False when it is done or expired. Conditional,
    so two counters pressing at once mark it once."""
    if current_state(record, centre_today(now)) != "waiting":
        return False
    result = session.execute(
        update(PreRegistrationRecord)
        .where(PreRegistrationRecord.id == record.id, PreRegistrationRecord.state == "waiting")
        .values(state="done", done_at=now)
        .execution_options(synchronize_session=False)
    )
    if not isinstance(result, CursorResult):
        raise TypeError("an UPDATE answers with a cursor result")
    session.refresh(record)
    return result.rowcount == 1


_PRE_REGISTRATION_STATES = {
    "waiting": ("待办理", "waiting at the counter"),
    "done": ("已办理", "handled"),
    "expired": ("已过期", "expired"),
}


def pre_registration_summaries(
    session: Session, citizen_id: int, now: dt.datetime
) -> list[ApplicationSummary]:
    """The citizen's pre-registrations for "my applications", with their state as of the centre's day."""
    today = centre_today(now)
    records = session.scalars(
        select(PreRegistrationRecord).where(PreRegistrationRecord.citizen_id == citizen_id)
    ).all()
    summaries = []
    for record in records:
        state = current_state(record, today)
        state_zh, state_en = _PRE_REGISTRATION_STATES[state]
        summaries.append(
            ApplicationSummary(
                kind="pre_registration",
                number=readable(record.code),
                state=state,
                created_at=record.taken_at,
                summary_zh=f"{record.business.name_zh}预登记，{state_zh}（至{record.valid_until.isoformat()}）",
                summary_en=f"{record.business.name_en} pre-registration, {state_en} (until "
                f"{record.valid_until.isoformat()})",
            )
        )
    return summaries
