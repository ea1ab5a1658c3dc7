"""GET /v1/citizen/advice: the signed-in citizen's advice for today, most urgent first."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from central_server.advice.profile import citizen_profile
from central_server.advice.rules import MAX_ADVICE, advise
from central_server.auth import CitizenSessionRef
from central_server.context import Context
from central_server.dates import centre_today
from central_server.envelope import CITIZEN_ERRORS, Envelope, error_responses, ok
from central_server.models import Citizen

router = APIRouter(prefix="/v1/citizen", tags=["advice"])


class AdviceItem(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: str = Field(description="stable machine code of the rule, e.g. loan_overdue (docs/advice.md)")
    zh: str = Field(description="one short sentence")
    en: str
    action: Literal["deposits", "loan", "withdrawal", "appointment", "status"] | None = Field(
        description="the kiosk service its button opens; null for no button"
    )
    priority: int = Field(description="1 comes first; the list is already in this order")


class AdviceList(BaseModel):
    model_config = ConfigDict(extra="forbid")

    items: list[AdviceItem] = Field(description=f"most urgent first, at most {MAX_ADVICE}; may be empty")


@router.get("/advice", responses=error_responses(*CITIZEN_ERRORS))
def citizen_advice(context: Context, citizen_ref: CitizenSessionRef) -> Envelope[AdviceList]:
    """What the centre advises this citizen today, from their account, loan, withdrawals, appointments and
    pre-registrations (docs/advice.md)."""
    today = centre_today(context.clock())
    with context.db.transaction() as session:
        citizen = session.get_one(Citizen, citizen_ref.citizen_id)
        advice = advise(citizen_profile(session, citizen, today), today)
    items = [AdviceItem(code=a.code, zh=a.zh, en=a.en, action=a.action, priority=a.priority) for a in advice]
    return ok(context.sequence, AdviceList(items=items))
