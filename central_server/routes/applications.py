"""My applications (我的申请): everything the signed-in citizen has filed, newest first."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel, Field

from central_server.application_sources import ApplicationSource, ApplicationSummary, newest_first
from central_server.appointments import appointment_summaries
from central_server.auth import CitizenSessionRef
from central_server.context import Context
from central_server.envelope import CITIZEN_ERRORS, Envelope, error_responses, ok
from central_server.preregistration import pre_registration_summaries
from central_server.withdrawals import withdrawal_summaries

router = APIRouter(prefix="/v1/citizen", tags=["applications"])

# The registration point: one source per kind of application (application_sources.py says what a source is).
APPLICATION_SOURCES: tuple[ApplicationSource, ...] = (
    withdrawal_summaries,
    appointment_summaries,
    pre_registration_summaries,
)
# The newest this many; a kiosk screen shows far fewer.
MAX_ITEMS = 100


class ApplicationList(BaseModel):
    items: list[ApplicationSummary] = Field(description=f"newest first, at most {MAX_ITEMS}")


@router.get("/applications", responses=error_responses(*CITIZEN_ERRORS))
def my_applications(context: Context, citizen_ref: CitizenSessionRef) -> Envelope[ApplicationList]:
    with context.db.transaction() as session:
        items = newest_first(APPLICATION_SOURCES, session, citizen_ref.citizen_id, context.clock())
    return ok(context.sequence, ApplicationList(items=items[:MAX_ITEMS]))
