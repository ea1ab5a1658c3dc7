"""Changing the query password (修改查询密码): the old one, the new one twice, on the moving keypad. Online
only. Whether a new password is too weak (123456, 000000, the birth date, …) is the centre's rule; it
answers with the reason in both languages, which the screen shows as is."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from enum import Enum

from kiosk.central import CentralClient, CentralError, CentralUnavailable
from kiosk.services.citizen import CitizenService

log = logging.getLogger(__name__)


class Change(Enum):
    CHANGED = "changed"
    MISMATCH = "mismatch"  # the two entries of the new password differ (checked here, nothing sent)
    WEAK = "weak"
    WRONG_OLD = "wrong_old"
    LOCKED = "locked"
    RATE_LIMITED = "rate_limited"
    UNAVAILABLE = "unavailable"


@dataclass(frozen=True)
class ChangeResult:
    outcome: Change
    reason_zh: str = ""  # the centre's words for WEAK
    reason_en: str = ""
    attempts_left: int | None = None

    def reason(self, locale: str) -> str:
        return self.reason_zh if locale == "zh_CN" else self.reason_en


class PasswordChangeService:
    def __init__(self, central: CentralClient, citizen: CitizenService) -> None:
        self._central = central
        self._citizen = citizen

    def wipe(self) -> None:
        """The passwords are never kept: they pass through change() only."""

    def change(self, old: str, new: str, again: str) -> ChangeResult:
        """Blocking (HTTP): call from a worker."""
        if new != again:
            return ChangeResult(Change.MISMATCH)
        token = self._citizen.signed_in_citizen().session_token
        try:
            self._central.change_password(token, old, new)
        except CentralUnavailable as exc:
            log.warning("password change: centre unavailable (%s)", type(exc).__name__)
            return ChangeResult(Change.UNAVAILABLE)
        except CentralError as exc:
            return _refusal(exc)
        log.info("query password changed")
        return ChangeResult(Change.CHANGED)


def _refusal(exc: CentralError) -> ChangeResult:
    data = exc.data
    if exc.code == "weak_password":
        return ChangeResult(Change.WEAK, str(data.get("zh", "")), str(data.get("en", "")))
    if exc.code == "sign_in_failed":
        left = int(data.get("attempts_left", 0))
        return (
            ChangeResult(Change.WRONG_OLD, attempts_left=left)
            if left > 0
            else ChangeResult(Change.LOCKED, attempts_left=0)
        )
    if exc.code == "password_locked":
        return ChangeResult(Change.LOCKED, attempts_left=0)
    if exc.code == "rate_limited":
        return ChangeResult(Change.RATE_LIMITED)
    log.warning("password change refused with %s", exc.code)
    return ChangeResult(Change.UNAVAILABLE)
