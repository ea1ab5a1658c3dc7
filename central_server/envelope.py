"""The response envelope, the error codes, and the envelope-header checks."""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING, Annotated, Any, Generic, TypeVar

from fastapi import FastAPI, Header, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

if TYPE_CHECKING:
    from central_server.sequence import CentreSequence


class Code(StrEnum):
    OK = "ok"
    BAD_CHANNEL = "bad_channel"
    BAD_ENVELOPE = "bad_envelope"
    BAD_REQUEST = "bad_request"
    TERMINAL_UNAUTHORISED = "terminal_unauthorised"
    OPERATOR_UNAUTHORISED = "operator_unauthorised"
    SIGN_IN_FAILED = "sign_in_failed"
    PASSWORD_LOCKED = "password_locked"
    SESSION_EXPIRED = "session_expired"
    WEAK_PASSWORD = "weak_password"
    NOT_FOUND = "not_found"
    NOT_BOOKABLE = "not_bookable"
    SLOT_FULL = "slot_full"
    APPOINTMENT_LIMIT = "appointment_limit"
    CANCEL_REFUSED = "cancel_refused"
    COUNTER_UNAUTHORISED = "counter_unauthorised"
    CHANNEL_UNAUTHORISED = "channel_unauthorised"
    CASE_CLOSED = "case_closed"
    ALREADY_ACKNOWLEDGED = "already_acknowledged"
    BATCH_CONFLICT = "batch_conflict"
    PRE_REGISTRATION_CLOSED = "pre_registration_closed"
    NO_SETTLED_LOAN = "no_settled_loan"
    ACCOUNT_CLOSED = "account_closed"
    PAYLOAD_TOO_LARGE = "payload_too_large"
    RATE_LIMITED = "rate_limited"
    SERVER_ERROR = "server_error"


HTTP_STATUS: dict[Code, int] = {
    Code.OK: 200,
    Code.BAD_CHANNEL: 400,
    Code.BAD_ENVELOPE: 400,
    Code.BAD_REQUEST: 400,
    Code.TERMINAL_UNAUTHORISED: 401,
    Code.OPERATOR_UNAUTHORISED: 401,
    Code.SIGN_IN_FAILED: 401,
    Code.PASSWORD_LOCKED: 423,
    Code.SESSION_EXPIRED: 401,
    Code.WEAK_PASSWORD: 400,
    Code.NOT_FOUND: 404,
    Code.NOT_BOOKABLE: 409,
    Code.SLOT_FULL: 409,
    Code.APPOINTMENT_LIMIT: 409,
    Code.CANCEL_REFUSED: 409,
    Code.COUNTER_UNAUTHORISED: 401,
    Code.CHANNEL_UNAUTHORISED: 401,
    Code.CASE_CLOSED: 409,
    Code.ALREADY_ACKNOWLEDGED: 409,
    Code.BATCH_CONFLICT: 409,
    Code.PRE_REGISTRATION_CLOSED: 409,
    Code.NO_SETTLED_LOAN: 409,
    Code.ACCOUNT_CLOSED: 409,
    Code.PAYLOAD_TOO_LARGE: 413,
    Code.RATE_LIMITED: 429,
    Code.SERVER_ERROR: 500,
}

SELF_SERVICE_CHANNEL = "50"

T = TypeVar("T")


class Envelope(BaseModel, Generic[T]):
    code: Code = Field(description="stable machine code; HTTP status follows it")
    message: str = Field(description="for logs and operators, never shown to a citizen as is")
    centre_seq: str = Field(
        description="the centre's sequence number for this exchange", pattern=r"^C[0-9]{10,}$"
    )
    data: T


class ErrorEnvelope(Envelope[dict[str, Any] | None]):
    """A failure: `data` is null except for sign_in_failed (`attempts_left`), password_locked
    (`locked_until`), rate_limited (`retry_after`) and weak_password (`reason`, `zh`, `en`)."""


