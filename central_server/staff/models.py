"""The staff tables: the roster (replaced whole from the --staff file) and the audit trail."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger, Boolean, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from central_server.models import Base, UtcDateTime


class StaffAccount(Base):
    """One hall staff member or technician. No name: the roster goes to every kiosk, which needs only the
    number, the PIN hash and the role."""

    __tablename__ = "staff_accounts"

    staff_id: Mapped[str] = mapped_column(String(6), primary_key=True)
    pin_hash: Mapped[str] = mapped_column(String(300))
    role: Mapped[str] = mapped_column(String(16))
    active: Mapped[bool] = mapped_column(Boolean)


class StaffAuditRecord(Base):
    """One `staff_audit_event` the intake accepted, kept in columns so operators can read a kiosk's trail
    by time without parsing every intake record."""

    __tablename__ = "staff_audit"
    __table_args__ = (
        Index("ix_staff_audit_terminal_at", "terminal_id", "at"),
        Index("ix_staff_audit_at", "at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    terminal_id: Mapped[str] = mapped_column(String(64))
    at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    staff_id: Mapped[str] = mapped_column(String(7))
    action: Mapped[str] = mapped_column(String(24))
    outcome: Mapped[str | None] = mapped_column(String(8))
    target: Mapped[str | None] = mapped_column(String(32))
    received_at: Mapped[int] = mapped_column(BigInteger)
