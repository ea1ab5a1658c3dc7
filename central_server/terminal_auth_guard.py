"""How often `POST /v1/terminal/auth` may fail, per client address and per terminal id.

An address that keeps failing is refused for a while, right secret or not: otherwise the refusal would
only slow the guessing down, not stop it. A terminal id that keeps failing (guesses spread over many
addresses) is refused likewise, except from the address it last authenticated from: the real kiosk keeps
getting its hourly token while someone elsewhere guesses its secret."""

from __future__ import annotations

from sqlalchemy import BigInteger, String
from sqlalchemy.orm import Mapped, Session, mapped_column

from central_server.db import insert_if_absent
from central_server.limits import Limits
from central_server.models import Base
from central_server.throttle import SlidingWindow


class TerminalAuthAddress(Base):
    """The client address each terminal last authenticated from, with the right secret."""

    __tablename__ = "terminal_auth_addresses"

    terminal_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    address: Mapped[str] = mapped_column(String(128))
    authenticated_at: Mapped[int] = mapped_column(BigInteger)  # Unix seconds


def _by_address(limits: Limits) -> SlidingWindow:
    return SlidingWindow(
        "terminal_auth.address", limits.terminal_auth_failures_per_address, limits.terminal_auth_window_s
    )


def _by_terminal(limits: Limits) -> SlidingWindow:
    return SlidingWindow(
        "terminal_auth.terminal", limits.terminal_auth_failures_per_terminal, limits.terminal_auth_window_s
    )


def retry_after(session: Session, limits: Limits, terminal_id: str, address: str, now: int) -> int | None:
    """Seconds until this address may try to authenticate as this terminal, or None when it may now."""
    wait = _by_address(limits).retry_after(session, address, now)
    if wait is not None:
        return wait
    usual = session.get(TerminalAuthAddress, terminal_id)
    if usual is not None and usual.address == address:
        return None
    return _by_terminal(limits).retry_after(session, terminal_id, now)


def record_failure(session: Session, limits: Limits, terminal_id: str, address: str, now: int) -> None:
    _by_address(limits).record(session, address, now)
    _by_terminal(limits).record(session, terminal_id, now)


def record_success(session: Session, terminal_id: str, address: str, now: int) -> None:
    insert_if_absent(
        session, TerminalAuthAddress, terminal_id=terminal_id, address=address, authenticated_at=now
    )
    row = session.get_one(TerminalAuthAddress, terminal_id, with_for_update=True)
    row.address, row.authenticated_at = address, now
