"""PC/SC through pyscard's ``smartcard.scard``: the service, its readers, and a channel to a card.

The low-level API rather than pyscard's object layer, because the kiosk must tell apart "pcscd is gone",
"the reader is gone", "the card was pulled" and "the card does not answer", which the object layer folds
into one exception. Every call that reaches the card runs on a helper thread and is waited for with a
timeout: vpcd, and some real drivers, would otherwise wait for a mute card for ever.
"""

from __future__ import annotations

import contextlib
import logging
import queue
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, wait
from typing import Any, TypeVar

from smartcard import scard

from kiosk.devices.bankcard.errors import BankCardError, BankCardRemoved, CardMute, ReaderGone
from kiosk.devices.base import CommandContext, DeviceError

log = logging.getLogger(__name__)

T = TypeVar("T")

_SERVICE_GONE = frozenset(
    {scard.SCARD_E_NO_SERVICE, scard.SCARD_E_SERVICE_STOPPED, scard.SCARD_E_INVALID_HANDLE}
)
_READER_GONE = frozenset(
    {scard.SCARD_E_UNKNOWN_READER, scard.SCARD_E_READER_UNAVAILABLE, scard.SCARD_E_NO_READERS_AVAILABLE}
)

_CARD_GONE = frozenset({scard.SCARD_W_REMOVED_CARD, scard.SCARD_E_NO_SMARTCARD, scard.SCARD_W_RESET_CARD})
_NO_CANCEL = CommandContext(threading.Event(), None)
_WAIT_SLICE = 0.05
# How long a failed command may take to show up as an empty slot: pcscd polls readers that cannot
# signal removal (vpcd among them) every 400 ms.
_REMOVAL_GRACE = 1.0  # seconds between checks of cancel and deadline while the card works


class PcscError(DeviceError):
    def __init__(self, call: str, hresult: int) -> None:
        super().__init__(f"{call}: {scard.SCardGetErrorMessage(hresult)} (0x{hresult & 0xFFFFFFFF:08X})")
        self.hresult = hresult

    @property
    def service_gone(self) -> bool:
        return self.hresult in _SERVICE_GONE

    @property
    def reader_gone(self) -> bool:
        return self.hresult in _READER_GONE


def _check(call: str, hresult: int) -> None:
    if hresult != scard.SCARD_S_SUCCESS:
        raise PcscError(call, hresult)


class PcscService:
    """One PC/SC context for watching readers and cards; re-established after pcscd restarts."""

    def __init__(self) -> None:
        self._context: int | None = None

    @property
    def connected(self) -> bool:
        return self._context is not None

    def connect(self) -> None:
        if self._context is None:
            hresult, context = scard.SCardEstablishContext(scard.SCARD_SCOPE_USER)
            _check("SCardEstablishContext", hresult)
            self._context = context

    def disconnect(self) -> None:
        context, self._context = self._context, None
        if context is not None:
            scard.SCardReleaseContext(context)

    def readers(self) -> list[str]:
        self.connect()
        hresult, names = scard.SCardListReaders(self._context, [])
        if hresult in (scard.SCARD_E_NO_READERS_AVAILABLE, scard.SCARD_E_READER_UNAVAILABLE):
            return []
        self._fail_if(hresult, "SCardListReaders")
        return list(names)

    def card_present(self, reader: str) -> bool:
        self.connect()
        hresult, states = scard.SCardGetStatusChange(self._context, 0, [(reader, scard.SCARD_STATE_UNAWARE)])
        self._fail_if(hresult, "SCardGetStatusChange")
        state = states[0][1]
        return bool(state & scard.SCARD_STATE_PRESENT) and not state & scard.SCARD_STATE_MUTE

    def _fail_if(self, hresult: int, call: str) -> None:
        if hresult != scard.SCARD_S_SUCCESS:
            error = PcscError(call, hresult)
            if error.service_gone:
                self.disconnect()  # the next call establishes a new context with the new pcscd
            raise error


class _Helper:
    """A daemon thread that makes blocking PC/SC calls, so the device thread can give up waiting."""

    def __init__(self) -> None:
        # Each job has its own result type; the thread only passes each result to its own future.
        self._jobs: queue.SimpleQueue[tuple[Callable[[], Any], Future[Any]] | None] = (
            queue.SimpleQueue()
        )
        self.stuck = False
        threading.Thread(target=self._run, name="pcsc card call", daemon=True).start()

    def _run(self) -> None:
        while (job := self._jobs.get()) is not None:
            fn, future = job
            try:
                future.set_result(fn())
            except BaseException as exc:
                future.set_exception(exc)

    def call(self, fn: Callable[[], T], timeout: float, ctx: CommandContext) -> T:
        future: Future[T] = Future()
        self._jobs.put((fn, future))
        deadline = time.monotonic() + timeout
        while not future.done():
            if ctx.cancel_requested or ctx.remaining() == 0:
                self.stuck = True  # the call goes on without us; nothing more may be queued behind it
                ctx.check()
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                self.stuck = True
                raise CardMute(f"no answer from the card in {timeout:g} s")
            wait([future], min(_WAIT_SLICE, remaining))
        return future.result()

    def finish(self, cleanup: Callable[[], None] | None = None) -> None:
        """Run ``cleanup`` (if any) after whatever call is still running, then end the thread."""
        if cleanup is not None:
            self._jobs.put((cleanup, Future()))
        self._jobs.put(None)


