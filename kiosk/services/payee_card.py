"""The bank card a withdrawal is paid to: read from its chip, and accepted only if it may take the money.

The reader knows cards; this knows the citizen's rules. A withdrawal is paid only to a debit card in the
citizen's own name, so the chosen application must not be a credit or quasi-credit one, and where the chip
names its holder's ID card (PBOC 9F61 with 9F62 = ID card) that must be the citizen's. Every way a card
is turned away is a `PayeeCardRefused` with a stable code and the sentences the citizen sees.

The reader is configured to read credit applications too (its default AID list has them), so that a credit
card is recognised and refused with the right sentence instead of "could not read".

Nothing here logs a card number, an ID number or a name: only codes and the AID.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import threading
from collections.abc import Callable
from concurrent.futures import CancelledError
from concurrent.futures import TimeoutError as FutureTimeout
from datetime import date
from typing import Literal

from kiosk.devices.bankcard.card import BankCard, HolderIdType
from kiosk.devices.bankcard.errors import BankCardError, CardExpired, ReaderGone
from kiosk.devices.bankcard.reader import BankCardEvent, BankCardInserted, BankCardReader, BankCardWithdrawn
from kiosk.devices.bankcard.selection import UNIONPAY_CREDIT, UNIONPAY_QUASI_CREDIT
from kiosk.devices.base import CommandFuture, DeviceError, DeviceState
from kiosk.devices.errors import CommandCancelled, DeviceClosedError
from kiosk.i18n import N_
from kiosk.masking import mask_bank_card

log = logging.getLogger(__name__)

RefusalCode = Literal["no_card", "credit_card", "not_holder", "expired", "unreadable", "reader_unavailable"]

# (title, body): message ids, translated where they are shown.
_SENTENCES: dict[RefusalCode, tuple[str, str]] = {
    "no_card": (
        N_("No bank card was inserted"),
        N_("Please insert your debit card into the bank card slot, chip first."),
    ),
    "credit_card": (
        N_("This is a credit card"),
        N_(
            "Withdrawals are paid to a debit card (借记卡) in your own name. "
            "Please take this card out and insert a debit card."
        ),
    ),
    "not_holder": (
        N_("This bank card is not in your name"),
        N_(
            "Withdrawals are paid only to a debit card in your own name. "
            "Please take this card out and insert your own debit card."
        ),
    ),
    "expired": (
        N_("This bank card has expired"),
        N_("Please take it out and insert a debit card that is still valid."),
    ),
    "unreadable": (
        N_("We could not read this card"),
        N_("Please take it out and insert it again."),
    ),
    "reader_unavailable": (
        N_("The bank card reader is not working just now"),
        N_("Please ask at the counter."),
    ),
}

# EMV partial selection: an issuer may extend these AIDs with a suffix of its own.
CREDIT_AIDS = (UNIONPAY_CREDIT.hex().upper(), UNIONPAY_QUASI_CREDIT.hex().upper())
# The FCI label (tag 50) an issuer gives a credit application on a card whose AID does not say so.
_CREDIT_LABEL_WORDS = ("CREDIT", "贷记")
# Holder document types whose number is the citizen's resident ID number (a temporary ID card has the
# same number as the card it stands in for).
_ID_CARD_TYPES = (HolderIdType.ID_CARD, HolderIdType.TEMPORARY_ID_CARD)
# Once a card is in the reader, how long a read may take before it counts as unreadable. A read is about
# a dozen commands, each given up after the reader's APDU timeout (3 s by default) when the card is mute.
READ_ALLOWANCE_S = 10.0
# After a cancel, how long to wait for the reader to be free for the next read.
_SETTLE_S = 2.0


class CardReadCancelled(Exception):
    """The wait for a card was given up by `cancel()`: the citizen went back, or the visit ended."""


class PayeeCardRefused(Exception):
    """Why a card cannot be paid to; `title` and `body` are message ids, `code` a stable string."""

    def __init__(self, code: RefusalCode) -> None:
        super().__init__(code)
        self.code: RefusalCode = code
        self.title, self.body = _SENTENCES[code]


@dataclasses.dataclass(frozen=True)
class PayeeCard:
    """A debit card in the citizen's name, as a withdrawal names it. The full PAN is memory only."""

    pan: str = dataclasses.field(repr=False)  # for the payout request, which the outbox encrypts
    label: str  # the application's label on the chip (tag 50), e.g. "PBOC DEBIT"

    @property
    def pan_masked(self) -> str:
        return mask_bank_card(self.pan)

    def __repr__(self) -> str:
        return f"PayeeCard({self.pan_masked}, {self.label!r})"


def is_credit(card: BankCard) -> bool:
    """Whether the application read is a credit or quasi-credit one (by its AID, or by its own label)."""
    if card.aid.upper().startswith(CREDIT_AIDS):
        return True
    label = card.label.upper()
    return any(word in label for word in _CREDIT_LABEL_WORDS)


