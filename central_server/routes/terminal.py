from __future__ import annotations

from fastapi import APIRouter, Request
from sqlalchemy import delete

from central_server import terminal_auth_guard
from central_server.auth import TERMINAL_TOKEN_SECONDS, SenderId
from central_server.context import Context
from central_server.envelope import ApiError, Code, Envelope, error_responses, ok
from central_server.models import TerminalToken
from central_server.schemas import TerminalAuthRequest, TerminalTokenData
from central_server.security import new_token, secret_matches, token_digest

router = APIRouter(prefix="/v1", tags=["terminal"])


@router.post(
    "/terminal/auth",
    responses=error_responses(
        Code.BAD_CHANNEL, Code.BAD_ENVELOPE, Code.BAD_REQUEST, Code.TERMINAL_UNAUTHORISED, Code.RATE_LIMITED
    ),
)
def authenticate_terminal(
    body: TerminalAuthRequest, context: Context, sender: SenderId, request: Request
) -> Envelope[TerminalTokenData]:
    """A terminal token for the right secret. After too many failures from the caller's address, or for
    this terminal from elsewhere, every attempt is answered rate_limited until the window has passed."""
    # The address uvicorn reports: the peer, or X-Forwarded-For from a proxy it trusts.
    address = request.client.host if request.client else "unknown"
    now = context.unix_now()
    limits = context.limits
    token = new_token()
    with context.db.transaction() as session:
        retry_after = terminal_auth_guard.retry_after(session, limits, body.terminal_id, address, now)
        expected = context.terminals.get(session, body.terminal_id)
        if retry_after is not None:
            outcome: ApiError | None = ApiError(
                Code.RATE_LIMITED,
                "too many failed terminal authentications from this address or for this terminal",
                {"retry_after": retry_after},
            )
        elif (
            expected is None or body.terminal_id != sender or not secret_matches(body.secret, expected.secret)
        ):
            terminal_auth_guard.record_failure(session, limits, body.terminal_id, address, now)
            outcome = ApiError(
                Code.TERMINAL_UNAUTHORISED, "unknown terminal, wrong secret, or body and header differ"
            )
        else:
            terminal_auth_guard.record_success(session, body.terminal_id, address, now)
            session.execute(delete(TerminalToken).where(TerminalToken.expires_at <= now))
            session.add(
                TerminalToken(
                    token_digest=token_digest(token),
                    terminal_id=body.terminal_id,
                    expires_at=now + TERMINAL_TOKEN_SECONDS,
                )
            )
            outcome = None
    # Raised only after the commit, so a failure is counted.
    if outcome is not None:
        raise outcome
    return ok(context.sequence, TerminalTokenData(token=token, expires_in=TERMINAL_TOKEN_SECONDS))
