"""My applications (业务进度): the citizen's applications and appointments as the centre knows them, and
those still in this kiosk's outbox, shown as waiting to be sent (the centre cannot know of them yet)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from kiosk.central import CentralClient, CentralError, CentralUnavailable
from kiosk.i18n import N_
from kiosk.masking import format_fen
from kiosk.services.citizen import CitizenService
from kiosk.services.filing import KioskParts
from kiosk.services.pre_registration import KIND as PRE_REGISTRATION
from kiosk.services.withdrawal import KIND as WITHDRAWAL
from kiosk.services.withdrawal import claim_number
from kiosk.transaction_numbers import kiosk_code, readable

log = logging.getLogger(__name__)

WAITING_TO_SEND = "waiting_to_send"
# The states the centre reports, as the screen names them; one it adds later is shown as it comes.
STATE_NAMES = {
    WAITING_TO_SEND: N_("Waiting to be sent"),
    "accepted": N_("Accepted"),
    "paid": N_("Paid"),
    "rejected": N_("Not accepted"),
    "booked": N_("Booked"),
    "cancelled": N_("Cancelled"),
    "past": N_("Past"),
    "waiting": N_("Waiting for you at the counter"),
    "done": N_("Done"),
    "expired": N_("Expired"),
}
KIND_NAMES = {
    "withdrawal": N_("Withdrawal"),
    "appointment": N_("Appointment"),
    "pre_registration": N_("Pre-registration"),
}


@dataclass(frozen=True)
class ApplicationView:
    kind: str  # withdrawal | appointment | pre_registration
    number: str
    state: str  # a key of STATE_NAMES, or the centre's own word
    created_at: datetime
    summary_zh: str
    summary_en: str
    amount: str  # formatted, "" when none
    card_masked: str

    @property
    def waiting_to_send(self) -> bool:
        return self.state == WAITING_TO_SEND

    def summary(self, locale: str) -> str:
        return self.summary_zh if locale == "zh_CN" else self.summary_en


@dataclass(frozen=True)
class ApplicationsView:
    items: list[ApplicationView]
    # False when the centre could not be asked: only what is waiting in this kiosk is listed.
    complete: bool


class ApplicationsService:
    def __init__(
        self, central: CentralClient, citizen: CitizenService, parts: KioskParts, terminal_id: str
    ) -> None:
        self._central = central
        self._citizen = citizen
        self._parts = parts
        self._terminal_id = terminal_id

    def wipe(self) -> None:
        """Nothing of the citizen is kept between calls."""

    def listing(self) -> ApplicationsView:
        """Newest first. Blocking (HTTP and the outbox): call from a worker."""
        citizen = self._citizen.signed_in_citizen()
        waiting = self._waiting(citizen.id_number)
        try:
            known = self._central.applications(citizen.session_token)
            complete = True
        except (CentralUnavailable, CentralError) as exc:
            log.info("my applications: the centre did not answer (%s)", type(exc).__name__)
            known, complete = [], False
        numbers = {item.number for item in waiting}
        items = list(waiting)
        for application in known:
            if application.number in numbers:  # sent and applied while the list was being made
                items = [item for item in items if item.number != application.number]
            items.append(
                ApplicationView(
                    application.kind,
                    application.number,
                    application.state,
                    application.created_at,
                    application.summary_zh,
                    application.summary_en,
                    format_fen(application.amount_fen) if application.amount_fen is not None else "",
                    application.card_masked or "",
                )
            )
        items.sort(key=lambda item: item.created_at, reverse=True)
        return ApplicationsView(items, complete)

    def _waiting(self, id_number: str) -> list[ApplicationView]:
        outbox = self._parts.outbox
        if outbox is None:
            return []
        from kiosk.masking import mask_bank_card

        views = []
        for item in outbox.waiting((WITHDRAWAL, PRE_REGISTRATION)):
            payload = item.payload
            if payload.get("id_number") != id_number:
                continue
            if item.kind == WITHDRAWAL:
                amount = int(payload["amount_fen"])
                views.append(
                    ApplicationView(
                        "withdrawal",
                        claim_number(self._terminal_id, item.idempotency_key),
                        WAITING_TO_SEND,
                        item.created_at,
                        "提取申请",
                        "Withdrawal application",
                        format_fen(amount),
                        mask_bank_card(str(payload["bank_pan"])),
                    )
                )
            else:
                views.append(
                    ApplicationView(
                        "pre_registration",
                        readable(kiosk_code(self._terminal_id, item.idempotency_key)),
                        WAITING_TO_SEND,
                        item.created_at,
                        "业务预登记",
                        "Pre-registration",
                        "",
                        "",
                    )
                )
        return views
