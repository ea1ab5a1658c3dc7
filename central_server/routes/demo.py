from __future__ import annotations

from fastapi import APIRouter
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from central_server.auth import TerminalId
from central_server.context import Context
from central_server.envelope import Code, Envelope, error_responses, ok
from central_server.models import Citizen
from central_server.schemas import DemoCard

router = APIRouter(prefix="/v1", tags=["demo"])

LONG_TERM = "long_term"  # printed 长期 on the card


@router.get(
    "/demo/cards",
    responses=error_responses(Code.BAD_CHANNEL, Code.BAD_ENVELOPE, Code.TERMINAL_UNAUTHORISED),
)
def demo_cards(context: Context, terminal_id: TerminalId) -> Envelope[list[DemoCard]]:
    """The ID-card faces of the synthetic citizens, so the demo can put any of them on the emulated reader.
    Served only by a server started in demo mode."""
    with context.db.transaction() as session:
        citizens = session.scalars(
            select(Citizen)
            .options(selectinload(Citizen.account), selectinload(Citizen.loan))
            .order_by(Citizen.id)
        ).all()
        cards = [
            DemoCard(
                name=citizen.name,
                gender=citizen.gender,
                nation=citizen.nation,
                birth_date=citizen.birth_date,
                address=citizen.address,
                id_number=citizen.id_number,
                issuing_authority=citizen.issuing_authority,
                valid_from=citizen.card_valid_from,
                valid_to=citizen.card_valid_to.isoformat() if citizen.card_valid_to else LONG_TERM,
                status=citizen.account.status,
                has_loan=citizen.loan is not None,
            )
            for citizen in citizens
        ]
    return ok(context.sequence, cards)
