"""Changing the query password while signed in (online only)."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import delete
from sqlalchemy.orm import Session

from central_server import sign_in_guard
from central_server.alerts import watch as alert_watch
from central_server.auth import CitizenRef, CitizenSessionRef, TerminalId
from central_server.context import Context
from central_server.dates import centre_today, next_centre_midnight
from central_server.envelope import CITIZEN_ERRORS, ApiError, Code, Envelope, error_responses, ok
from central_server.limits import Limits
from central_server.models import Citizen, CitizenSession
from central_server.password_rules import WEAKNESS_TEXTS, password_weakness
from central_server.security import hash_password, verify_password
from central_server.withdrawals import birth_date_of

router = APIRouter(prefix="/v1/citizen", tags=["citizen"])


class PasswordChange(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    old_password: str = Field(pattern=r"^[0-9]{6}$", description="the current 6-digit query password")
    # Any text: a weak or malformed new password is answered weak_password with its reason.
    new_password: str = Field(max_length=64, description="the new 6-digit query password")


@router.post(
    "/password",
    responses=error_responses(
        *CITIZEN_ERRORS,
        Code.BAD_REQUEST,
        Code.SIGN_IN_FAILED,
        Code.PASSWORD_LOCKED,
        Code.RATE_LIMITED,
        Code.WEAK_PASSWORD,
    ),
)
def change_password(
    body: PasswordChange, context: Context, terminal_id: TerminalId, citizen_ref: CitizenSessionRef
) -> Envelope[None]:
    """A wrong old password fails and counts exactly as a failed sign-in of this citizen (three a centre day
    lock the password). A weak new one is refused with its reason. On success the password is replaced and
    the citizen's other sessions are closed."""
    now = context.clock()
    with context.db.transaction() as session:
        retry_after = sign_in_guard.terminal_retry_after(
            session, context.limits, terminal_id, int(now.timestamp())
        )
        if retry_after is None:
            outcome = _change(session, context.limits, body, terminal_id, citizen_ref, now)
            citizen = session.get_one(Citizen, citizen_ref.citizen_id)
            alert_watch.password_change_attempt(
                session,
                id_number=citizen.id_number,
                name=citizen.name,
                terminal_id=terminal_id,
                refusal=outcome.code if outcome else None,
                now=now,
            )
        else:
            outcome = ApiError(
                Code.RATE_LIMITED,
                "too many failed sign-ins at this terminal; try again later",
                {"retry_after": retry_after},
            )
    # Raised only after the commit, so a wrong old password is counted.
    if outcome is not None:
        raise outcome
    return ok(context.sequence, None, "password changed")


def _change(
    session: Session,
    limits: Limits,
    body: PasswordChange,
    terminal_id: str,
    citizen_ref: CitizenRef,
    now: datetime,
) -> ApiError | None:
    citizen = session.get_one(Citizen, citizen_ref.citizen_id)
    counter = sign_in_guard.counter_for(
        session, sign_in_guard.pair_digest(citizen.id_number, citizen.name), centre_today(now)
    )
    if counter.failures >= sign_in_guard.MAX_WRONG_PASSWORDS:
        return _locked(now)
    if not verify_password(body.old_password, citizen.password_hash):
        sign_in_guard.record_failure(session, limits, counter, terminal_id, int(now.timestamp()))
        attempts_left = sign_in_guard.MAX_WRONG_PASSWORDS - counter.failures
        if not attempts_left:
            return _locked(now)
        return ApiError(Code.SIGN_IN_FAILED, "the old password is wrong", {"attempts_left": attempts_left})
    counter.failures = 0
    weakness = password_weakness(
        body.new_password, citizen.id_number, birth_date_of(citizen.id_number), body.old_password
    )
    if weakness is not None:
        zh, en = WEAKNESS_TEXTS[weakness]
        return ApiError(
            Code.WEAK_PASSWORD,
            f"new password refused: {weakness.value}",
            {"reason": weakness.value, "zh": zh, "en": en},
        )
    citizen.password_hash = hash_password(body.new_password)
    session.execute(
        delete(CitizenSession).where(
            CitizenSession.citizen_id == citizen.id, CitizenSession.token_digest != citizen_ref.token_digest
        )
    )
    return None


def _locked(now: datetime) -> ApiError:
    locked_until = next_centre_midnight(now).isoformat()
    return ApiError(Code.PASSWORD_LOCKED, "query password locked for today", {"locked_until": locked_until})
