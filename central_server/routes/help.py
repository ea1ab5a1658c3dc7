"""POST /v1/terminal/help-requests: a citizen at a kiosk tapped "呼叫工作人员 / Call staff"
(central_server/help_requests.py; the hall sees it in the console's fleet view)."""

from __future__ import annotations

from fastapi import APIRouter

from central_server import help_requests
from central_server.auth import TerminalId
from central_server.context import Context
from central_server.envelope import ApiError, Code, Envelope, error_responses, ok
from central_server.help_requests import HelpRequestBody, HelpRequestData

router = APIRouter(prefix="/v1/terminal", tags=["help"])


@router.post(
    "/help-requests",
    responses=error_responses(
        Code.BAD_CHANNEL, Code.BAD_ENVELOPE, Code.BAD_REQUEST, Code.TERMINAL_UNAUTHORISED
    ),
)
def request_help(
    body: HelpRequestBody, context: Context, terminal_id: TerminalId
) -> Envelope[HelpRequestData]:
    """Call staff to this kiosk. The body names the kiosk, the screen and the kiosk's time, and nothing
    else (any other field is refused). While the kiosk's last call is open (not yet marked done in the
    console), the answer is that call, its `calls` counted up and `already_open` true; no new call is made."""
    if body.terminal_id != terminal_id:
        raise ApiError(Code.BAD_REQUEST, "terminal_id: not the X-Terminal-Id of this request")
    with context.db.transaction() as session:
        answer = help_requests.call(session, body, context.unix_now())
    return ok(context.sequence, answer)
