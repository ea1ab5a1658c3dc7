"""Terminal tokens and citizen sessions, as FastAPI dependencies."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer

from central_server.context import Context
from central_server.envelope import ApiError, Code, envelope_headers
from central_server.models import CitizenSession, TerminalToken
from central_server.security import token_digest

TERMINAL_TOKEN_SECONDS = 3600
CITIZEN_SESSION_SECONDS = 300

_bearer = HTTPBearer(
    auto_error=False, scheme_name="TerminalToken", description="the token from POST /v1/terminal/auth"
)
_session_header = APIKeyHeader(
    name="X-Citizen-Session",
    auto_error=False,
    scheme_name="CitizenSession",
    description="the session token from POST /v1/citizen/session",
)

# The id in X-Terminal-Id, once the envelope headers have passed their checks.
SenderId = Annotated[str, Depends(envelope_headers)]


def _authenticated_terminal(
    context: Context,
    sender: SenderId,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> str:
    if credentials is None:
        raise ApiError(Code.TERMINAL_UNAUTHORISED, "missing terminal token (Authorization: Bearer <token>)")
    with context.db.transaction() as session:
        token = session.get(TerminalToken, token_digest(credentials.credentials))
        active = token is not None and context.terminals.get(session, token.terminal_id) is not None
    if token is None or token.expires_at <= context.unix_now() or not active:
        raise ApiError(Code.TERMINAL_UNAUTHORISED, "terminal token unknown or expired")
    if token.terminal_id != sender:
        raise ApiError(Code.TERMINAL_UNAUTHORISED, "terminal token was issued to another terminal")
    return sender


# The id of a terminal that sent a valid token of its own.
TerminalId = Annotated[str, Depends(_authenticated_terminal)]


@dataclass(frozen=True)
class CitizenRef:
    citizen_id: int
    token_digest: str


def _citizen_session(
    context: Context, terminal_id: TerminalId, token: Annotated[str | None, Depends(_session_header)]
) -> CitizenRef:
    """The session's citizen; each use extends the session by its full lifetime."""
    if token is None:
        raise ApiError(Code.SESSION_EXPIRED, "missing X-Citizen-Session")
    digest = token_digest(token)
    now = context.unix_now()
    with context.db.transaction() as session:
        row = session.get(CitizenSession, digest)
        # A session belongs to the kiosk the citizen stands at.
        if row is None or row.expires_at <= now or row.terminal_id != terminal_id:
            raise ApiError(Code.SESSION_EXPIRED, "citizen session unknown or expired")
        row.expires_at = now + CITIZEN_SESSION_SECONDS
        return CitizenRef(citizen_id=row.citizen_id, token_digest=digest)


CitizenSessionRef = Annotated[CitizenRef, Depends(_citizen_session)]
