"""The alert rules: pure functions over plain records, each deciding whether one situation is suspicious now.

Every rule looks at the records of one subject (a citizen, a kiosk, a payee card) that the caller fetched
for the rule's window, and answers a `Finding` with its evidence, or None. The records carry keyed hashes
and masked forms only, so a finding's evidence is fit to show an operator as it is. Records outside the
window may be passed; the rules ignore them, so the caller's query only has to be wide enough.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any


class Rule(StrEnum):
    CITIZEN_SIGN_IN_FAILURES = "citizen_sign_in_failures"
    KIOSK_SIGN_IN_FAILURES = "kiosk_sign_in_failures"
    SHARED_PAYEE_CARD = "shared_payee_card"
    WITHDRAWAL_AFTER_PASSWORD_CHANGE = "withdrawal_after_password_change"
    TWO_HALLS = "two_halls"


SEVERITY: dict[Rule, str] = {
    Rule.CITIZEN_SIGN_IN_FAILURES: "medium",
    Rule.KIOSK_SIGN_IN_FAILURES: "high",
    Rule.SHARED_PAYEE_CARD: "high",
    Rule.WITHDRAWAL_AFTER_PASSWORD_CHANGE: "medium",
    Rule.TWO_HALLS: "medium",
}


@dataclass(frozen=True)
class CitizenFailuresThresholds:
    """Rule 1: at least `failures` failed sign-ins naming one ID number, at `terminals` or more kiosks,
    within `window_s`."""

    failures: int = 5
    terminals: int = 2
    window_s: int = 3600


@dataclass(frozen=True)
class KioskFailuresThresholds:
    """Rule 2: one kiosk's failed sign-ins named at least `citizens` different ID number/name pairs within
    `window_s`."""

    citizens: int = 5
    window_s: int = 600


@dataclass(frozen=True)
class SharedCardThresholds:
    """Rule 3: one payee card on accepted withdrawals of at least `citizens` citizens within `window_days`."""

    citizens: int = 2
    window_days: int = 30


@dataclass(frozen=True)
class PasswordChangeThresholds:
    """Rule 4: a withdrawal accepted at most `within_s` after the citizen's password was changed."""

    within_s: int = 86_400


@dataclass(frozen=True)
class TwoHallsThresholds:
    """Rule 5: one citizen signed in at kiosks of two halls (terminal groups) at most `within_s` apart."""

    within_s: int = 600


@dataclass(frozen=True)
class AlertRules:
    citizen_sign_in_failures: CitizenFailuresThresholds = CitizenFailuresThresholds()
    kiosk_sign_in_failures: KioskFailuresThresholds = KioskFailuresThresholds()
    shared_payee_card: SharedCardThresholds = SharedCardThresholds()
    withdrawal_after_password_change: PasswordChangeThresholds = PasswordChangeThresholds()
    two_halls: TwoHallsThresholds = TwoHallsThresholds()

    def longest_window(self) -> dt.timedelta:
        """How long event records must be kept for the rules to see everything they count."""
        return max(
            dt.timedelta(seconds=self.citizen_sign_in_failures.window_s),
            dt.timedelta(seconds=self.kiosk_sign_in_failures.window_s),
            dt.timedelta(days=self.shared_payee_card.window_days),
            dt.timedelta(seconds=self.withdrawal_after_password_change.within_s),
            dt.timedelta(seconds=self.two_halls.within_s),
        )


@dataclass(frozen=True)
class SignInFailure:
    at: dt.datetime
    terminal_id: str
    pair_key: str  # keyed hash of the ID number and name tried


@dataclass(frozen=True)
class SignIn:
    at: dt.datetime
    terminal_id: str
    hall: str


@dataclass(frozen=True)
class Withdrawal:
    at: dt.datetime
    citizen_key: str  # keyed hash of the ID number
    masked_id: str
    reference: str  # the claim number


