"""The demo's staff controls: pick any synthetic citizen and "place" their ID card on the emulated reader,
then put a bank card in the emulated bank card reader: the citizen's own debit card, their credit card, or
someone else's debit card. Stop the reference centre to show the kiosk working offline, and start it again
to see what waited in the outbox arrive.

The card faces come from the reference central's demo endpoint, so the demo always shows citizens the
central knows; the kiosk itself never imports the reference server.
"""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal, Protocol

from kiosk.central import CentralClient
from kiosk.central.models import DemoCard
from kiosk.devices.bankcard.demo_cards import CREDIT_PREFIX, DEBIT_PREFIX, made_card, synthetic_pan
from kiosk.devices.bankcard.reader import SimBankCardReader
from kiosk.devices.bankcard.virtual_card import CardProfile, VirtualCard
from kiosk.devices.idcard.card import LONG_TERM, CardType, Gender, IdCard
from kiosk.i18n import N_
from kiosk.masking import mask_bank_card, mask_id_number

if TYPE_CHECKING:
    from kiosk.offline_queue.outbox import Outbox
    from kiosk.services.payee_card import PayeeCardService

# The chip's photo is opaque to the kiosk; the emulator needs some bytes of the right size.
_DEMO_PHOTO = bytes(1024)
# xdg-open hands the page to the desktop's browser and ends; one still running after this is that browser.
_BROWSER_START_S = 5.0


class DemoError(Exception):
    """The demo could not start one of its parts; `str()` says which and what to do, in one line."""


class CardPlacer(Protocol):
    def place_card(self, card: IdCard) -> None: ...
    def remove_card(self) -> None: ...


class BankCardSlot(Protocol):
    """Where the demo puts a virtual bank card: vpcd's slot behind the demo's own pcscd, or the kiosk's
    in-process reader when there is no pcscd."""

    def insert(self, profile: CardProfile) -> None: ...
    def remove(self) -> None: ...


class CentreSwitch(Protocol):
    """The demo's reference centre, a child process staff may stop and start again (kiosk.demo.DemoCentre)."""

    @property
    def running(self) -> bool: ...
    @property
    def base_url(self) -> str: ...
    def start(self) -> None: ...  # raises DemoError
    def stop(self) -> None: ...


BankCardKind = Literal["own_debit", "credit", "someone_else"]


class NoCitizenPlaced(LookupError):
    """A bank card of "the citizen" was asked for before any ID card was placed."""


class InProcessSlot:
    """The slot of the kiosk's own ``sim://`` bank card reader, found when a card is put in."""

    def __init__(self, payee_cards: Callable[[], PayeeCardService | None]) -> None:
        self._payee_cards = payee_cards

    def _reader(self) -> SimBankCardReader:
        service = self._payee_cards()
        reader = service.reader if service is not None else None
        if not isinstance(reader, SimBankCardReader):
            raise LookupError("devices.bankcard is not the in-process reader (sim://): no slot for a card")
        return reader

    def insert(self, profile: CardProfile) -> None:
        self._reader().insert(VirtualCard(profile))

    def remove(self) -> None:
        self._reader().remove()


@dataclass(frozen=True)
class DemoCitizen:
    name: str  # synthetic, so shown in full to the demo's operator
    id_masked: str
    tags: tuple[str, ...]  # message ids: "Sealed account", "Has a loan", …
    card: IdCard


def card_from_demo(face: DemoCard) -> IdCard:
    valid_to: dt.date | Literal["long_term"] = (
        LONG_TERM if face.valid_to in ("long_term", "长期") else dt.date.fromisoformat(face.valid_to)
    )
    return IdCard(
        card_type=CardType.RESIDENT,
        name=face.name,
        gender=Gender(face.gender),
        nation=face.nation,
        birth_date=face.birth_date,
        address=face.address,
        id_number=face.id_number,
        issuing_authority=face.issuing_authority,
        valid_from=face.valid_from,
        valid_to=valid_to,
        photo=_DEMO_PHOTO,
    )


