"""A citizen's visit, owned in one place: who is at the kiosk, which service they asked for, what they have
filed and printed, and the services they use. Plain Python: the Kivy app renders the screen this flow
names and passes taps back; `kiosk simulate` drives the very same flow from a script, without Kivy.

A visit begins when an ID card is placed and ends (`end()`) at the goodbye, the idle wipe or a fault;
ending it forgets everything of the citizen at once, in every service, on the caller's thread.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from kiosk.central import CentralClient
from kiosk.i18n import N_
from kiosk.services.applications import ApplicationsService
from kiosk.services.appointments import AppointmentService
from kiosk.services.background import Background
from kiosk.services.catalogue import CatalogueCache
from kiosk.services.certificates import CertificateService
from kiosk.services.citizen import CardHolder, CardRefused, CitizenService, SignIn, SignInResult
from kiosk.services.complaints import ComplaintService
from kiosk.services.filing import KioskParts
from kiosk.services.password_change import PasswordChangeService
from kiosk.services.pre_registration import PreRegistrationService
from kiosk.services.rating import RatingService, booking_case_ref, query_case
from kiosk.services.touchpoints import TouchpointRecorder
from kiosk.services.withdrawal import WithdrawalService

# Every service a citizen can choose on the home screen, and the screen that begins it. All but those in
# OPEN_SERVICES need the citizen signed in: a transaction carries the visit ticket of the sign-in.
SERVICE_SCREENS = {
    "overview": "overview",
    "deposits": "deposits",
    "loan": "loan",
    "withdrawal": "withdrawal",
    "appointment": "appointment",
    "pre_registration": "pre_registration",
    "certificate": "certificate",
    "password_change": "password_change",
    "status": "applications",
    "complaint": "complaint",
}
# Services anyone may use without an ID card: a complaint or suggestion may be anonymous.
OPEN_SERVICES = frozenset({"complaint"})
# Queries: seeing the answer is the whole service, complete when the citizen leaves its screen.
QUERY_SCREENS = {
    "overview": "overview",
    "deposits": "deposits",
    "loan": "loan",
    "loan_plan": "loan",
    "applications": "status",
}
# Services that file a transaction: offered only while the kiosk can keep one (its outbox is open).
TRANSACTION_SERVICES = frozenset({"withdrawal", "pre_registration", "complaint"})


# The answer to a card placed while staff have the kiosk out of service (the attract screen says so too).
OUT_OF_SERVICE = CardRefused(
    N_("This kiosk is out of service"), N_("Please use another kiosk or ask at the counter.")
)


@dataclass(frozen=True)
class Greeting:
    """What the password screen may show of the citizen: masked."""

    masked_name: str


class VisitFlow:
    def __init__(
        self,
        central: CentralClient,
        parts: KioskParts,
        terminal_id: str,
        data_dir: Path,
        now: Callable[[], datetime],
    ) -> None:
        self._parts = parts
        self.citizen = CitizenService(central)
        self.catalogue = CatalogueCache(central, data_dir)
        self.withdrawal = WithdrawalService(central, self.citizen, parts, terminal_id, now)
        self.appointments = AppointmentService(central, self.citizen, self.catalogue, parts, now)
        self.pre_registration = PreRegistrationService(self.citizen, self.catalogue, parts, terminal_id, now)
        self.certificates = CertificateService(central, self.citizen, parts)
        self.password_change = PasswordChangeService(central, self.citizen)
        self.applications = ApplicationsService(central, self.citizen, parts, terminal_id)
        # Touchpoints and ratings are enqueued on a lane of their own: never behind a slow centre call.
        self._feedback = feedback = Background(workers=1, name="kiosk-feedback")
        self.touchpoints = TouchpointRecorder(
            lambda: parts.outbox, lambda: self.citizen.visit_ticket, now, feedback
        )
        self.rating = RatingService(
            lambda: parts.outbox,
            lambda: self.citizen.visit_ticket,
            lambda: self.touchpoints.visit_id,
            feedback,
        )
        self.complaints = ComplaintService(
            parts, terminal_id, lambda: self.citizen.visit_ticket, lambda: self.touchpoints.visit_id
        )
        # Set while a citizen is being served: configuration changes wait until it clears.
        self.active = threading.Event()
        self.pending_service = "overview"
        self.receipt_printed = False
        self._lock = threading.Lock()
        # Whether the kiosk serves citizens (staff may take it out of service): the runtime sets it.
        self.in_service: Callable[[], bool] = lambda: True

    def offered(self, service: str) -> bool:
        """Whether this kiosk can serve `service` now with the parts it has: a transaction needs the outbox
        open, a withdrawal the bank card reader, a certificate the printer. The home screen hides the
        others rather than let a citizen begin what cannot end."""
        parts = self._parts
        if service in TRANSACTION_SERVICES and parts.transactions_unavailable_reason is not None:
            return False
        if service == "withdrawal" and parts.payee_cards is None:
            return False
        return not (service == "certificate" and parts.printing is None)

    # -- beginning ------------------------------------------------------------------------------------

    def begin(self) -> None:
        """Someone is using the kiosk (left the attract screen): hold configuration changes back. Nothing
        while the kiosk is out of service: no visit begins."""
        if not self.in_service():
            return
        self.active.set()
        self.touchpoints.start()

    def card_placed(self, holder: CardHolder) -> CardRefused | None:
        """An ID card was placed: the visit is theirs, or the reason it cannot be. Out of service, the card
        is ignored (OUT_OF_SERVICE, nothing of the holder kept); the app asks `in_service()` first."""
        if not self.in_service():
            return OUT_OF_SERVICE
        self.touchpoints.start("id_card")
        self.begin()
        return self.citizen.card_placed(holder)

    def greeting(self) -> Greeting:
        holder = self.citizen.holder
        return Greeting(holder.masked_name if holder else "")

    def choose(self, service: str) -> str:
        """The screen to show for a service chosen on the home screen: the service's, or the card screen
        when it needs a citizen who has not signed in yet (they come back to it after)."""
        if service not in SERVICE_SCREENS:
            raise ValueError(f"unknown service {service!r}")
        self.begin()
        self.pending_service = service
        self.touchpoints.service_entered(service)
        if self.citizen.signed_in or service in OPEN_SERVICES:
            return SERVICE_SCREENS[service]
        return "card"

    def sign_in(self, password: str) -> SignInResult:
        """Check the password at the centre (blocking: call on a worker). Every outcome is a touchpoint, a
        failure with its kind (wrong_password, locked, rate_limited, unavailable): the scorecard counts the
        citizens who could not get in, not only those who did."""
        result = self.citizen.sign_in(password)
        if result.outcome is SignIn.OK:
            self.touchpoints.record("signed_in")
        else:
            self.touchpoints.record("sign_in_failed", detail=result.outcome.value)
        return result

    def after_sign_in(self) -> str:
        return SERVICE_SCREENS[self.pending_service]

    # -- touchpoints and cases to rate ----------------------------------------------------------------

    def completed(self, service: str, case_ref: str | None = None, *, rate: bool = True) -> None:
        """A service reached its end (filed, printed, booked, changed, seen): its touchpoint, and with
        `rate` its case waits for the citizen's rating before the goodbye. Without `case_ref` the case is
        the service within the visit (a query, a statement printed, a password changed)."""
        self.touchpoints.service_completed(service)
        visit_id = self.touchpoints.visit_id
        if case_ref is None and visit_id is not None:
            case_ref = query_case(service, visit_id).case_ref
        if rate and case_ref is not None:
            self.rating.completed(service, case_ref)

    def shown(self, screen: str, params: dict[str, Any]) -> None:
        """A screen is about to show: the result screens say a service completed, with its case."""
        if screen == "withdrawal_result" and params["submitted"].answer != "refused":
            self.completed("withdrawal", params["submitted"].claim_number)
        elif screen == "appointment_booked":
            self.completed("appointment", booking_case_ref(params["booked"].appointment.booking_id))
        elif screen == "pre_registration_done":
            self.completed("pre_registration", params["registered"].code)
        elif screen == "complaint_done" and params["lodged"].answer != "refused":
            # Rating how a complaint was taken would ask the citizen twice about the same grievance.
            self.completed("complaint", rate=False)

    def leaving(self, screen: str) -> None:
        """The citizen leaves `screen` for home or the goodbye: a query on it is complete (they have seen
        it); a service still in use is abandoned there."""
        service = QUERY_SCREENS.get(screen)
        if service is not None and service == self.touchpoints.service:
            self.completed(service)
        self.touchpoints.service_left(screen)

    def device_failed(self, device: str) -> None:
        """A device (idcard, printer, bankcard) went out of order: counted against the visit it met."""
        if self.active.is_set():
            self.touchpoints.record("device_failure", detail=device)

    def network_failed(self) -> None:
        if self.active.is_set():
            self.touchpoints.record("network_failure")

    def bank_card_left(self) -> bool:
        """Whether a bank card is still in the payee card reader: the goodbye asks the citizen to take it."""
        payee_cards = self._parts.payee_cards
        return payee_cards is not None and payee_cards.card_in_reader

    def printed(self) -> None:
        """A receipt came out in this visit: the goodbye reminds the citizen to take it."""
        self.receipt_printed = True

    # -- ending ---------------------------------------------------------------------------------------

    def flush_feedback(self, timeout_s: float) -> bool:
        """At stop, before the outbox closes: let the touchpoints and ratings already queued reach it (the
        last visit's `visit_ended` among them). True when they all did within `timeout_s`."""
        return self._feedback.drain(timeout_s)

    def end(self) -> str | None:
        """Forget the citizen at once, everywhere, on the caller's thread. Returns the session token for
        `citizen.close_session` to drop at the centre on a worker (None when nobody had signed in)."""
        with self._lock:
            # Before the citizen is forgotten: the visit's last event still carries its ticket.
            self.touchpoints.end()
            token = self.citizen.end_visit()
            for service in (
                self.withdrawal,
                self.appointments,
                self.pre_registration,
                self.certificates,
                self.password_change,
                self.applications,
                self.rating,
                self.complaints,
            ):
                service.wipe()
            self.pending_service = "overview"
            self.receipt_printed = False
            self.active.clear()
        return token
