"""The counter systems' side: look up a pre-registration by the code on the citizen's slip and mark it
handled. Counters are staff, so they see the citizen's full name and ID number; they authenticate with a
counter token (the server's `counter_tokens`), not as kiosks."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, FastAPI, Path, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from central_server import preregistration
from central_server.context import Context
from central_server.dates import centre_today
from central_server.envelope import ApiError, Code, Envelope, error_responses, ok
from central_server.security import secret_matches
from kiosk.transaction_numbers import ALPHABET, CODE_LENGTH, parse_code, readable

router = APIRouter(prefix="/v1/counter", tags=["counters"])

_counter_bearer = HTTPBearer(auto_error=False, scheme_name="CounterToken", description="a counter token")
_ERRORS = (Code.BAD_REQUEST, Code.COUNTER_UNAUTHORISED, Code.NOT_FOUND)


def _counter(
    request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_counter_bearer)]
) -> None:
    tokens: tuple[str, ...] = request.app.state.counter_tokens
    if credentials is None or not any(secret_matches(credentials.credentials, token) for token in tokens):
        raise ApiError(Code.COUNTER_UNAUTHORISED, "missing or wrong counter token")


Counter = Annotated[None, Depends(_counter)]
CodeText = Annotated[str, Path(max_length=20, description="the slip's code, e.g. 7KQD-M3XA (any case)")]


class BusinessData(BaseModel):
    code: str
    name_zh: str
    name_en: str
    materials_zh: list[str]
    materials_en: list[str]


class PreRegistrationData(BaseModel):
    code: str = Field(description="as printed, e.g. 7KQD-M3XA")
    state: Literal["waiting", "done", "expired"]
    name: str
    id_number: str
    business: BusinessData
    note: str
    terminal_id: str
    taken_at: dt.datetime
    valid_until: dt.date = Field(description="the last day (centre time) the code is good")
    done_at: dt.datetime | None


def _record(session: Session, text: str) -> preregistration.PreRegistrationRecord:
    code = parse_code(text)
    if code is None:
        raise ApiError(
            Code.BAD_REQUEST,
            f"path parameter code: {CODE_LENGTH} characters of {ALPHABET}",
        )
    record = preregistration.find(session, code)
    if record is None:
        raise ApiError(Code.NOT_FOUND, f"no pre-registration {readable(code)}")
    return record


def _data(record: preregistration.PreRegistrationRecord, today: dt.date) -> PreRegistrationData:
    business = record.business
    return PreRegistrationData(
        code=readable(record.code),
        state=preregistration.current_state(record, today),
        name=record.citizen.name,
        id_number=record.citizen.id_number,
        business=BusinessData(
            code=business.code,
            name_zh=business.name_zh,
            name_en=business.name_en,
            materials_zh=list(business.materials_zh),
            materials_en=list(business.materials_en),
        ),
        note=record.note,
        terminal_id=record.terminal_id,
        taken_at=record.taken_at,
        valid_until=record.valid_until,
        done_at=record.done_at,
    )


@router.get("/pre-registrations/{code}", responses=error_responses(*_ERRORS))
def look_up(code: CodeText, context: Context, counter: Counter) -> Envelope[PreRegistrationData]:
    today = centre_today(context.clock())
    with context.db.transaction() as session:
        data = _data(_record(session, code), today)
    return ok(context.sequence, data)


@router.post(
    "/pre-registrations/{code}/done", responses=error_responses(*_ERRORS, Code.PRE_REGISTRATION_CLOSED)
)
def mark_done(code: CodeText, context: Context, counter: Counter) -> Envelope[PreRegistrationData]:
    """Marks a waiting pre-registration handled; one that is done or expired is pre_registration_closed."""
    now = context.clock()
    with context.db.transaction() as session:
        record = _record(session, code)
        if not preregistration.mark_done(session, record, now):
            state = preregistration.current_state(record, centre_today(now))
            raise ApiError(
                Code.PRE_REGISTRATION_CLOSED,
                f"pre-registration {readable(record.code)} is {state}",
            )
        data = _data(record, centre_today(now))
    return ok(context.sequence, data, "done")


def install(app: FastAPI, *, counter_tokens: list[str]) -> None:
    """Add the counter endpoints. Without counter tokens they refuse everyone."""
    app.state.counter_tokens = tuple(counter_tokens)
    app.include_router(router)
