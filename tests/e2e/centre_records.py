"""What the reference centre holds, read from its database: the citizens who may withdraw today and the
withdrawals and intake items that kiosks filed."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from fastapi import FastAPI
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from central_server.dates import centre_today
from central_server.models import Citizen, IntakeRecord
from central_server.seed import OTHER_PASSWORD_NAME
from central_server.withdrawal_rules import assess_all
from central_server.withdrawals import WithdrawalApplicationRow, citizen_facts
from kiosk.devices.idcard.card import LONG_TERM, CardType, Gender, IdCard
from kiosk.devices.idcard.emulator import SYNTHETIC_PHOTO


@dataclass(frozen=True)
class Withdrawer:
    """A synthetic citizen, their ID card, and the reasons they may withdraw for at a kiosk today (codes)."""

    card: IdCard
    reasons: tuple[str, ...]


@dataclass(frozen=True)
class WithdrawalRecord:
    claim_number: str
    id_number: str
    reason: str
    amount_fen: int
    state: str
    terminal_id: str | None
    idempotency_key: str | None


def withdrawers(app: FastAPI, amount_fen: int) -> list[Withdrawer]:
    """Citizens with the demo password, a valid ID card and a reason they may use at a kiosk today for
    `amount_fen` (the synthetic data set follows the calendar, so who they are changes from day to day)."""
    now = dt.datetime.now(dt.UTC)
    today = centre_today(now)
    found = []
    with app.state.context.db.transaction() as session:
        citizens = session.scalars(
            select(Citizen)
            .options(selectinload(Citizen.account), selectinload(Citizen.loan))
            .order_by(Citizen.id)
        ).all()
        for citizen in citizens:
            if citizen.name == OTHER_PASSWORD_NAME or (
                citizen.card_valid_to and citizen.card_valid_to < today
            ):
                continue
            reasons = tuple(
                assessment.reason.value
                for assessment in assess_all(citizen_facts(session, citizen), today)
                if assessment.refusal is None
                and not assessment.counter_only
                and assessment.max_fen >= amount_fen
            )
            if reasons:
                found.append(Withdrawer(_id_card(citizen), reasons))
    return found


def _id_card(citizen: Citizen) -> IdCard:
    return IdCard(
        card_type=CardType.RESIDENT,
        name=citizen.name,
        gender=Gender(citizen.gender),
        nation=citizen.nation,
        birth_date=citizen.birth_date,
        address=citizen.address,
        id_number=citizen.id_number,
        issuing_authority=citizen.issuing_authority,
        valid_from=citizen.card_valid_from,
        valid_to=citizen.card_valid_to or LONG_TERM,
        photo=SYNTHETIC_PHOTO,
    )


def withdrawals(app: FastAPI, terminal_id: str) -> list[WithdrawalRecord]:
    """Every withdrawal application that items from `terminal_id` recorded."""
    row = WithdrawalApplicationRow
    with app.state.context.db.transaction() as session:
        rows = session.execute(
            select(row, Citizen.id_number)
            .join(Citizen, Citizen.id == row.citizen_id)
            .where(row.terminal_id == terminal_id)
            .order_by(row.id)
        ).all()
        return [
            WithdrawalRecord(
                r.claim_number, id_number, r.reason, r.amount_fen, r.state, r.terminal_id, r.idempotency_key
            )
            for r, id_number in rows
        ]


def intake_items(app: FastAPI, terminal_id: str, idempotency_key: str) -> int:
    """How many intake records the centre holds for this item (it must never be more than one)."""
    with app.state.context.db.transaction() as session:
        count: int = session.scalar(
            select(func.count())
            .select_from(IntakeRecord)
            .where(IntakeRecord.terminal_id == terminal_id, IntakeRecord.idempotency_key == idempotency_key)
        )
        return count
