"""Pre-registration (预登记): the citizen names the business they will come to the counter for, gets the
materials checklist and a code the counter looks up. It works offline: the business types come from the
kept catalogue, the registration goes through the outbox, and the code is the kiosk's own
(`kiosk.transaction_numbers`), the one the centre records when the item arrives."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from kiosk.i18n import N_
from kiosk.services.catalogue import BusinessView, CatalogueCache
from kiosk.services.citizen import CitizenService, Unavailable
from kiosk.services.filing import Answer, KioskParts, file, new_key
from kiosk.services.policy import CENTRE_TIME
from kiosk.transaction_numbers import PRE_REGISTRATION_VALID_DAYS, kiosk_code, readable

KIND = "pre_registration"


@dataclass(frozen=True)
class Registered:
    code: str  # readable: "7KQD-M3XA"
    business_zh: str
    business_en: str
    materials_zh: tuple[str, ...]
    materials_en: tuple[str, ...]
    valid_until: date
    answer: Answer
    printed: bool
    message: str  # a message id


class PreRegistrationService:
    def __init__(
        self,
        citizen: CitizenService,
        catalogue: CatalogueCache,
        parts: KioskParts,
        terminal_id: str,
        now: Callable[[], datetime],
    ) -> None:
        self._citizen = citizen
        self._catalogue = catalogue
        self._parts = parts
        self._terminal_id = terminal_id
        self._now = now
        self._key: tuple[str, str] | None = None  # (business, key): a second tap registers nothing new

    def wipe(self) -> None:
        self._key = None

    def business_types(self) -> list[BusinessView]:
        """What can be pre-registered: the centre's list, or the kept one offline. Blocking; Unavailable
        only when the kiosk has never had a list."""
        self._citizen.signed_in_citizen()
        types = self._catalogue.businesses(pre_registrable=True)
        if not types:
            raise Unavailable("no catalogue of business types kept yet")
        return types

    def register(self, business_code: str) -> Registered:
        """File the pre-registration (durable), then print the slip. Blocking; NotTaken when the kiosk
        cannot keep it; ValueError for a business that is not pre-registrable."""
        business = self._catalogue.business(business_code)
        if business is None or business_code not in {
            b.code for b in self._catalogue.businesses(pre_registrable=True, refresh=False)
        }:
            raise ValueError(f"business {business_code!r} cannot be pre-registered")
        citizen = self._citizen.signed_in_citizen()
        if self._key is None or self._key[0] != business_code:
            self._key = (business_code, new_key("pr"))
        key = self._key[1]
        taken_at = self._now()
        payload = {
            "id_number": citizen.id_number,
            "name": citizen.name,
            "business_code": business_code,
            "note": "",
        }
        filed = file(self._parts, KIND, payload, key, citizen.visit_ticket)
        code = readable(kiosk_code(self._terminal_id, key))
        valid_until = taken_at.astimezone(CENTRE_TIME).date() + timedelta(days=PRE_REGISTRATION_VALID_DAYS)
        if filed.answer == "refused":
            return Registered(
                code,
                business.name_zh,
                business.name_en,
                business.materials_zh,
                business.materials_en,
                valid_until,
                "refused",
                False,
                N_("The centre did not accept this pre-registration. Please ask at the counter."),
            )
        printed, message = self._print_slip(code, business, valid_until, filed.answer)
        return Registered(
            code,
            business.name_zh,
            business.name_en,
            business.materials_zh,
            business.materials_en,
            valid_until,
            filed.answer,
            printed,
            message,
        )

    def _print_slip(
        self, code: str, business: BusinessView, valid_until: date, answer: Answer
    ) -> tuple[bool, str]:
        from kiosk.receipts.data import Holder, PreRegistrationData
        from kiosk.receipts.templates import pre_registration

        printing = self._parts.printing
        if printing is None:
            return False, N_("Please note your pre-registration code and bring the materials listed.")
        citizen = self._citizen.signed_in_citizen()
        data = PreRegistrationData(
            code=code,
            business=business.name_zh,
            holder=Holder(name=citizen.name, id_number=citizen.id_number, account_number=""),
            valid_until=valid_until,
            materials=business.materials_zh,
            status="accepted" if answer == "accepted" else "waiting",
            printed_at=printing.now(),
        )
        report = printing.print_receipt(pre_registration(data, printing.branding()), "pre-registration slip")
        if report.printed:
            return True, report.message
        return False, N_("You are pre-registered, but the slip could not be printed. Please note your code.")
