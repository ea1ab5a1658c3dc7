from __future__ import annotations

from fastapi import APIRouter
from sqlalchemy import delete

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
        Code.BAD_CHANNEL, Code.BAD_ENVELOPE, Code.BAD_REQUEST, Code.TERMINAL_UNAUTHORISED
    ),
)
def authenticate_terminal(
    body: TerminalAuthRequest, context: Context, sender: SenderId
) -> Envelope[TerminalTokenData]:
    expected = context.terminals.get(body.terminal_id)
    if body.terminal_id != sender or expected is None or not secret_matches(body.secret, expected.secret):
        raise ApiError(
            Code.TERMINAL_UNAUTHORISED, "unknown terminal, wrong secret, or body and header differ"
        )
    token = new_token()
    now = context.unix_now()
    with context.db.transaction() as session:
        session.execute(delete(TerminalToken).where(TerminalToken.expires_at <= now))
        session.add(
            TerminalToken(
                token_digest=token_digest(token),
                terminal_id=body.terminal_id,
                expires_at=now + TERMINAL_TOKEN_SECONDS,
            )
        )
    return ok(context.sequence, TerminalTokenData(token=token, expires_in=TERMINAL_TOKEN_SECONDS))
