"""Sliding-window limits kept in the database, so every worker of the centre sees the same counts.

A limit counts failures (one row each) of one kind for one key (a terminal id, a client address) within
the last `seconds`. Attempts refused because the limit was reached are not recorded: a flood costs no
writes, and the limit lifts `seconds` after the failures that reached it. Two workers checking at the same
instant may both let one more through; the limits are brakes, not exact quotas."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import BigInteger, Index, String, delete, func, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from central_server.models import Base


class ThrottleEvent(Base):
    """One failure that counts against a limit. `subject` is what the failure was about where a limit
    needs it (the digest of a sign-in's ID number and name), else None."""

    __tablename__ = "throttle_events"
    __table_args__ = (
        Index("ix_throttle_events_kind_key_at", "kind", "key", "at"),
        Index("ix_throttle_events_kind_at", "kind", "at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    key: Mapped[str] = mapped_column(String(128))
    subject: Mapped[str | None] = mapped_column(String(64))
    at: Mapped[int] = mapped_column(BigInteger)  # Unix seconds


@dataclass(frozen=True)
class SlidingWindow:
    kind: str
    limit: int
    seconds: int

    def retry_after(self, session: Session, key: str, now: int) -> int | None:
        """Seconds until `key` may try again, or None when it is under the limit now."""
        times = session.scalars(
            select(ThrottleEvent.at)
            .where(
                ThrottleEvent.kind == self.kind,
                ThrottleEvent.key == key,
                ThrottleEvent.at > now - self.seconds,
            )
            .order_by(ThrottleEvent.at)
        ).all()
        if len(times) < self.limit:
            return None
        # Under the limit again once all but limit - 1 of these have left the window.
        return times[len(times) - self.limit] + self.seconds - now

    def record(self, session: Session, key: str, now: int, subject: str | None = None) -> None:
        """Counts one failure; failures that left the window of this kind are dropped on the way."""
        session.execute(
            delete(ThrottleEvent).where(
                ThrottleEvent.kind == self.kind, ThrottleEvent.at <= now - self.seconds
            )
        )
        session.add(ThrottleEvent(kind=self.kind, key=key, subject=subject, at=now))
        session.flush()

    def tally(self, session: Session, key: str, since: int) -> tuple[int, int]:
        """(failures, distinct subjects) of `key` at or after `since`."""
        failures, subjects = session.execute(
            select(func.count(), func.count(ThrottleEvent.subject.distinct())).where(
                ThrottleEvent.kind == self.kind, ThrottleEvent.key == key, ThrottleEvent.at >= since
            )
        ).one()
        return int(failures), int(subjects)
