"""Bank card readers: what all of them do, and the in-process one (``sim://``); PC/SC is in pcsc_reader.

Both poll on the device's worker thread for their reader and the card in it, and publish
``BankCardInserted`` and ``BankCardWithdrawn``. ``read()`` reads the card in the reader now;
``wait_and_read()`` waits for one first. Either gives a ``BankCard`` or fails with a ``BankCardError``
whose ``message_key`` the UI shows.

Card listeners run on the device thread; the UI layer marshals them to its own thread.
"""

from __future__ import annotations

import abc
import dataclasses
import logging
import threading
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Self

from kiosk.devices.bankcard.card import BankCard
from kiosk.devices.bankcard.channel import Channel
from kiosk.devices.bankcard.errors import BankCardError, BankCardRemoved, CardMute, ReaderGone
from kiosk.devices.bankcard.read_flow import read_card
from kiosk.devices.bankcard.selection import UNIONPAY_AIDS
from kiosk.devices.bankcard.virtual_card import BankCardFileError, VirtualCard, bundled_card
from kiosk.devices.base import (
    CommandContext,
    CommandFuture,
    Device,
    DeviceConfigError,
    DeviceState,
    HealthReport,
    Listeners,
)

if TYPE_CHECKING:
    from kiosk.devices.registry import DeviceUrl

log = logging.getLogger(__name__)


@dataclasses.dataclass(frozen=True)
class BankCardInserted:
    pass


@dataclasses.dataclass(frozen=True)
class BankCardWithdrawn:
    pass


BankCardEvent = BankCardInserted | BankCardWithdrawn


def aids_param(url: DeviceUrl) -> tuple[bytes, ...]:
    """``aids=A000000333010101,A0000000031010``: the accepted AIDs, in the order they are tried."""
    text = url.text_param("aids", "")
    if not text:
        return UNIONPAY_AIDS
    aids = []
    for item in text.split(","):
        try:
            aid = bytes.fromhex(item)
        except ValueError:
            aid = b""
        if not 5 <= len(aid) <= 16:
            raise DeviceConfigError(f"{url}: aids: {item!r} is not an AID (5 to 16 bytes in hex)")
        aids.append(aid)
    return tuple(aids)


class BankCardReader(Device):
    """What every bank card reader does: presence polling, card events, and the read on a channel."""

    kind = "bankcard"

    def __init__(self, url: str, *, poll_interval: float, aids: Sequence[bytes]) -> None:
        super().__init__(url)
        self._poll_seconds = poll_interval
        self._aids = tuple(aids)
        self._card_listeners: Listeners[BankCardEvent] = Listeners(self.name)
        self._card_present = False

    def subscribe_cards(self, callback: Callable[[BankCardEvent], None]) -> Callable[[], None]:
        """Call ``callback`` on the device thread for each card event; returns the unsubscribe."""
        return self._card_listeners.add(callback)

    def read(self, timeout: float | None = 15.0) -> CommandFuture[BankCard]:
        """Read the card in the reader now (``BankCardRemoved`` if there is none)."""
        return self.submit(self._read, timeout)

    def wait_and_read(self, timeout: float | None) -> CommandFuture[BankCard]:
        """Wait for a card, then read it. ``cancel()`` it when the citizen walks away."""

        def wait(ctx: CommandContext) -> BankCard:
            while not self._present_now(ctx):
                ctx.sleep(self._poll_seconds)
            return self._read(ctx)

        return self.submit(wait, timeout)

    def _read(self, ctx: CommandContext) -> BankCard:
        try:
            channel = self._open_channel(ctx)
            try:
                card = read_card(lambda capdu: self._transmit(channel, capdu, ctx), aids=self._aids)
            finally:
                channel.close()
        except BankCardError as exc:
            self._count(failures=1, timeouts=int(isinstance(exc, CardMute)))
            log.info("%s: card read failed (%s)", self.name, exc.message_key)
            if isinstance(exc, ReaderGone):
                self._reader_lost(str(exc))
            raise
        self._count(reads=1)
        log.info("%s: card read (%s)", self.name, card.aid)
        return card

    def _transmit(self, channel: Channel, capdu: bytes, ctx: CommandContext) -> bytes:
        self._count(commands=1)
        return channel.transmit(capdu, ctx)

    def _poll_interval(self) -> float:
        return self._poll_seconds

    def _on_poll(self, ctx: CommandContext) -> None:
        self._present_now(ctx)

    def _present_now(self, ctx: CommandContext) -> bool:
        """Look at the reader, publish what changed, and say whether a card is in it."""
        present = self._card_in_reader(ctx)
        if present != self._card_present:
            self._card_present = present
            self._card_listeners.emit(BankCardInserted() if present else BankCardWithdrawn())
        return present

    def _reader_lost(self, reason: str) -> None:
        self._count(communication_errors=1)
        if self.state in (DeviceState.IDLE, DeviceState.BUSY):  # polling may already know better (offline)
            self._set_state(DeviceState.NO_DEVICE, reason)

    @abc.abstractmethod
    def _card_in_reader(self, ctx: CommandContext) -> bool:
        """Whether a card is in the reader now; also keeps the device state up to date."""

    @abc.abstractmethod
    def _open_channel(self, ctx: CommandContext) -> Channel:
        """Power the card and open a channel to it (``BankCardRemoved`` when there is no card)."""