def _same_id_number(first: str, second: str) -> bool:
    # The check character X may be written either way; a chip may pad the field with spaces.
    return first.strip().upper() == second.strip().upper()


class PayeeCardService:
    """Reads the payee card on the bank card reader and applies the withdrawal's rules to it."""

    def __init__(self, reader: BankCardReader, today: Callable[[], date] = date.today) -> None:
        self._reader = reader
        self._today = today
        # Kept from the reader's events, so that a wait that ran out can tell "no card came" from "a card
        # came and its read did not finish".
        self._card_in = threading.Event()
        reader.subscribe_cards(self._on_card_event)
        # The read in progress, so that `cancel()` (the UI thread) can end it: a wait nobody cares about
        # would hold a worker and the reader for half a minute.
        self._lock = threading.Lock()
        self._reading: CommandFuture[BankCard] | None = None
        self._cancelled = False

    @property
    def reader(self) -> BankCardReader:
        return self._reader

    @property
    def card_in_reader(self) -> bool:
        """Whether a card is in the reader, as its last event said (for the "take your card" reminder)."""
        return self._card_in.is_set()

    def start(self) -> None:
        """Open the reader (after this service listens, so the first card event is not missed)."""
        self._reader.open()

    def read(self, citizen_id_number: str, timeout_s: float) -> PayeeCard:
        """Wait up to `timeout_s` for a card, read it, and accept it or raise `PayeeCardRefused`.

        Blocking: call it on a worker."""
        card = self._read_card(timeout_s)
        refusal = self._refusal(card, citizen_id_number)
        if refusal is not None:
            raise self._refused(refusal, f"application {card.aid}")
        log.info("payee card accepted (%s)", card.aid)
        return PayeeCard(pan=card.pan, label=card.label)

    def _refusal(self, card: BankCard, citizen_id_number: str) -> RefusalCode | None:
        if is_credit(card):
            return "credit_card"
        if (
            card.holder_id
            and card.holder_id_type in _ID_CARD_TYPES
            and not _same_id_number(card.holder_id, citizen_id_number)
        ):
            return "not_holder"
        if card.expiry < self._today():  # the reader checks this too, but by the terminal's clock
            return "expired"
        return None

    def _read_card(self, timeout_s: float) -> BankCard:
        if self._reader.state not in (DeviceState.IDLE, DeviceState.BUSY):
            raise self._refused("reader_unavailable", f"the reader is {self._reader.state}")
        # No deadline on the command itself: this side decides when waiting has lasted long enough, and
        # whether what ran out was the wait for a card or the read of one.
        future = self._reader.wait_and_read(timeout=None)
        with self._lock:
            self._reading, self._cancelled = future, False
        try:
            return self._result(future, timeout_s)
        except (CommandCancelled, CancelledError):
            if self._cancelled:
                raise CardReadCancelled() from None
            raise self._refused("reader_unavailable", "the read was cancelled") from None
        except CardExpired:
            raise self._refused("expired", "the reader found the card expired") from None
        except (ReaderGone, DeviceClosedError) as exc:
            raise self._refused("reader_unavailable", type(exc).__name__) from None
        except (BankCardError, DeviceError) as exc:
            raise self._refused("unreadable", getattr(exc, "message_key", type(exc).__name__)) from None

    def _result(self, future: CommandFuture[BankCard], timeout_s: float) -> BankCard:
        try:
            return future.result(timeout=timeout_s)
        except FutureTimeout:
            pass
        if not self._card_in.is_set():
            self._give_up(future)
            if self._reader.state not in (DeviceState.IDLE, DeviceState.BUSY):
                raise self._refused("reader_unavailable", f"the reader is {self._reader.state}") from None
            raise self._refused("no_card", f"no card within {timeout_s:g} s") from None
        try:
            return future.result(timeout=READ_ALLOWANCE_S)
        except FutureTimeout:
            self._give_up(future)
            raise self._refused("unreadable", f"the read took more than {READ_ALLOWANCE_S:g} s") from None

    def cancel(self) -> None:
        """End the read in progress, if any: its `read()` raises CardReadCancelled at once. Any thread."""
        with self._lock:
            future = self._reading
            if future is None or future.done():
                return
            self._cancelled = True
        future.cancel()

    @staticmethod
    def _give_up(future: CommandFuture[BankCard]) -> None:
        future.cancel()
        # Wait until the reader is free for the next read; cancelled, or still running after that, it is
        # given up either way.
        with contextlib.suppress(CancelledError, FutureTimeout):
            future.exception(timeout=_SETTLE_S)

    def _on_card_event(self, event: BankCardEvent) -> None:
        if isinstance(event, BankCardInserted):
            self._card_in.set()
        elif isinstance(event, BankCardWithdrawn):
            self._card_in.clear()

    @staticmethod
    def _refused(code: RefusalCode, why: str) -> PayeeCardRefused:
        log.info("payee card refused: %s (%s)", code, why)
        return PayeeCardRefused(code)
