"""My applications (我的申请): what a citizen has filed, from every kind of application the centre keeps.

Each kind of application (withdrawals, appointments, pre-registrations) lives in its own module and table;
each offers a source, a function of (session, citizen id, the centre's now) returning its `ApplicationSummary`
rows (the now, for states that follow from the date, such as an expired pre-registration).
`GET /v1/citizen/applications` merges the sources registered in `APPLICATION_SOURCES`
(routes/applications.py)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from typing import Literal

from pydantic import AwareDatetime, BaseModel, Field
from sqlalchemy.orm import Session

ApplicationKind = Literal["withdrawal", "appointment", "pre_registration"]


class ApplicationSummary(BaseModel):
    """One application as the citizen sees it: masked, amounts in fen (the kiosk formats them)."""

    kind: ApplicationKind
    number: str = Field(description="the centre's claim, booking or registration number")
    state: str = Field(description="the kind's own state, e.g. accepted, paid, booked, cancelled")
    created_at: AwareDatetime = Field(description="when the centre recorded it")
    summary_zh: str
    summary_en: str
    amount_fen: int | None = Field(default=None, description="withdrawals: the amount applied for, in fen")
    card_masked: str | None = Field(default=None, description="withdrawals: the payee card, BIN + last 4")


ApplicationSource = Callable[[Session, int, dt.datetime], Sequence[ApplicationSummary]]


def newest_first(
    sources: Sequence[ApplicationSource], session: Session, citizen_id: int, now: dt.datetime
) -> list[ApplicationSummary]:
    """Every source's summaries for this citizen, newest first (by number when two share an instant)."""
    items = [item for source in sources for item in source(session, citizen_id, now)]
    return sorted(items, key=lambda item: (item.created_at.astimezone(dt.UTC), item.number), reverse=True)