class _SimChannel:
    def __init__(self, reader: SimBankCardReader, card: VirtualCard) -> None:
        self._reader = reader
        self._card = card

    def transmit(self, capdu: bytes, ctx: CommandContext) -> bytes:
        ctx.check()
        if self._reader.card is not self._card:
            raise BankCardRemoved("the card left the reader")
        if self._reader.mute:
            raise CardMute("the simulated card does not answer")
        return self._card.respond(capdu)

    def close(self) -> None:
        self._card.reset()


class SimBankCardReader(BankCardReader):
    """``sim://[name]?card=<bundled card>&poll_ms=100``: a card in process, for when pcscd is absent.

    ``card`` puts one of the packaged virtual cards (``cards/<name>.json``) in the reader from the start.
    """

    def __init__(self, url: str, *, poll_interval: float = 0.1, card: VirtualCard | None = None) -> None:
        super().__init__(url, poll_interval=poll_interval, aids=UNIONPAY_AIDS)
        self._slot_lock = threading.Lock()
        self._card = card
        self.mute = False

    @classmethod
    def from_url(cls, url: DeviceUrl) -> Self:
        if url.path not in ("", "/"):
            raise DeviceConfigError(f"{url}: a sim URL has a name at most, e.g. sim://default")
        card_name = url.text_param("card", "")
        card = None
        if card_name:
            try:
                card = VirtualCard(bundled_card(card_name))
            except BankCardFileError:
                raise DeviceConfigError(f"{url}: card={card_name!r} is not a packaged virtual card") from None
        poll = url.int_param("poll_ms", 100, minimum=10, maximum=60_000) / 1000
        return cls(str(url), poll_interval=poll, card=card)

    @property
    def card(self) -> VirtualCard | None:
        with self._slot_lock:
            return self._card

    def insert(self, card: VirtualCard) -> None:
        card.reset()
        with self._slot_lock:
            self._card = card

    def remove(self) -> None:
        with self._slot_lock:
            self._card = None

    def _on_open(self, ctx: CommandContext) -> None:
        self._card_present = False
        self._set_state(DeviceState.IDLE, "simulated reader")

    def _on_close(self) -> None:
        """Nothing to release."""

    def _check_external(self, ctx: CommandContext) -> HealthReport:
        return HealthReport(True, f"{self.name}: simulated reader")

    def _card_in_reader(self, ctx: CommandContext) -> bool:
        return self.card is not None

    def _open_channel(self, ctx: CommandContext) -> Channel:
        card = self.card
        if card is None:
            raise BankCardRemoved("no card in the reader")
        return _SimChannel(self, card)
