"""Tables of the operator console: operator accounts and the log of what operators did."""

from __future__ import annotations

from sqlalchemy import BigInteger, Boolean, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from central_server.models import Base


class OperatorAccount(Base):
    __tablename__ = "console_operators"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    username: Mapped[str] = mapped_column(String(40), unique=True)
    password_hash: Mapped[str] = mapped_column(String(200))  # argon2id, PHC string
    role: Mapped[str] = mapped_column(String(16))  # viewer | operator | administrator
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)  # wrong passwords in a row
    locked_until: Mapped[int] = mapped_column(BigInteger, default=0)  # unix seconds
    created_at: Mapped[int] = mapped_column(BigInteger)
    # Bumped by a new password, a disable or a new role: every session signed before it stops working.
    session_epoch: Mapped[int] = mapped_column(Integer, default=0)


class OperatorAuditEntry(Base):
    """One operator action (or sign-in attempt): who, what, on what, when, from where."""

    __tablename__ = "console_audit"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[int] = mapped_column(BigInteger, index=True)  # unix seconds
    username: Mapped[str] = mapped_column(String(40), index=True)
    action: Mapped[str] = mapped_column(String(40))
    target: Mapped[str] = mapped_column(String(200), default="")
    detail: Mapped[str] = mapped_column(Text, default="")
    address: Mapped[str] = mapped_column(String(64), default="")
