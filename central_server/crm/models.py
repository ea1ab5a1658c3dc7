"""The CRM tables. Instants are Unix seconds (UTC); `day`, `week` and `month` are the centre-time (UTC+8)
day, the Monday of its week and the first of its month as YYYYMMDD integers, fixed when the row is
written, so the scorecard groups and filters on plain indexed integers on SQLite and PostgreSQL alike."""

from __future__ import annotations

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from central_server.models import Base


class _Periods:
    day: Mapped[int] = mapped_column(Integer)
    week: Mapped[int] = mapped_column(Integer)
    month: Mapped[int] = mapped_column(Integer)


class Touchpoint(_Periods, Base):
    """One step of a visit on any channel. Never personal: the citizen is the centre's pseudonym."""

    __tablename__ = "crm_touchpoints"
    __table_args__ = (
        # The scorecard reads a date range of one event kind; an index that covers every column it reads
        # spares the table (a year's scorecard: 3 s without, well under 1 s with, bench/scorecard.py).
        Index(
            "ix_crm_touchpoints_scorecard",
            "event",
            "day",
            "week",
            "month",
            "terminal_id",
            "hall",
            "service",
            "delay_s",
            "duration_ms",
        ),
        Index("ix_crm_touchpoints_citizen", "citizen_ref", "at_s"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # The kiosk, or for other channels the source system's id.
    terminal_id: Mapped[str] = mapped_column(String(64))
    # The kiosk's group (the centre's record) or the hall a channel names.
    hall: Mapped[str] = mapped_column(String(64))
    channel: Mapped[str] = mapped_column(String(10))
    visit_id: Mapped[str] = mapped_column(String(32))
    citizen_ref: Mapped[str | None] = mapped_column(String(40))
    event: Mapped[str] = mapped_column(String(24))
    service: Mapped[str | None] = mapped_column(String(24))
    screen: Mapped[str | None] = mapped_column(String(32))
    detail: Mapped[str | None] = mapped_column(String(32))
    at_s: Mapped[int] = mapped_column(BigInteger)
    duration_ms: Mapped[int | None] = mapped_column(BigInteger)
    # Kiosk created_at → centre received_at (the outbox delay); None for other channels.
    delay_s: Mapped[int | None] = mapped_column(BigInteger)
    received_at: Mapped[int] = mapped_column(BigInteger)


class TouchpointDay(_Periods, Base):
    """Touchpoints counted per centre-time day, kiosk, hall, service, event and abandoned step: the scorecard
    counts events from these rows (about 40 a kiosk and day) instead of every touchpoint. Kept in step by
    store.count_touchpoints in the transaction that stores the touchpoints; `service` and `step` are ""
    when there is none, so the unique key holds (NULLs never collide in a unique constraint)."""

    __tablename__ = "crm_touchpoint_days"
    __table_args__ = (
        UniqueConstraint(
            "day", "terminal_id", "hall", "service", "event", "step", name="uq_crm_touchpoint_days_key"
        ),
        # Covers every column the scorecard reads, so a year is one range scan of this index.
        Index(
            "ix_crm_touchpoint_days_scorecard",
            "day",
            "week",
            "month",
            "event",
            "terminal_id",
            "hall",
            "service",
            "step",
            "touchpoints",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    terminal_id: Mapped[str] = mapped_column(String(64))
    hall: Mapped[str] = mapped_column(String(64))
    service: Mapped[str] = mapped_column(String(24))
    event: Mapped[str] = mapped_column(String(24))
    # Where a service_abandoned touchpoint stopped: its detail, else its screen, else "unknown".
    step: Mapped[str] = mapped_column(String(32))
    touchpoints: Mapped[int] = mapped_column(BigInteger)


class Rating(_Periods, Base):
    """A 好差评 rating; the callback phone only encrypted (phone_vault.py)."""

    __tablename__ = "crm_ratings"
    __table_args__ = (
        UniqueConstraint("case_ref", "rating_round", name="uq_crm_ratings_case_round"),
        Index("ix_crm_ratings_day", "day"),
        Index("ix_crm_ratings_citizen", "citizen_ref"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    terminal_id: Mapped[str] = mapped_column(String(64))
    hall: Mapped[str] = mapped_column(String(64))
    visit_id: Mapped[str] = mapped_column(String(32))
    case_ref: Mapped[str] = mapped_column(String(32))
    citizen_ref: Mapped[str | None] = mapped_column(String(40))
    service: Mapped[str] = mapped_column(String(32))
    score: Mapped[int] = mapped_column(Integer)
    reasons: Mapped[str] = mapped_column(String(200))  # comma separated pick-list codes
    rating_round: Mapped[int] = mapped_column(Integer)
    phone_cipher: Mapped[str | None] = mapped_column(Text)
    rated_at: Mapped[int] = mapped_column(BigInteger)  # the item's created_at
    received_at: Mapped[int] = mapped_column(BigInteger)


class Complaint(_Periods, Base):
    """A complaint or suggestion with the reference on the citizen's slip."""

    __tablename__ = "crm_complaints"
    __table_args__ = (
        Index("ix_crm_complaints_day", "day"),
        Index("ix_crm_complaints_citizen", "citizen_ref"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    terminal_id: Mapped[str] = mapped_column(String(64))
    hall: Mapped[str] = mapped_column(String(64))
    reference: Mapped[str] = mapped_column(String(20))
    category: Mapped[str] = mapped_column(String(10))
    topic: Mapped[str] = mapped_column(String(24))
    text: Mapped[str] = mapped_column(Text)
    phone_cipher: Mapped[str | None] = mapped_column(Text)
    visit_id: Mapped[str | None] = mapped_column(String(32))
    citizen_ref: Mapped[str | None] = mapped_column(String(40))
    filed_at: Mapped[int] = mapped_column(BigInteger)  # the item's created_at
    received_at: Mapped[int] = mapped_column(BigInteger)


class FollowUpCase(_Periods, Base):
    """差评整改: the case a rating of 2 or less opens, with its deadlines (deadlines.py). The periods are
    those of the day it opened."""

    __tablename__ = "crm_cases"
    __table_args__ = (Index("ix_crm_cases_day", "day"), Index("ix_crm_cases_closed", "closed_at"))

    id: Mapped[int] = mapped_column(primary_key=True)
    rating_id: Mapped[int] = mapped_column(ForeignKey("crm_ratings.id"), unique=True)
    terminal_id: Mapped[str] = mapped_column(String(64))
    hall: Mapped[str] = mapped_column(String(64))
    service: Mapped[str] = mapped_column(String(32))
    opened_at: Mapped[int] = mapped_column(BigInteger)
    callback_due: Mapped[int] = mapped_column(BigInteger)
    resolve_due: Mapped[int] = mapped_column(BigInteger)
    assignee: Mapped[str | None] = mapped_column(String(64))
    callback_at: Mapped[int | None] = mapped_column(BigInteger)
    closed_at: Mapped[int | None] = mapped_column(BigInteger)
    resolution: Mapped[str | None] = mapped_column(Text)


class CaseNote(Base):
    __tablename__ = "crm_case_notes"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("crm_cases.id"), index=True)
    kind: Mapped[str] = mapped_column(String(10))  # note, assign, callback, close
    text: Mapped[str] = mapped_column(Text)
    at: Mapped[int] = mapped_column(BigInteger)


class DataKey(Base):
    """The key that encrypts callback phones (phone_vault.py): one row, made on first use, shared by every
    worker."""

    __tablename__ = "crm_data_key"

    id: Mapped[int] = mapped_column(primary_key=True)
    fernet_key: Mapped[str] = mapped_column(String(64))


class ChannelBatch(Base):
    """One POST /v1/channels/touchpoints as applied: its key is unique per source, so a channel system
    that sends it again after a lost answer is told it was accepted instead of storing it twice. `digest`
    is SHA-256 of the request less its key, in canonical JSON: the same key with other content is refused."""

    __tablename__ = "crm_channel_batches"
    __table_args__ = (UniqueConstraint("source", "batch_id", name="uq_crm_channel_batches_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(String(64))
    batch_id: Mapped[str] = mapped_column(String(64))
    digest: Mapped[str] = mapped_column(String(64))
    accepted: Mapped[int] = mapped_column(Integer)
    received_at: Mapped[int] = mapped_column(BigInteger)
