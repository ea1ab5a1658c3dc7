"""好差评: after each completed service, before the goodbye, the citizen may rate it (or skip in one tap).

A completed service is a case (`case_ref`: the claim number, booking id, pre-registration code, certificate
code, or `<service>-<visit_id>` for a query); each case is offered once and rated at most once. A rating
goes through the outbox as `rating` with the visit ticket, on a worker: filing it never holds the goodbye
back. Scores of 2 and below carry the citizen's reasons (a fixed pick-list, no free typing) and, if they
want a call back, a phone number that is only ever shown masked.
"""

from __future__ import annotations

import logging
import re
import threading
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from kiosk.i18n import N_
from kiosk.services.background import Background

if TYPE_CHECKING:
    from kiosk.offline_queue.outbox import Outbox

log = logging.getLogger(__name__)

KIND = "rating"
# The national 好差评 levels, best first as on the screen.
LEVELS = (
    (5, N_("Very satisfied")),
    (4, N_("Satisfied")),
    (3, N_("Basically satisfied")),
    (2, N_("Dissatisfied")),
    (1, N_("Very dissatisfied")),
)
# Why a citizen was dissatisfied (score 2 or less): the contract's codes, in the order shown.
REASONS = (
    ("slow", N_("It took too long")),
    ("hard_to_use", N_("The kiosk was hard to use")),
    ("not_solved", N_("My matter was not solved")),
    ("device_fault", N_("The machine did not work properly")),
    ("unclear_information", N_("The information was unclear")),
    ("staff_attitude", N_("Staff attitude")),
    ("other", N_("Another reason")),
)
REASON_CODES = frozenset(code for code, _label in REASONS)
DISSATISFIED_AT_MOST = 2
# A mainland mobile number, or a fixed line with its area code.
PHONE = re.compile(r"^1[3-9][0-9]{9}$|^0[0-9]{9,11}$")
_CASE_REF = re.compile(r"^[A-Za-z0-9_.-]{1,32}$")
# 5: another terminal in a service hall (the national channel code); the first rating of the case.
_CHANNEL = 5
_ROUND = 1


@dataclass(frozen=True)
class Case:
    """One completed service of the visit, waiting for its rating."""

    service: str
    case_ref: str


def query_case(service: str, visit_id: str) -> Case:
    """A query has no number of its own: its case is the service within the visit."""
    return Case(service, f"{service}-{visit_id}")


def booking_case_ref(booking_id: str) -> str:
    """An appointment's case: its booking id, a UUID of 36 characters with the dashes, is too long for a
    case ref (a short code, at most 32); its 32 hex digits are the same UUID (`uuid.UUID` reads them)."""
    return uuid.UUID(booking_id).hex


class RatingRefused(ValueError):
    """The rating does not fit the rules (a bug of the screen's, not the citizen's): nothing was filed."""


class RatingService:
    def __init__(
        self,
        outbox: Callable[[], Outbox | None],
        visit_ticket: Callable[[], str | None],
        visit_id: Callable[[], str | None],
        worker: Background,
    ) -> None:
        self._outbox = outbox
        self._visit_ticket = visit_ticket
        self._visit_id = visit_id
        self._worker = worker
        self._lock = threading.Lock()
        self._waiting: list[Case] = []
        self._seen: set[str] = set()

    def completed(self, service: str, case_ref: str) -> bool:
        """A service was completed: its case waits for a rating. False when the case was seen already."""
        if not _CASE_REF.match(case_ref):
            raise ValueError(f"case_ref {case_ref!r} is not a short code (1-32 of A-Z a-z 0-9 _ . -)")
        with self._lock:
            if case_ref in self._seen:
                return False
            self._seen.add(case_ref)
            self._waiting.append(Case(service, case_ref))
            return True

    def next_case(self) -> Case | None:
        """The next case to ask about, or None: then the goodbye."""
        with self._lock:
            return self._waiting[0] if self._waiting else None

    def skip(self, case: Case) -> None:
        self._settle(case)

    def rate(
        self, case: Case, score: int, reasons: Sequence[str] = (), callback_phone: str | None = None
    ) -> None:
        """File the rating of `case` (on a worker; this returns at once). Raises RatingRefused when it does
        not fit the rules."""
        if score not in range(1, 6):
            raise RatingRefused(f"score {score} is not 1..5")
        if score > DISSATISFIED_AT_MOST and (reasons or callback_phone):
            raise RatingRefused(f"a score of {score} carries no reasons and no phone")
        unknown = set(reasons) - REASON_CODES
        if unknown:
            raise RatingRefused(f"unknown reason codes {sorted(unknown)}; known: {sorted(REASON_CODES)}")
        if callback_phone is not None and not PHONE.fullmatch(callback_phone):
            raise RatingRefused("the callback phone is neither a mainland mobile nor a fixed line number")
        visit_id = self._visit_id()
        if visit_id is None:
            raise RatingRefused("no visit is being recorded")
        payload: dict[str, Any] = {
            "score": score,
            "detail_codes": [code for code, _label in REASONS if code in reasons],
            "text": "",
            "channel": _CHANNEL,
            "rating_round": _ROUND,
            "rater_type": "individual",
            "service_code": case.service,
            "visit_id": visit_id,
            "case_ref": case.case_ref,
        }
        if callback_phone is not None:
            payload["callback_phone"] = callback_phone
        # One rating per case: the key names the case, so a second tap files nothing new.
        key = f"rating-{visit_id}-{case.case_ref}"
        self._settle(case)
        self._worker.submit(self._enqueue, key, payload, self._visit_ticket())

    def wipe(self) -> None:
        with self._lock:
            self._waiting.clear()
            self._seen.clear()

    def _settle(self, case: Case) -> None:
        with self._lock:
            if case in self._waiting:
                self._waiting.remove(case)

    def _enqueue(self, key: str, payload: dict[str, Any], ticket: str | None) -> None:
        outbox = self._outbox()
        if outbox is None:
            log.warning("a rating of %s was not kept: the outbox is not open", payload["service_code"])
            return
        try:
            outbox.enqueue(KIND, payload, key, visit_ticket=ticket)
        except Exception as exc:
            # The citizen has gone by now; staff see the reason, and the kiosk goes on.
            log.warning("a rating of %s was not kept: %s", payload["service_code"], exc)
