"""A withdrawal application (提取), step by step: the reason from the centre's list, the amount, the payee
bank card read from its chip, confirmation, then filed through the outbox and the slip printed.

The centre decides what a citizen may apply for (GET /v1/citizen/withdrawal/options); the kiosk checks
the amount against the maximum it was given so that the citizen hears "too much" at the keypad, not from
a refusal later. The full card number lives only in this draft (memory) and the outbox's encrypted row.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from kiosk.central import CentralClient, CentralError, CentralUnavailable
from kiosk.i18n import N_
from kiosk.masking import format_fen
from kiosk.services.citizen import CitizenService, Unavailable
from kiosk.services.filing import Answer, KioskParts, NotTaken, file, new_key
from kiosk.transaction_numbers import kiosk_code

if TYPE_CHECKING:
    from kiosk.services.payee_card import PayeeCard

log = logging.getLogger(__name__)

CLAIM_PREFIX = "TQ"  # as the centre numbers a withdrawal: TQ and the kiosk code of the item
KIND = "withdrawal_application"
# Amounts as typed on the keypad: yuan, at most two decimals; above 10 million is not a withdrawal.
_AMOUNT = re.compile(r"(0|[1-9][0-9]{0,7})(\.[0-9]{1,2})?")
CARD_READ_TIMEOUT_S = 30.0


def claim_number(terminal_id: str, idempotency_key: str) -> str:
    """The number printed on the slip; the centre derives the same one from the item (withdrawals.py)."""
    return CLAIM_PREFIX + kiosk_code(terminal_id, idempotency_key)


class AmountRefused(ValueError):
    """An amount the citizen cannot apply for; `message` (a message id) says why, `maximum` is formatted."""

    def __init__(self, message: str, maximum: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.maximum = maximum


def parse_amount(text: str) -> int:
    """Fen from the keypad's text ("1200", "1200.5", "0.01"); AmountRefused when it is not an amount."""
    if not _AMOUNT.fullmatch(text):
        raise AmountRefused(N_("Please enter an amount in yuan, with at most two decimals."))
    whole, _, decimals = text.partition(".")
    fen = int(whole) * 100 + int((decimals + "00")[:2])
    if fen == 0:
        raise AmountRefused(N_("Please enter an amount above zero."))
    return fen


@dataclass(frozen=True)
class ReasonView:
    """One reason from the centre, as the screen lists it (both languages: the screen picks)."""

    code: str
    name_zh: str
    name_en: str
    allowed: bool
    refusal_zh: str
    refusal_en: str
    maximum: str  # formatted, "¥12,345.67"; "" when not allowed
    max_fen: int
    materials_zh: tuple[str, ...]
    materials_en: tuple[str, ...]
    counter_only: bool  # allowed, but filed at the counter (the centre checks documents there)

    @property
    def selectable(self) -> bool:
        return self.allowed and not self.counter_only

    def name(self, locale: str) -> str:
        return self.name_zh if locale == "zh_CN" else self.name_en


@dataclass(frozen=True)
class CardView:
    card_masked: str
    label: str


@dataclass(frozen=True)
class ConfirmView:
    reason_zh: str
    reason_en: str
    amount: str
    card_masked: str


@dataclass(frozen=True)
class Submitted:
    """What became of the application: the screen shows the claim number and the answer."""

    claim_number: str
    answer: Answer
    amount: str
    printed: bool
    message: str  # a message id: what to do with the slip, or why there is none


@dataclass
class _Draft:
    office: str = ""
    reasons: dict[str, ReasonView] = field(default_factory=dict)
    reason: ReasonView | None = None
    amount_fen: int | None = None
    card: PayeeCard | None = field(default=None, repr=False)
    key: str | None = None  # chosen at confirmation: a second tap files the same application
    submitted: Submitted | None = None


