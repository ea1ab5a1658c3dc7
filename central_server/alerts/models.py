"""The alerts' tables: what happened (events, kept only as long as a rule's window), the alerts raised,
and the centre's alert settings (thresholds and the key of the hashes)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from central_server.models import Base, UtcDateTime


class AlertEvent(Base):
    """One thing a rule counts: `sign_in_failed`, `signed_in`, `password_changed` or `withdrawal`.

    Citizens, ID number/name pairs and cards are keyed hashes (HMAC-SHA256 with `alert_settings.hash_key`),
    so equal ones compare equal and none can be read back; the masked forms are what evidence shows."""

    __tablename__ = "alert_events"
    __table_args__ = (
        Index("ix_alert_events_kind_citizen_at", "kind", "citizen_key", "at"),
        Index("ix_alert_events_kind_terminal_at", "kind", "terminal_id", "at"),
        Index("ix_alert_events_kind_card_at", "kind", "card_key", "at"),
        Index("ix_alert_events_at", "at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    terminal_id: Mapped[str] = mapped_column(String(64))
    hall: Mapped[str | None] = mapped_column(String(64))
    citizen_key: Mapped[str] = mapped_column(String(64))
    pair_key: Mapped[str | None] = mapped_column(String(64))
    card_key: Mapped[str | None] = mapped_column(String(64))
    masked_id: Mapped[str] = mapped_column(String(18))
    reference: Mapped[str | None] = mapped_column(String(20))


class Alert(Base):
    """One suspicious situation. While it is open, `open_key` (rule and the situation's key) is set, and
    its uniqueness makes every worker update this row instead of opening another; acknowledging clears it,
    so the next occurrence opens a new alert."""

    __tablename__ = "alerts"
    __table_args__ = (Index("ix_alerts_rule_last_seen", "rule", "last_seen"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    rule: Mapped[str] = mapped_column(String(40))
    severity: Mapped[str] = mapped_column(String(10))
    subject: Mapped[str] = mapped_column(String(80))  # masked: an ID number, a card, or a kiosk id
    open_key: Mapped[str | None] = mapped_column(String(120), unique=True)
    evidence: Mapped[str] = mapped_column(Text)  # JSON, masked
    first_seen: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    last_seen: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    count: Mapped[int]
    acknowledged_by: Mapped[str | None] = mapped_column(String(64))
    acknowledged_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)
    note: Mapped[str | None] = mapped_column(String(500))


class AlertSettings(Base):
    """One row: the thresholds every worker applies (written by each worker at start from its
    `--alert-rules` file, so start them all with the same file) and the key of the events' hashes, made
    on the centre's first start and never in code or configuration."""

    __tablename__ = "alert_settings"

    id: Mapped[int] = mapped_column(primary_key=True)
    hash_key: Mapped[str] = mapped_column(String(64))  # hex
    rules: Mapped[str] = mapped_column(Text)  # JSON (alerts/config.py)