class PcscChannel:
    """A connection to the card in one reader, on a PC/SC context of its own.

    Its own context, because pcsc-lite serialises the calls on one context: a transmit to a mute card
    would otherwise block the status polling of the device as well.
    """

    def __init__(self, reader: str, apdu_timeout: float, ctx: CommandContext) -> None:
        self._reader = reader
        self._timeout = apdu_timeout
        self._helper = _Helper()
        self._context: int | None = None
        self._card: int | None = None
        self._protocol = scard.SCARD_PCI_T0
        self.commands = 0
        try:
            hresult = self._helper.call(self._connect, apdu_timeout, ctx)
            if hresult != scard.SCARD_S_SUCCESS:
                raise self._translate(PcscError("SCardConnect", hresult))
        except BaseException:
            self.close()
            raise

    def _connect(self) -> int:
        """Power the card; the result code, for the caller to translate off the helper thread."""
        hresult, context = scard.SCardEstablishContext(scard.SCARD_SCOPE_USER)
        if hresult != scard.SCARD_S_SUCCESS:
            return int(hresult)
        self._context = context
        hresult, card, protocol = scard.SCardConnect(
            context, self._reader, scard.SCARD_SHARE_SHARED, scard.SCARD_PROTOCOL_T0 | scard.SCARD_PROTOCOL_T1
        )
        if hresult == scard.SCARD_S_SUCCESS:
            self._card = card
            self._protocol = scard.SCARD_PCI_T1 if protocol == scard.SCARD_PROTOCOL_T1 else scard.SCARD_PCI_T0
        return int(hresult)

    def _translate(self, error: PcscError) -> BankCardError:
        if error.service_gone or error.reader_gone:
            return ReaderGone(str(error))
        if error.hresult in _CARD_GONE or self._card_left(within=_REMOVAL_GRACE):
            return BankCardRemoved(str(error))
        return CardMute(str(error))

    def _card_left(self, within: float) -> bool:
        """Whether the card leaves within ``within`` seconds of a failed command.

        A pulled card first shows as a failed command; the reader (or pcscd, polling vpcd) reports the
        empty slot a moment later. Waiting for that tells a pulled card from a mute one.
        """
        if self._context is None:
            return True
        deadline = time.monotonic() + within
        hresult, states = scard.SCardGetStatusChange(
            self._context, 0, [(self._reader, scard.SCARD_STATE_UNAWARE)]
        )
        while hresult == scard.SCARD_S_SUCCESS:
            state = states[0][1]
            if not state & scard.SCARD_STATE_PRESENT:
                return True
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return False
            hresult, states = scard.SCardGetStatusChange(
                self._context, int(remaining * 1000) + 1, [(self._reader, state & ~scard.SCARD_STATE_CHANGED)]
            )
        return hresult != scard.SCARD_E_TIMEOUT

    def transmit(self, capdu: bytes, ctx: CommandContext) -> bytes:
        if self._helper.stuck:
            raise CardMute("the card did not answer an earlier command")

        def send() -> tuple[int, list[int]]:
            hresult, response = scard.SCardTransmit(self._card, self._protocol, list(capdu))
            return hresult, response

        self.commands += 1
        hresult, response = self._helper.call(send, self._timeout, ctx)
        if hresult == scard.SCARD_S_SUCCESS and len(response) < 2:
            # vpcd reports a card that left mid-command as a successful, empty answer.
            hresult = scard.SCARD_E_NOT_TRANSACTED
        if hresult != scard.SCARD_S_SUCCESS:
            raise self._translate(PcscError("SCardTransmit", hresult))
        return bytes(response)

    def close(self) -> None:
        """Disconnect now; after a card went mute, as soon as its pending call returns."""

        def cleanup() -> None:
            card, self._card = self._card, None
            context, self._context = self._context, None
            with contextlib.suppress(Exception):  # the card or pcscd may be long gone: nothing to undo
                if card is not None:
                    # Not a reset: the handle of a mute card is released only after that card has gone,
                    # and a reset through it would reach the next card. With vpcd that even left pcscd
                    # reporting a card in an empty slot. The next read SELECTs afresh anyway.
                    scard.SCardDisconnect(card, scard.SCARD_LEAVE_CARD)
                if context is not None:
                    scard.SCardReleaseContext(context)

        if self._helper.stuck:
            self._helper.finish(cleanup)
            return
        with contextlib.suppress(BankCardError):  # a disconnect that hangs is left to the helper
            self._helper.call(cleanup, self._timeout, _NO_CANCEL)
        self._helper.finish()