class DemoService:
    def __init__(
        self,
        central: CentralClient,
        placer: CardPlacer,
        last_receipt: Callable[[], Path | None] = lambda: None,
        bank_cards: BankCardSlot | None = None,
        centre: CentreSwitch | None = None,
        outbox: Callable[[], Outbox | None] = lambda: None,
    ) -> None:
        self._central = central
        self._placer = placer
        self.last_receipt = last_receipt  # the PNG the demo's virtual printer drew last
        self._bank_cards = bank_cards
        self._centre = centre
        self._outbox = outbox  # the kiosk's, once its background services have made it
        self._citizens: list[DemoCitizen] = []
        self._placed: DemoCitizen | None = None  # whose ID card was placed last: the bank cards' holder

    def citizens(self) -> list[DemoCitizen]:
        """Blocking (HTTP): call from a worker."""
        result = []
        for face in self._central.demo_cards():
            tags = []
            if face.status == "sealed":
                tags.append(N_("Sealed account"))
            elif face.status == "closed":
                tags.append(N_("Closed account"))
            if face.has_loan:
                tags.append(N_("Has a loan"))
            result.append(
                DemoCitizen(face.name, mask_id_number(face.id_number), tuple(tags), card_from_demo(face))
            )
        self._citizens = result
        return result

    def place(self, citizen: DemoCitizen) -> None:
        self._placer.place_card(citizen.card)
        self._placed = citizen

    def remove(self) -> None:
        self._placer.remove_card()

    def insert_bank_card(self, kind: BankCardKind) -> str:
        """Put a synthetic bank card in the reader (taking out the one there); its PAN, masked.

        ``own_debit`` and ``credit`` carry the ID number of the citizen whose ID card was placed last
        (9F61); ``someone_else`` is a debit card of another synthetic citizen. Blocking: call on a worker."""
        if self._bank_cards is None:
            raise LookupError("the demo has no bank card reader")
        holder = self._placed
        if holder is None:
            raise NoCitizenPlaced("place a citizen's ID card first")
        if kind == "someone_else":
            holder = next((c for c in self._citizens if c.card.id_number != holder.card.id_number), None)
            if holder is None:
                raise NoCitizenPlaced("no other synthetic citizen is loaded")
        # The birth date and sequence digits make each citizen's cards distinct and the same every time.
        serial = int(holder.card.id_number[6:17])
        pan = synthetic_pan(CREDIT_PREFIX if kind == "credit" else DEBIT_PREFIX, serial)
        profile = made_card(pan=pan, holder_id=holder.card.id_number, credit=kind == "credit")
        self._bank_cards.insert(profile)
        return mask_bank_card(pan)

    def take_bank_card_out(self) -> None:
        if self._bank_cards is not None:
            self._bank_cards.remove()

    # -- the centre ---------------------------------------------------------------------------------------

    @property
    def can_switch_centre(self) -> bool:
        """Whether the demo runs the centre itself, so staff may stop and start it."""
        return self._centre is not None

    @property
    def centre_running(self) -> bool:
        """Non-blocking: safe on the UI thread."""
        return self._centre is None or self._centre.running

    def verify_page(self) -> str:
        """The centre's public page for checking a printed certificate, as a browser on this machine opens
        it: a certificate's QR code holds this address followed by its code."""
        base_url = self._centre.base_url if self._centre is not None else self._central.base_url
        return f"{base_url}/verify"

    def open_verify_page(self) -> bool:
        """Open the verify page in the desktop's browser (xdg-open); False when there is none to open it.
        Python's webbrowser is not used: without a desktop browser it runs a text one (lynx, w3m) in the
        terminal the demo was started from. Blocking (up to a few seconds): call on a worker."""
        opener = shutil.which("xdg-open")
        if opener is None:
            return False
        process = subprocess.Popen(
            [opener, self.verify_page()],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        try:
            return process.wait(timeout=_BROWSER_START_S) == 0
        except subprocess.TimeoutExpired:
            return True

    def stop_centre(self) -> None:
        """Blocking (up to the centre's shutdown): call on a worker. The kiosk then finds the centre
        unreachable: what citizens file waits in its outbox."""
        if self._centre is None:
            raise LookupError("the demo does not run this centre")
        self._centre.stop()

    def start_centre(self) -> None:
        """Blocking (the centre's start-up): call on a worker. Raises DemoError saying why it did not start.

        What waits in the outbox goes at once: the forwarder's backoff after minutes without the centre
        could otherwise hold it back for as long again, and the demo is there to show it arrive."""
        if self._centre is None:
            raise LookupError("the demo does not run this centre")
        self._centre.start()
        outbox = self._outbox()
        if outbox is not None:
            outbox.retry_now()
