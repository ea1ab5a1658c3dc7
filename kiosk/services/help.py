"""The citizen's "呼叫工作人员 / Call staff" button: the kiosk asks the centre to send someone, and tells the
citizen what happens next (docs/central-api.md, "Calling staff").

`call()` blocks on the centre: run it on a worker. The request carries this kiosk's id, the screen the
citizen is on and the time; nothing of the citizen. One call a visit: a second tap while the first is on
its way, or after it reached the centre, says that staff have been called already and sends nothing. When
the centre cannot be reached the citizen is sent to the nearest counter (a later tap tries again). The
maintenance status screen shows the kiosk's open call (`open_call()`)."""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal, Protocol

from kiosk.central.client import HelpCall
from kiosk.central.errors import CentralError, CentralUnavailable
from kiosk.i18n import N_

log = logging.getLogger(__name__)

# The centre keeps a call open until an operator closes it; the kiosk cannot see that, so it shows its last
# call as open on the maintenance screen for this long after the last tap.
SHOWN_OPEN_FOR = timedelta(minutes=30)
# The screen names the centre accepts (central_server/help_requests.py SCREEN_PATTERN).
_SCREEN = re.compile(r"^[a-z][a-z0-9_]{0,39}$")

Outcome = Literal["called", "already_called", "unreachable"]


class StaffCaller(Protocol):
    def call_staff(self, screen: str, at: datetime) -> HelpCall: ...


@dataclass(frozen=True)
class HelpAnswer:
    """What to tell the citizen: message ids, translated by the screen."""

    outcome: Outcome
    title: str
    body: str


_ANSWERS: dict[Outcome, HelpAnswer] = {
    "called": HelpAnswer(
        "called",
        N_("Someone is coming to help you"),
        N_("Please stay at this kiosk. You can carry on meanwhile."),
    ),
    "already_called": HelpAnswer(
        "already_called",
        N_("Staff have already been called"),
        N_("Someone is coming to help you. Please stay at this kiosk."),
    ),
    "unreachable": HelpAnswer(
        "unreachable",
        N_("We could not call staff from this kiosk just now"),
        N_("Please go to the nearest service counter: staff there will help you."),
    ),
}


@dataclass(frozen=True)
class OpenCall:
    """The kiosk's last call that reached the centre, for hall staff."""

    request_id: int
    screen: str
    first_at: datetime  # this kiosk's first tap of the call
    last_at: datetime  # its latest tap
    taps: int  # taps the centre counted on it, from any visit
    acknowledged: bool  # an operator had marked "someone is going" by the latest tap


class HelpService:
    def __init__(self, centre: StaffCaller, now: Callable[[], datetime]) -> None:
        self._centre = centre
        self._now = now
        self._lock = threading.Lock()
        self._visit: Hashable | None = None  # the visit whose call is on its way or has reached the centre
        self._open: OpenCall | None = None

    def call(self, screen: str, visit: Hashable) -> HelpAnswer:
        """Call staff from `screen` for the visit `visit` (any value that changes from one visit to the
        next). Blocking: call it on a worker."""
        with self._lock:
            if self._visit == visit:
                return _ANSWERS["already_called"]
            self._visit = visit
        at = self._now()
        name = screen if _SCREEN.match(screen) else "unknown"
        try:
            answer = self._centre.call_staff(name, at)
        except (CentralUnavailable, CentralError) as exc:
            # The message names the path and the failure's kind, never anything of the citizen.
            log.warning("calling staff from screen %s failed: %s", name, exc)
            with self._lock:
                if self._visit == visit:
                    self._visit = None  # another tap tries again
            return _ANSWERS["unreachable"]
        log.info("staff called from screen %s: request %d (tap %d)", name, answer.id, answer.calls)
        with self._lock:
            last = self._open
            first_at = last.first_at if last is not None and last.request_id == answer.id else at
            first_screen = last.screen if last is not None and last.request_id == answer.id else name
            self._open = OpenCall(
                answer.id, first_screen, first_at, at, answer.calls, answer.status == "acknowledged"
            )
        return _ANSWERS["called"]

    def open_call(self) -> OpenCall | None:
        """The kiosk's last call, while it may still be open (tapped within SHOWN_OPEN_FOR)."""
        with self._lock:
            call = self._open
        if call is None or self._now() - call.last_at > SHOWN_OPEN_FOR:
            return None
        return call
