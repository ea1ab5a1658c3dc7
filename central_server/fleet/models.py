"""Tables of the fleet: bundles, rollouts, the kiosks' last heartbeat and a day of their history, and their
config reports."""

from __future__ import annotations

from sqlalchemy import BigInteger, Boolean, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from central_server.models import Base


class ConfigBundle(Base):
    __tablename__ = "config_bundles"

    version: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    target: Mapped[str] = mapped_column(String(80))
    key_id: Mapped[str] = mapped_column(String(32))
    body: Mapped[str] = mapped_column(Text)  # the signed bundle, JSON
    published_at: Mapped[int] = mapped_column(BigInteger)


class Rollout(Base):
    """Staged delivery of one bundle: group after group, each once the one before it reported healthy."""

    __tablename__ = "rollouts"

    version: Mapped[int] = mapped_column(ForeignKey("config_bundles.version"), primary_key=True)
    stages: Mapped[str] = mapped_column(Text)  # JSON list of group names, in order
    stage_index: Mapped[int] = mapped_column(Integer, default=0)
    state: Mapped[str] = mapped_column(String(12), default="running")  # running | paused | stopped | complete
    failures: Mapped[int] = mapped_column(Integer, default=0)
    max_failures: Mapped[int] = mapped_column(Integer, default=0)
    stopped_reason: Mapped[str] = mapped_column(String(200), default="")


class KioskStatus(Base):
    """The latest heartbeat of each kiosk (latest state only: heartbeats are not a log). The kiosk's group
    is not here: it is the centre's record (`central_server/terminals.py`), not what a kiosk says."""

    __tablename__ = "kiosk_status"

    terminal_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    last_seen: Mapped[int] = mapped_column(BigInteger)
    heartbeat: Mapped[str] = mapped_column(Text)  # JSON as sent


class KioskHeartbeatHistory(Base):
    """A few figures of each heartbeat, for the console's 24-hour chart of a kiosk. The heartbeat route keeps
    at most the last day and `HISTORY_ROWS` rows per kiosk, so the table stays small whatever the interval."""

    __tablename__ = "kiosk_heartbeat_history"
    __table_args__ = (Index("ix_kiosk_heartbeat_history_terminal_at", "terminal_id", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    terminal_id: Mapped[str] = mapped_column(String(64))
    at: Mapped[int] = mapped_column(BigInteger)
    backlog: Mapped[int | None] = mapped_column(Integer)  # outbox depth; None: the outbox did not open
    connectivity: Mapped[str] = mapped_column(String(12))
    in_service: Mapped[bool] = mapped_column(Boolean)


class ConfigReport(Base):
    __tablename__ = "config_reports"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    terminal_id: Mapped[str] = mapped_column(String(64), index=True)
    version: Mapped[int] = mapped_column(Integer, index=True)
    outcome: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(String(300), default="")
    at: Mapped[int] = mapped_column(BigInteger)