@dataclass(frozen=True)
class Finding:
    evidence: dict[str, Any]


def _within(at: dt.datetime, now: dt.datetime, window: dt.timedelta) -> bool:
    return now - window < at <= now


def citizen_sign_in_failures(
    failures: Sequence[SignInFailure], now: dt.datetime, limits: CitizenFailuresThresholds
) -> Finding | None:
    """Rule 1 over one ID number's failed sign-ins: someone trying one citizen's password from several
    kiosks, where a forgetful citizen fails at one."""
    recent = [f for f in failures if _within(f.at, now, dt.timedelta(seconds=limits.window_s))]
    terminals = sorted({f.terminal_id for f in recent})
    if len(recent) < limits.failures or len(terminals) < limits.terminals:
        return None
    return Finding(
        {
            "failures": len(recent),
            "terminals": terminals,
            "window_s": limits.window_s,
            "first_failure_at": min(f.at for f in recent).isoformat(),
        }
    )


def kiosk_sign_in_failures(
    failures: Sequence[SignInFailure], now: dt.datetime, limits: KioskFailuresThresholds
) -> Finding | None:
    """Rule 2 over one kiosk's failed sign-ins: many different ID number/name pairs is someone trying a
    list of people at that kiosk."""
    recent = [f for f in failures if _within(f.at, now, dt.timedelta(seconds=limits.window_s))]
    pairs = {f.pair_key for f in recent}
    if len(pairs) < limits.citizens:
        return None
    return Finding({"failures": len(recent), "distinct_citizens": len(pairs), "window_s": limits.window_s})


def shared_payee_card(
    withdrawals: Sequence[Withdrawal], now: dt.datetime, limits: SharedCardThresholds
) -> Finding | None:
    """Rule 3 over the accepted withdrawals to one payee card: a card is its holder's, so several
    citizens paying out to it is one person collecting others' money."""
    recent = sorted(
        (w for w in withdrawals if _within(w.at, now, dt.timedelta(days=limits.window_days))),
        key=lambda w: w.at,
    )
    citizens = {w.citizen_key: w.masked_id for w in recent}
    if len(citizens) < limits.citizens:
        return None
    return Finding(
        {
            "citizens": sorted(citizens.values()),
            "withdrawals": [w.reference for w in recent],
            "window_days": limits.window_days,
        }
    )


def withdrawal_after_password_change(
    password_changes: Sequence[dt.datetime], withdrawal_at: dt.datetime, limits: PasswordChangeThresholds
) -> Finding | None:
    """Rule 4 for one citizen's withdrawal: taking over an account starts with its password, and the
    money follows soon after."""
    earlier = [
        at
        for at in password_changes
        if dt.timedelta(0) <= withdrawal_at - at <= dt.timedelta(seconds=limits.within_s)
    ]
    if not earlier:
        return None
    changed = max(earlier)
    return Finding(
        {
            "password_changed_at": changed.isoformat(),
            "withdrawal_at": withdrawal_at.isoformat(),
            "minutes_between": int((withdrawal_at - changed).total_seconds() // 60),
        }
    )


def two_halls(sign_ins: Sequence[SignIn], latest: SignIn, limits: TwoHallsThresholds) -> Finding | None:
    """Rule 5 for one citizen's latest sign-in: nobody crosses town between halls in minutes, so two
    people hold that citizen's card and password (or a copy of the card)."""
    others = [
        s
        for s in sign_ins
        if s.hall != latest.hall and abs(latest.at - s.at) <= dt.timedelta(seconds=limits.within_s)
    ]
    if not others:
        return None
    nearest = min(others, key=lambda s: abs(latest.at - s.at))
    return Finding(
        {
            "halls": sorted({nearest.hall, latest.hall}),
            "terminals": sorted({nearest.terminal_id, latest.terminal_id}),
            "minutes_between": int(abs(latest.at - nearest.at).total_seconds() // 60),
        }
    )