class WithdrawalService:
    def __init__(
        self,
        central: CentralClient,
        citizen: CitizenService,
        parts: KioskParts,
        terminal_id: str,
        now: Callable[[], datetime],
    ) -> None:
        self._central = central
        self._citizen = citizen
        self._parts = parts
        self._terminal_id = terminal_id
        self._now = now
        self._lock = threading.Lock()
        self._submitting = threading.Lock()
        self._draft = _Draft()

    def wipe(self) -> None:
        with self._lock:
            self._draft = _Draft()
        self.cancel_card_read()

    @property
    def office(self) -> str:
        """The office whose counter handles the counter-only reasons, as the last `reasons()` said."""
        with self._lock:
            return self._draft.office

    # -- the steps, in order (blocking ones on a worker) ------------------------------------------------

    def reasons(self) -> list[ReasonView]:
        """The centre's reasons for this citizen today. Blocking (HTTP); Unavailable when it cannot say."""
        token = self._citizen.signed_in_citizen().session_token
        try:
            answer = self._central.withdrawal_options(token)
        except (CentralUnavailable, CentralError) as exc:
            raise Unavailable(str(exc)) from exc
        views = [
            ReasonView(
                code=option.code,
                name_zh=option.name.zh,
                name_en=option.name.en,
                allowed=option.allowed,
                refusal_zh=option.refusal.zh if option.refusal else "",
                refusal_en=option.refusal.en if option.refusal else "",
                maximum=format_fen(option.max_fen) if option.allowed else "",
                max_fen=option.max_fen,
                materials_zh=tuple(m.zh for m in option.materials),
                materials_en=tuple(m.en for m in option.materials),
                counter_only=option.counter_only,
            )
            for option in answer.options
        ]
        with self._lock:
            self._draft = _Draft(office=answer.office, reasons={view.code: view for view in views})
        return views

    def choose_reason(self, code: str) -> ReasonView:
        """ValueError for a reason the centre did not offer this citizen (a UI or script error)."""
        with self._lock:
            reason = self._draft.reasons.get(code)
            if reason is None or not reason.selectable:
                raise ValueError(f"withdrawal reason {code!r} cannot be chosen at the kiosk now")
            self._draft.reason = reason
            self._draft.amount_fen = None
            return reason

    def set_amount(self, text: str) -> str:
        """The amount, formatted; AmountRefused when it is not one or above the reason's maximum."""
        with self._lock:
            reason = self._draft.reason
            if reason is None:
                raise ValueError("set_amount() before a reason was chosen")
            fen = parse_amount(text)
            if fen > reason.max_fen:
                raise AmountRefused(N_("The most you can apply for is {maximum}."), reason.maximum)
            self._draft.amount_fen = fen
            return format_fen(fen)

    def read_card(self, timeout_s: float = CARD_READ_TIMEOUT_S) -> CardView:
        """Wait for the payee card and read it (blocking: the reader). PayeeCardRefused says why a card
        cannot be paid to."""
        from kiosk.services.payee_card import PayeeCardRefused

        citizen = self._citizen.signed_in_citizen()
        reader = self._parts.payee_cards
        if reader is None:
            raise PayeeCardRefused("reader_unavailable")
        with self._lock:
            draft = self._draft
        card = reader.read(citizen.id_number, timeout_s)
        with self._lock:
            if self._draft is not draft:  # the visit ended during the read: the card is nobody's now
                raise ValueError("the visit ended while the card was read")
            draft.card = card
        return CardView(card.pan_masked, card.label)

    def cancel_card_read(self) -> None:
        """Stop waiting for the payee card (the citizen went back): `read_card` raises CardReadCancelled."""
        reader = self._parts.payee_cards
        if reader is not None:
            reader.cancel()

    def confirmation(self) -> ConfirmView:
        with self._lock:
            draft = self._draft
            if draft.reason is None or draft.amount_fen is None or draft.card is None:
                raise ValueError("confirmation() before reason, amount and card")
            if draft.key is None:
                draft.key = new_key("wd")
            return ConfirmView(
                draft.reason.name_zh,
                draft.reason.name_en,
                format_fen(draft.amount_fen),
                draft.card.pan_masked,
            )

    def submit(self) -> Submitted:
        """File the confirmed application (durable), wait briefly for the centre, then print the slip.
        Blocking. NotTaken when the kiosk cannot keep it (nothing filed, nothing printed)."""
        # One at a time: a second tap while the first is being filed waits for it and gets its answer,
        # instead of printing a second slip.
        with self._submitting:
            return self._submit()

    def _submit(self) -> Submitted:
        with self._lock:
            draft = self._draft
            if draft.submitted is not None:
                return draft.submitted
            reason, amount_fen, card, key = draft.reason, draft.amount_fen, draft.card, draft.key
        if reason is None or amount_fen is None or card is None or key is None:
            raise ValueError("submit() before confirmation()")
        citizen = self._citizen.signed_in_citizen()
        payload = {
            "id_number": citizen.id_number,
            "name": citizen.name,
            "withdrawal_type": reason.code,
            "amount_fen": amount_fen,
            "bank_pan": card.pan,
        }
        accepted_at = self._now()
        filed = file(self._parts, KIND, payload, key, citizen.visit_ticket)
        number = claim_number(self._terminal_id, key)
        if filed.answer == "refused":
            result = Submitted(
                number,
                "refused",
                format_fen(amount_fen),
                False,
                N_("The centre did not accept this application. Please quote its number at the counter."),
            )
        else:
            printed, message = self._print_slip(
                number, reason, amount_fen, card.pan_masked, filed.answer, accepted_at
            )
            result = Submitted(number, filed.answer, format_fen(amount_fen), printed, message)
        with self._lock:
            if self._draft is draft:
                draft.submitted = result
                draft.card = None  # filed: the number is in the outbox's sealed row, not needed here now
        return result

    def _print_slip(
        self,
        number: str,
        reason: ReasonView,
        amount_fen: int,
        card_masked: str,
        answer: Answer,
        accepted_at: datetime,
    ) -> tuple[bool, str]:
        from kiosk.receipts.data import Holder, WithdrawalSlipData
        from kiosk.receipts.templates import withdrawal_slip

        printing = self._parts.printing
        if printing is None:
            return False, N_("Please note your claim number; you can follow it under My applications.")
        citizen = self._citizen.signed_in_citizen()
        data = WithdrawalSlipData(
            holder=Holder(name=citizen.name, id_number=citizen.id_number, account_number=""),
            claim_number=number,
            reason=reason.name_zh,
            amount_fen=amount_fen,
            card_masked=card_masked,
            accepted_at=accepted_at,
            status="accepted" if answer == "accepted" else "waiting",
            materials=reason.materials_zh,
            printed_at=printing.now(),
        )
        report = printing.print_receipt(withdrawal_slip(data, printing.branding()), "withdrawal slip")
        if report.printed:
            return True, report.message
        # The application is filed whatever the printer does; the citizen needs its number, not paper.
        return False, N_(
            "Your application is filed, but the slip could not be printed. Please note its number."
        )


__all__ = [
    "AmountRefused",
    "CardView",
    "ConfirmView",
    "NotTaken",
    "ReasonView",
    "Submitted",
    "WithdrawalService",
    "claim_number",
    "parse_amount",
]
