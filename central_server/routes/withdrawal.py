"""Withdrawal options: every reason with what it means for the signed-in citizen today."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel, Field

from central_server.auth import CitizenSessionRef
from central_server.context import Context
from central_server.dates import centre_today
from central_server.envelope import CITIZEN_ERRORS, Envelope, error_responses, ok
from central_server.models import Citizen
from central_server.withdrawal_rules import REASON_NAMES, REFUSAL_TEXTS, Assessment, assess_all
from central_server.withdrawals import citizen_facts

router = APIRouter(prefix="/v1/citizen/withdrawal", tags=["withdrawal"])


class Bilingual(BaseModel):
    zh: str
    en: str


class RefusalData(BaseModel):
    code: str = Field(description="stable machine code, e.g. rent_this_month")
    zh: str = Field(description="a short sentence saying why and what to do")
    en: str


class WithdrawalOption(BaseModel):
    code: str = Field(description="the reason code: 01 租房 … 07 离开本市")
    name: Bilingual
    allowed: bool
    refusal: RefusalData | None = Field(description="why not; null when allowed")
    max_fen: int = Field(description="the most that may be applied for today, in fen; 0 when not allowed")
    materials: list[Bilingual] = Field(description="papers the citizen must have (or bring to the counter)")
    counter_only: bool = Field(description="the kiosk cannot file it: the citizen goes to `office`'s counter")


class WithdrawalOptions(BaseModel):
    office: str = Field(description="the managing office whose counter handles counter-only reasons")
    options: list[WithdrawalOption]


def _option(assessment: Assessment) -> WithdrawalOption:
    name = REASON_NAMES[assessment.reason]
    refusal = None
    if assessment.refusal is not None:
        text = REFUSAL_TEXTS[assessment.refusal]
        refusal = RefusalData(code=assessment.refusal.value, zh=text.zh, en=text.en)
    return WithdrawalOption(
        code=assessment.reason.value,
        name=Bilingual(zh=name.zh, en=name.en),
        allowed=assessment.allowed,
        refusal=refusal,
        max_fen=assessment.max_fen,
        materials=[Bilingual(zh=item.zh, en=item.en) for item in assessment.materials],
        counter_only=assessment.counter_only,
    )


@router.get("/options", responses=error_responses(*CITIZEN_ERRORS))
def withdrawal_options(context: Context, citizen_ref: CitizenSessionRef) -> Envelope[WithdrawalOptions]:
    """Every withdrawal reason, assessed for this citizen on today's centre date."""
    today = centre_today(context.clock())
    with context.db.transaction() as session:
        citizen = session.get_one(Citizen, citizen_ref.citizen_id)
        assessments = assess_all(citizen_facts(session, citizen), today)
        office = citizen.account.unit.office
    return ok(context.sequence, WithdrawalOptions(office=office, options=[_option(a) for a in assessments]))
