"""Citizens' calls for staff ("呼叫工作人员"): a kiosk asks the centre, the hall's operators see the call in
the console's fleet view, acknowledge it (someone is on the way) and mark it done.

A call carries the kiosk, the screen the citizen was on and the kiosk's time: no citizen data of any kind
(the body refuses any other field). A kiosk has at most one open call (open or acknowledged): a second tap,
from the same citizen or the next one, while it is open returns that call with `calls` counted up, so a
worried citizen tapping again and again makes one line in the console, not many. The `open_key` column holds
the kiosk's id while the call is open and NULL once it is done; its uniqueness keeps that true when two
workers take two taps at once."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field
from sqlalchemy import BigInteger, Index, Integer, String, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column

from central_server.models import Base, UtcDateTime

Status = Literal["open", "acknowledged", "done"]
# The kiosk's screen names (kiosk/screens/__init__.py): lower-case words joined by underscores.
SCREEN_PATTERN = r"^[a-z][a-z0-9_]{0,39}$"
MAX_LISTED = 200


class HelpRequest(Base):
    __tablename__ = "help_requests"
    __table_args__ = (Index("ix_help_requests_terminal_received", "terminal_id", "received_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    terminal_id: Mapped[str] = mapped_column(String(64))
    # The kiosk's id while the call is open (open or acknowledged), NULL once done: one open call a kiosk.
    open_key: Mapped[str | None] = mapped_column(String(64), unique=True)
    screen: Mapped[str] = mapped_column(String(40))
    at: Mapped[dt.datetime] = mapped_column(UtcDateTime)  # the kiosk's time of the first tap
    received_at: Mapped[int] = mapped_column(BigInteger)  # the centre's, unix seconds
    calls: Mapped[int] = mapped_column(Integer)  # taps while open, the first included
    last_call_at: Mapped[int] = mapped_column(BigInteger)  # the centre's time of the latest tap
    status: Mapped[str] = mapped_column(String(12))  # open | acknowledged | done
    acknowledged_by: Mapped[str | None] = mapped_column(String(64))
    acknowledged_at: Mapped[int | None] = mapped_column(BigInteger)
    done_by: Mapped[str | None] = mapped_column(String(64))
    done_at: Mapped[int | None] = mapped_column(BigInteger)


class HelpRequestBody(BaseModel):
    """What a kiosk sends: which kiosk, which screen, when. Nothing else is accepted."""

    model_config = ConfigDict(extra="forbid")

    terminal_id: str = Field(max_length=64, description="the kiosk's id; must be the X-Terminal-Id")
    screen: str = Field(pattern=SCREEN_PATTERN, description="the screen the citizen was on, e.g. withdrawal")
    at: AwareDatetime = Field(description="the kiosk's time of the tap, with its offset")


class HelpRequestData(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: int
    terminal_id: str
    screen: str
    at: dt.datetime = Field(description="the kiosk's time of the first tap (UTC)")
    received_at: dt.datetime = Field(description="when the centre took the first tap (UTC)")
    calls: int = Field(description="taps while this call has been open, the first included")
    status: Status = Field(description="open: nobody has answered yet; acknowledged: staff are on the way")
    already_open: bool = Field(description="true when this tap found the kiosk's call already open")


def _utc(unix: int) -> dt.datetime:
    return dt.datetime.fromtimestamp(unix, dt.UTC)


def data(row: HelpRequest, *, already_open: bool) -> HelpRequestData:
    return HelpRequestData(
        id=row.id,
        terminal_id=row.terminal_id,
        screen=row.screen,
        at=row.at.astimezone(dt.UTC),
        received_at=_utc(row.received_at),
        calls=row.calls,
        status=row.status,  # type: ignore[arg-type]  # the column only ever holds a Status
        already_open=already_open,
    )


def open_for(session: Session, terminal_id: str) -> HelpRequest | None:
    return session.scalars(select(HelpRequest).where(HelpRequest.open_key == terminal_id)).one_or_none()


def call(session: Session, body: HelpRequestBody, now: int) -> HelpRequestData:
    """The kiosk's open call, counted once more, or a new one. A clash with the call another worker has
    just opened for the same kiosk is resolved by counting on that one."""
    for _attempt in range(2):
        # One statement, so taps that workers take at once each count (a read, then a write, would lose some).
        row = session.scalars(
            update(HelpRequest)
            .where(HelpRequest.open_key == body.terminal_id)
            .values(calls=HelpRequest.calls + 1, last_call_at=now)
            .returning(HelpRequest),
            execution_options={"populate_existing": True},
        ).one_or_none()
        if row is not None:
            return data(row, already_open=True)
        row = HelpRequest(
            terminal_id=body.terminal_id,
            open_key=body.terminal_id,
            screen=body.screen,
            at=body.at,
            received_at=now,
            calls=1,
            last_call_at=now,
            status="open",
        )
        try:
            with session.begin_nested():
                session.add(row)
        except IntegrityError:
            continue
        return data(row, already_open=False)
    raise RuntimeError("a kiosk's open help request could be neither read nor made")


def open_requests(session: Session, limit: int = MAX_LISTED) -> list[HelpRequest]:
    """Every call not yet done, unanswered ones first, then the oldest first."""
    rows = session.scalars(
        select(HelpRequest).where(HelpRequest.open_key.is_not(None)).order_by(HelpRequest.received_at)
    ).all()
    return sorted(rows, key=lambda r: (r.status != "open", r.received_at, r.id))[:limit]


class NotOpen(Exception):
    """The call is unknown, or already in the state asked for (or past it)."""


def acknowledge(session: Session, request_id: int, by: str, now: int) -> HelpRequest:
    row = session.get(HelpRequest, request_id)
    if row is None or row.status != "open":
        raise NotOpen(request_id)
    row.status = "acknowledged"
    row.acknowledged_by = by
    row.acknowledged_at = now
    return row


def finish(session: Session, request_id: int, by: str, now: int) -> HelpRequest:
    """Done: the citizen was helped (or nobody was there any more). The kiosk may call again from now."""
    row = session.get(HelpRequest, request_id)
    if row is None or row.status == "done":
        raise NotOpen(request_id)
    row.status = "done"
    row.open_key = None
    row.done_by = by
    row.done_at = now
    return row
