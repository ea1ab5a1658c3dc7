"""Staff endpoints: the roster for kiosks (terminal token), the audit trail for operators."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Header, Query, Response

from central_server.auth import TerminalId
from central_server.context import Context
from central_server.dates import CENTRE_TZ, centre_today
from central_server.envelope import ApiError, Code, Envelope, error_responses, ok
from central_server.fleet.routes import Operator
from central_server.staff.audit import StaffAuditData, events
from central_server.staff.roster import RosterData, roster, roster_etag

MAX_AUDIT_LISTED = 1000
# Without `from`, a week back: enough for "what happened at this kiosk lately" without reading years.
DEFAULT_AUDIT_DAYS = 7

kiosk_router = APIRouter(prefix="/v1/terminal", tags=["staff"])
operator_router = APIRouter(prefix="/v1/admin", tags=["operators"])


@kiosk_router.get(
    "/staff",
    response_model=Envelope[RosterData],
    responses={
        304: {"description": "the roster named in If-None-Match is still the current one"},
        **error_responses(Code.BAD_CHANNEL, Code.BAD_ENVELOPE, Code.TERMINAL_UNAUTHORISED),
    },
)
def staff_roster(
    context: Context,
    terminal_id: TerminalId,
    response: Response,
    if_none_match: Annotated[str | None, Header(alias="If-None-Match")] = None,
) -> Any:
    """The active staff accounts a kiosk checks a maintenance sign-in against: numbers, PIN hashes and
    roles, no names. Inactive accounts are left out."""
    with context.db.transaction() as session:
        data = roster(session)
    etag = roster_etag(data)
    if if_none_match == etag:
        return Response(status_code=304, headers={"ETag": etag})
    response.headers["ETag"] = etag
    return ok(context.sequence, data)


@operator_router.get("/staff-audit", responses=error_responses(Code.BAD_REQUEST, Code.OPERATOR_UNAUTHORISED))
def staff_audit(
    context: Context,
    _operator: Operator,
    terminal: Annotated[str | None, Query(max_length=64, description="only this kiosk's events")] = None,
    from_: Annotated[dt.date | None, Query(alias="from", description="first day, centre time")] = None,
    to: Annotated[dt.date | None, Query(description="last day, centre time (default today)")] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_AUDIT_LISTED)] = 200,
) -> Envelope[list[StaffAuditData]]:
    """What staff did at the kiosks from `from` to `to` (both included; default the 7 days to today), by
    the time the kiosk gave each event, newest first."""
    last = to or centre_today(context.clock())
    first = from_ or last - dt.timedelta(days=DEFAULT_AUDIT_DAYS - 1)
    if first > last:
        raise ApiError(Code.BAD_REQUEST, "query parameter from: must not be after to")
    start = dt.datetime.combine(first, dt.time(), CENTRE_TZ)
    end = dt.datetime.combine(last + dt.timedelta(days=1), dt.time(), CENTRE_TZ)
    with context.db.transaction() as session:
        rows = events(session, terminal_id=terminal, start=start, end=end, limit=limit)
    return ok(context.sequence, rows)
