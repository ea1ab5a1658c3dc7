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

from kiosk.central import CentralClient
from kiosk.services.applications import ApplicationsService
from kiosk.services.appointments import AppointmentService
from kiosk.services.catalogue import CatalogueCache
from kiosk.services.certificates import CertificateService
from kiosk.services.citizen import CardHolder, CardRefused, CitizenService
from kiosk.services.filing import KioskParts
from kiosk.services.password_change import PasswordChangeService
from kiosk.services.pre_registration import PreRegistrationService
from kiosk.services.withdrawal import WithdrawalService

# Every service a citizen can choose on the home screen, and the screen that begins it. All of them need
# the citizen signed in: a transaction carries the visit ticket of the sign-in.
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
}
# Services that file a transaction: offered only while the kiosk can keep one (its outbox is open).
TRANSACTION_SERVICES = frozenset({"withdrawal", "pre_registration"})


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
        # Set while a citizen is being served: configuration changes wait until it clears.
        self.active = threading.Event()
        self.pending_service = "overview"
        self.receipt_printed = False
        self._lock = threading.Lock()

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
        """Someone is using the kiosk (left the attract screen): hold configuration changes back."""
        self.active.set()

    def card_placed(self, holder: CardHolder) -> CardRefused | None:
        """An ID card was placed: the visit is theirs, or the reason it cannot be."""
        self.begin()
        return self.citizen.card_placed(holder)

    def greeting(self) -> Greeting:
        holder = self.citizen.holder
        return Greeting(holder.masked_name if holder else "")

    def choose(self, service: str) -> str:
        """The screen to show for a service chosen on the home screen: the service's, or the card screen
        when the citizen has not signed in yet (they come back to it after)."""
        if service not in SERVICE_SCREENS:
            raise ValueError(f"unknown service {service!r}")
        self.begin()
        self.pending_service = service
        return SERVICE_SCREENS[service] if self.citizen.signed_in else "card"

    def after_sign_in(self) -> str:
        return SERVICE_SCREENS[self.pending_service]

    def bank_card_left(self) -> bool:
        """Whether a bank card is still in the payee card reader: the goodbye asks the citizen to take it."""
        payee_cards = self._parts.payee_cards
        return payee_cards is not None and payee_cards.card_in_reader

    def printed(self) -> None:
        """A receipt came out in this visit: the goodbye reminds the citizen to take it."""
        self.receipt_printed = True

    # -- ending ---------------------------------------------------------------------------------------

    def end(self) -> str | None:
        """Forget the citizen at once, everywhere, on the caller's thread. Returns the session token for
        `citizen.close_session` to drop at the centre on a worker (None when nobody had signed in)."""
        with self._lock:
            token = self.citizen.end_visit()
            for service in (
                self.withdrawal,
                self.appointments,
                self.pre_registration,
                self.certificates,
                self.password_change,
                self.applications,
            ):
                service.wipe()
            self.pending_service = "overview"
            self.receipt_printed = False
            self.active.clear()
        return token