class ApiError(Exception):
    def __init__(self, code: Code, message: str, data: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.data = data


def ok(sequence: CentreSequence, data: T, message: str = "ok") -> Envelope[T]:
    return Envelope(code=Code.OK, message=message, centre_seq=sequence.next(), data=data)


# What any call under a citizen session may answer, besides the codes of its own.
CITIZEN_ERRORS = (Code.BAD_CHANNEL, Code.BAD_ENVELOPE, Code.TERMINAL_UNAUTHORISED, Code.SESSION_EXPIRED)


def error_responses(*codes: Code) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses` for the error codes a route can answer, grouped by HTTP status."""
    by_status: dict[int, list[str]] = {}
    for code in (*codes, Code.SERVER_ERROR):
        by_status.setdefault(HTTP_STATUS[code], []).append(code.value)
    return {
        status: {"model": ErrorEnvelope, "description": ", ".join(names)}
        for status, names in by_status.items()
    }


def envelope_headers(
    x_channel: Annotated[str, Header(alias="X-Channel", description="50 = self-service terminal (自助终端)")],
    x_terminal_id: Annotated[
        str, Header(alias="X-Terminal-Id", pattern=r"^[A-Za-z0-9._-]{1,64}$", description="the kiosk id")
    ],
    x_centre_id: Annotated[
        str, Header(alias="X-Centre-Id", pattern=r"^[A-Za-z0-9._-]{1,32}$", description="the centre id")
    ],
    x_seq_no: Annotated[
        str,
        Header(
            alias="X-Seq-No",
            pattern=r"^[1-9][0-9]{0,17}$",
            description="the kiosk's sender sequence number, a positive integer",
        ),
    ],
) -> str:
    """The sending terminal's id. X-Centre-Id and X-Seq-No are only checked. Missing or malformed headers
    never reach this body: they fail validation, which the handler below answers as bad_envelope naming the
    header."""
    if x_channel != SELF_SERVICE_CHANNEL:
        raise ApiError(Code.BAD_CHANNEL, f"X-Channel must be {SELF_SERVICE_CHANNEL}")
    return x_terminal_id


def _validation_message(error: dict[str, Any]) -> tuple[Code, str]:
    """Names the header, query parameter or body field; never echoes the value, which may be personal."""
    where, *path = error["loc"]
    name = ".".join(str(part) for part in path)
    if where == "header":
        return Code.BAD_ENVELOPE, f"missing or malformed header {name}: {error['msg']}"
    if not name:
        return Code.BAD_REQUEST, f"{where}: {error['msg']}"
    place = {"query": "query parameter", "body": "body field"}.get(where, str(where))
    return Code.BAD_REQUEST, f"{place} {name}: {error['msg']}"


def install_exception_handlers(app: FastAPI, sequence: CentreSequence) -> None:
    """Every failure, FastAPI's validation errors, unknown routes and crashes included, is an envelope."""

    def respond(code: Code, message: str, data: dict[str, Any] | None = None) -> JSONResponse:
        body = ErrorEnvelope(code=code, message=message, centre_seq=sequence.next(), data=data)
        return JSONResponse(jsonable_encoder(body), status_code=HTTP_STATUS[code])

    # Registered with the decorator: its typing takes handlers of a narrower exception type, which
    # add_exception_handler's signature (any Exception) does not.
    @app.exception_handler(ApiError)
    async def api_error(request: Request, exc: ApiError) -> JSONResponse:
        return respond(exc.code, exc.message, exc.data)

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
        # Envelope problems come first: they say the request cannot even be attributed to a terminal.
        errors = sorted(exc.errors(), key=lambda error: error["loc"][0] != "header")
        return respond(*_validation_message(errors[0]))

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        where = f"{request.method} {request.url.path}"
        if exc.status_code == 404:
            return respond(Code.NOT_FOUND, f"no such endpoint: {where}")
        return respond(Code.BAD_REQUEST, f"{where}: {exc.detail}")

    @app.exception_handler(Exception)
    async def server_error(request: Request, exc: Exception) -> JSONResponse:
        return respond(Code.SERVER_ERROR, "internal server error")
