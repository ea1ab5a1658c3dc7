"""Who may try a citizen's query password, how often, and what the centre notes when a kiosk misbehaves.

A sign-in names an ID number and a name (from the card chip). The centre counts failures per such pair,
whether or not an account has it: an unknown pair, or a known ID number with another name, fails, counts
and locks exactly like a known citizen with a wrong password, so the answers never say which pairs exist.
Counting per pair also means a caller who does not know a citizen's exact name cannot lock them out.
Per terminal, failures are limited within a sliding window, and a terminal that fails against many pairs
leaves a row in `sign_in_signals` for operators."""

from __future__ import annotations

import datetime as dt
import hashlib

from sqlalchemy import BigInteger, String, UniqueConstraint, delete, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from central_server.db import insert_if_absent
from central_server.limits import Limits
from central_server.models import Base, Citizen
from central_server.security import dummy_hash_like
from central_server.throttle import SlidingWindow

MAX_WRONG_PASSWORDS = 3


class SignInCounter(Base):
    """Failed sign-ins of one ID number/name pair on one centre day. Rows of earlier days mean nothing and
    are deleted as failures come in."""

    __tablename__ = "sign_in_counters"

    pair_digest: Mapped[str] = mapped_column(String(64), primary_key=True)
    day: Mapped[dt.date] = mapped_column(index=True)
    failures: Mapped[int]


class SignInSignal(Base):
    """One terminal, one fixed window (`window_start` is a multiple of `window_s`, Unix seconds), in which
    its failed sign-ins named at least `Limits.signal_distinct_pairs` different ID number/name pairs.
    `failures` and `distinct_pairs` count that window's failures so far; `last_failure_at` is the latest.
    A citizen who forgets their password fails against one pair; many pairs from one kiosk means someone
    is trying a list of people. Rows are kept for operators; nothing here deletes them."""

    __tablename__ = "sign_in_signals"
    __table_args__ = (UniqueConstraint("terminal_id", "window_start", name="uq_sign_in_signal_window"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    terminal_id: Mapped[str] = mapped_column(String(64))
    window_start: Mapped[int] = mapped_column(BigInteger)
    window_s: Mapped[int]
    failures: Mapped[int]
    distinct_pairs: Mapped[int]
    last_failure_at: Mapped[int] = mapped_column(BigInteger)


def pair_digest(id_number: str, name: str) -> str:
    """The key of a pair's counter: the centre keeps no ID number or name of a pair it does not know."""
    return hashlib.sha256(f"sign-in\0{id_number}\0{name}".encode()).hexdigest()


def _terminal_window(limits: Limits) -> SlidingWindow:
    return SlidingWindow("sign_in.terminal", limits.sign_in_failures_per_terminal, limits.sign_in_window_s)


def terminal_retry_after(session: Session, limits: Limits, terminal_id: str, now: int) -> int | None:
    """Seconds until this terminal may try sign-ins again, or None when it may now."""
    return _terminal_window(limits).retry_after(session, terminal_id, now)


def counter_for(session: Session, digest: str, today: dt.date) -> SignInCounter:
    """The pair's counter for today, locked for this transaction (created when missing)."""
    insert_if_absent(session, SignInCounter, pair_digest=digest, day=today, failures=0)
    counter = session.scalars(
        select(SignInCounter).where(SignInCounter.pair_digest == digest).with_for_update()
    ).one()
    if counter.day != today:
        counter.day, counter.failures = today, 0
    return counter


def expected_hash(session: Session, id_number: str, name: str) -> tuple[Citizen | None, str]:
    """The citizen this pair names (None when no account has it) and the hash to check the password
    against: theirs, or a dummy of the same cost, so both paths do the same work."""
    citizen = session.scalars(select(Citizen).where(Citizen.id_number == id_number)).one_or_none()
    if citizen is not None and citizen.name == name:
        return citizen, citizen.password_hash
    sample = session.scalar(select(Citizen.password_hash).order_by(Citizen.id).limit(1))
    return None, dummy_hash_like(sample)


def record_failure(
    session: Session, limits: Limits, counter: SignInCounter, terminal_id: str, now: int
) -> None:
    """Counts the failure against the pair and the terminal, and notes a signal when the terminal has
    now failed against many pairs in this window."""
    counter.failures += 1
    session.execute(delete(SignInCounter).where(SignInCounter.day < counter.day))
    window = _terminal_window(limits)
    window.record(session, terminal_id, now, subject=counter.pair_digest)
    window_start = now - now % limits.sign_in_window_s
    failures, distinct_pairs = window.tally(session, terminal_id, since=window_start)
    if distinct_pairs < limits.signal_distinct_pairs:
        return
    insert_if_absent(
        session,
        SignInSignal,
        terminal_id=terminal_id,
        window_start=window_start,
        window_s=limits.sign_in_window_s,
        failures=failures,
        distinct_pairs=distinct_pairs,
        last_failure_at=now,
    )
    signal = session.scalars(
        select(SignInSignal)
        .where(SignInSignal.terminal_id == terminal_id, SignInSignal.window_start == window_start)
        .with_for_update()
    ).one()
    signal.failures, signal.distinct_pairs, signal.last_failure_at = failures, distinct_pairs, now
