"""ID card readers: the SAM reader on a serial port (``sam+serial://``) and an in-process one (``sim://``).

Both poll "find" on the device's worker thread and report each placement once: ``IdCardInserted`` after the
first good read, ``IdCardRemoved`` when the card leaves, ``IdCardReadFailed`` (once per reason) when a card is
there but cannot be read. A card that rests on the reader is not read again.

Card listeners run on the device thread; the UI layer marshals them to its own thread.
"""

from __future__ import annotations

import abc
import contextlib
import dataclasses
import logging
import os
import termios
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Self
from urllib.parse import unquote

import serial

from kiosk.devices.base import (
    CommandCancelled,
    CommandContext,
    CommandFuture,
    Device,
    DeviceConfigError,
    DeviceError,
    DeviceState,
    HealthReport,
    Listeners,
)
from kiosk.devices.idcard.card import IdCard, decode_text_block
from kiosk.devices.idcard.codec import (
    BAUD_CODES,
    MAX_LEN,
    ChecksumError,
    Command,
    FrameParser,
    IdCardDataError,
    InvalidIdNumberError,
    LengthError,
    MalformedResponseError,
    Response,
    SamProtocolError,
    SamStatusError,
    Sw3,
    answers,
    command_frame,
    parse_find,
    parse_ok,
    parse_read,
    parse_select,
    wire_seconds,
)

if TYPE_CHECKING:
    from kiosk.devices.registry import DeviceUrl

log = logging.getLogger(__name__)


@dataclasses.dataclass(frozen=True)
class IdCardInserted:
    card: IdCard


@dataclasses.dataclass(frozen=True)
class IdCardRemoved:
    pass


@dataclasses.dataclass(frozen=True)
class IdCardReadFailed:
    reason_key: str  # stable and short, for the UI to pick a message: "read_failed", "timeout", ...


IdCardEvent = IdCardInserted | IdCardRemoved | IdCardReadFailed


class ResponseTimeout(DeviceError, TimeoutError):
    """The SAM did not answer a command in time."""

    def __init__(self, command: Command) -> None:
        super().__init__(f"no answer to {command.name.lower()}")


# What a read may fail with and still leave the reader usable; anything else is a bug or a closing device.
READ_ERRORS = (SamProtocolError, TimeoutError)

# Consecutive failed polls before the state says so: one lost frame is noise, three are a fault.
FAILURES_BEFORE_STATE_CHANGE = 3


def reason_key(exc: BaseException) -> str:
    if isinstance(exc, SamStatusError):
        return exc.status.name.lower() if exc.status is not None else "unknown_status"
    keys: tuple[tuple[type[BaseException], str], ...] = (
        (InvalidIdNumberError, "invalid_id_number"),
        (IdCardDataError, "bad_card_data"),
        (ChecksumError, "checksum_error"),
        (LengthError, "length_error"),
        (MalformedResponseError, "bad_response"),
        (TimeoutError, "timeout"),
    )
    return next((key for kind, key in keys if isinstance(exc, kind)), "error")


def _concerns_card(exc: BaseException) -> bool:
    """The reader answered correctly and the trouble is the card (or its removal) — not a device fault."""
    if isinstance(exc, SamStatusError):
        return exc.status is not None and exc.status.concerns_card
    return isinstance(exc, IdCardDataError)


class IdCardReader(Device):
    """What every ID card reader does with find and read: the placement logic and the card events."""

    kind = "idcard"

    def __init__(self, url: str, poll_interval: float) -> None:
        super().__init__(url)
        self._poll_seconds = poll_interval
        self._card_listeners: Listeners[IdCardEvent] = Listeners(self.name)
        self._read_done = False  # the card now on the reader has been read and reported
        self._failure_reason: str | None = None  # ... or its read failed, and this was reported
        self._streak = 0

    def subscribe_cards(self, callback: Callable[[IdCardEvent], None]) -> Callable[[], None]:
        """Call ``callback`` on the device thread for each card event; returns the unsubscribe."""
        return self._card_listeners.add(callback)

    def wait_for_card(self, timeout: float | None) -> CommandFuture[IdCard]:
        """The card of the next placement. ``cancel()`` it when the citizen walks away.

        A card that already rests on the reader and was read does not count: it must be placed again.
        The usual events are emitted as well.
        """

        def wait(ctx: CommandContext) -> IdCard:
            while True:
                card = self._poll_step(ctx)
                if card is not None:
                    return card
                ctx.sleep(self._poll_interval())

        return self.submit(wait, timeout)

    def read_now(self, timeout: float | None) -> CommandFuture[IdCard | None]:
        """One find, select and read right now: the card in the field, or None when there is none.

        For diagnostics and measurements: it reads a card that rests on the reader again, emits no card
        events and leaves the placement logic as it was.
        """
        return self.submit(self._read_now, timeout)

    def _read_now(self, ctx: CommandContext) -> IdCard | None:
        if not self._find(ctx):
            return None
        try:
            card = self._read(ctx)
        except READ_ERRORS:
            self._count(failures=1)
            raise
        self._count(reads=1)
        return card

    def _poll_interval(self) -> float:
        return self._poll_seconds

    def _on_poll(self, ctx: CommandContext) -> None:
        self._poll_step(ctx)

    def _poll_step(self, ctx: CommandContext) -> IdCard | None:
        try:
            card = self._cycle(ctx)
        except READ_ERRORS as exc:
            self._count(failures=1)
            if _concerns_card(exc):
                self._answered()
            else:
                self._failed(exc)
            return None
        self._answered()
        return card

    def _cycle(self, ctx: CommandContext) -> IdCard | None:
        """One find; and select, read and decode when a card is there that has not been read yet."""
        if not self._find(ctx):
            self._card_gone()
            return None
        if self._read_done:
            return None
        try:
            card = self._read(ctx)
        except READ_ERRORS as exc:
            key = reason_key(exc)
            if key != self._failure_reason:
                self._failure_reason = key
                log.info("%s: card read failed (%s)", self.name, key)
                self._card_listeners.emit(IdCardReadFailed(key))
            raise
        self._read_done = True
        self._failure_reason = None
        self._count(reads=1)
        self._card_listeners.emit(IdCardInserted(card))
        return card

    def _card_gone(self) -> None:
        if self._read_done or self._failure_reason is not None:
            self._forget_card()
            self._card_listeners.emit(IdCardRemoved())

    def _forget_card(self) -> None:
        self._read_done = False
        self._failure_reason = None

    def _answered(self) -> None:
        self._streak = 0
        if self.state in (DeviceState.ERROR, DeviceState.OFFLINE):
            self._set_state(DeviceState.IDLE, "answering again")

    def _failed(self, exc: BaseException, *, at_once: bool = False) -> None:
        self._streak += 1
        timeout = isinstance(exc, TimeoutError)
        self._count(communication_errors=int(not isinstance(exc, SamStatusError)), timeouts=int(timeout))
        if self._streak == 1:
            log.warning("%s: %s", self.name, exc)  # the codec's messages carry no card data
        if at_once or self._streak >= FAILURES_BEFORE_STATE_CHANGE:
            self._set_state(DeviceState.OFFLINE if timeout else DeviceState.ERROR, str(exc))

    @abc.abstractmethod
    def _find(self, ctx: CommandContext) -> bool:
        """Whether a card is in the field now."""

    @abc.abstractmethod
    def _read(self, ctx: CommandContext) -> IdCard:
        """Select and read the card in the field."""


class _PortLost(DeviceError):
    """The serial port failed underneath us: unplugged, or the tty went away."""


_READ_SLICE = 0.01  # seconds one serial read may block, so cancel and deadline are checked often
_LARGEST_FRAME = 7 + MAX_LEN


class SamIdCardReader(IdCardReader):
    """``sam+serial:///dev/ttyUSB0?baud=115200&poll_ms=300&timeout_ms=500&reopen_ms=1000&fingerprint=0``

    Point it at a stable path (a /dev/serial/by-id link) and it comes back by itself after the reader is
    unplugged and plugged in again: while the port is gone it tries to reopen it every ``reopen_ms``.
    """

    def __init__(
        self,
        url: str,
        path: str,
        *,
        baud: int = 115200,
        poll_interval: float = 0.3,
        response_timeout: float = 0.5,
        reopen_interval: float = 1.0,
        fingerprint: bool = False,
    ) -> None:
        super().__init__(url, poll_interval)
        self._path = path
        self._baud = baud
        self._response_timeout = response_timeout
        self._reopen_interval = reopen_interval
        self._fingerprint = fingerprint
        self._port: serial.Serial | None = None
        self._parser = FrameParser()

    @classmethod
    def from_url(cls, url: DeviceUrl) -> Self:
        path = unquote(url.path)
        if url.host or not path.startswith("/"):
            raise DeviceConfigError(
                f"{url}: a sam+serial URL names an absolute device path, e.g. sam+serial:///dev/ttyUSB0"
            )
        return cls(
            str(url),
            path,
            baud=url.choice_param("baud", 115200, BAUD_CODES),
            poll_interval=url.int_param("poll_ms", 300, minimum=10, maximum=60_000) / 1000,
            response_timeout=url.int_param("timeout_ms", 500, minimum=10, maximum=60_000) / 1000,
            reopen_interval=url.int_param("reopen_ms", 1000, minimum=10, maximum=600_000) / 1000,
            fingerprint=url.bool_param("fingerprint", False),
        )

    def _poll_interval(self) -> float:
        return self._reopen_interval if self._port is None else self._poll_seconds

    def _on_open(self, ctx: CommandContext) -> None:
        self._forget_card()
        self._connect(ctx)

    def _on_close(self) -> None:
        self._close_port()

    def _poll_step(self, ctx: CommandContext) -> IdCard | None:
        if self._port is None:
            self._count(reopen_attempts=1)
            if not self._connect(ctx):
                return None
        try:
            return super()._poll_step(ctx)
        except _PortLost:
            self._disconnect()
            return None

    def _read_now(self, ctx: CommandContext) -> IdCard | None:
        if self._port is None:
            raise DeviceError(f"{self.name}: no device ({self._path} is not open)")
        try:
            return super()._read_now(ctx)
        except _PortLost:
            self._disconnect()
            raise DeviceError(f"{self.name}: no device ({self._path} went away)") from None

    def _check_external(self, ctx: CommandContext) -> HealthReport:
        if self._port is None:
            return HealthReport(False, f"{self.name}: no device")
        try:
            parse_ok(self._transact(Command.SAM_STATUS, ctx), Command.SAM_STATUS)
            sam_id = parse_ok(self._transact(Command.SAM_ID, ctx), Command.SAM_ID)
        except _PortLost:
            self._disconnect()
            return HealthReport(False, f"{self.name}: no device")
        except READ_ERRORS as exc:
            return HealthReport(False, f"{self.name}: {exc}")
        return HealthReport(True, f"{self.name}: SAM ready, SAM id {sam_id.hex(' ')}")

    # -- the port --------------------------------------------------------------------------------------

    def _connect(self, ctx: CommandContext) -> bool:
        """Open the port and ask the SAM for its status; the answer decides the state.

        Returns whether the SAM answered (the port stays open either way, and polling goes on).
        """
        try:
            self._port = serial.Serial(
                self._path,
                self._baud,
                timeout=_READ_SLICE,
                write_timeout=self._response_timeout,
                exclusive=True,  # a second process on the same reader would steal half of each answer
            )
        except (OSError, ValueError) as exc:
            why = os.strerror(exc.errno) if isinstance(exc, OSError) and exc.errno else type(exc).__name__
            self._set_state(DeviceState.NO_DEVICE, f"cannot open {self._path}: {why}")
            return False
        self._streak = 0
        try:
            parse_ok(self._transact(Command.SAM_STATUS, ctx), Command.SAM_STATUS)
        except _PortLost:
            self._disconnect()
            return False
        except READ_ERRORS as exc:
            self._failed(exc, at_once=True)
            return False
        self._set_state(DeviceState.IDLE, "SAM ready")
        return True

    def _disconnect(self) -> None:
        self._close_port()
        self._card_gone()  # whatever rests on the reader must be read again once it is back
        self._count(communication_errors=1)
        self._set_state(DeviceState.NO_DEVICE, f"serial port {self._path} gone")

    def _close_port(self) -> None:
        port, self._port = self._port, None
        if port is not None:
            with contextlib.suppress(OSError):  # it is already gone; closing is all we wanted
                port.close()

    def _transact(self, command: Command, ctx: CommandContext) -> Response:
        """Send one command and wait for its answer.

        The protocol has no request ids, so the answer of an earlier, abandoned exchange could be taken
        for this one's: what already arrived is flushed, and what arrives late is recognised (``answers``)
        and dropped.
        """
        port = self._port
        if port is None:
            raise _PortLost("port closed")
        reads_card = command in (Command.READ, Command.READ_WITH_FINGERPRINT)
        deadline = self._response_timeout + (wire_seconds(_LARGEST_FRAME, self._baud) if reads_card else 0.0)
        parser = self._parser
        parser.clear()
        try:
            port.reset_input_buffer()
            port.write(command_frame(command))
            self._count(commands=1)
            deadline += time.monotonic()
            while True:
                response = parser.next_response()
                if response is not None:
                    if answers(command, response):
                        break
                    self._count(communication_errors=1)
                    log.debug("%s: dropped a late answer (SW3 %02X)", self.name, response.sw3)
                    continue
                if ctx.cancel_requested:
                    raise CommandCancelled("command cancelled")
                if time.monotonic() >= deadline:
                    raise ResponseTimeout(command)
                parser.feed(port.read(port.in_waiting or 1))
        except serial.SerialTimeoutException:
            raise ResponseTimeout(command) from None
        except ResponseTimeout:
            raise
        except (OSError, termios.error) as exc:  # SerialException is an OSError; tcflush raises termios.error
            raise _PortLost(str(exc)) from exc
        if parser.discarded:
            self._count(communication_errors=1)  # noise on the line, survived by resynchronising
        log.debug("%s: %s -> SW3 %02X", self.name, command.name, response.sw3)
        return response

    # -- the protocol ----------------------------------------------------------------------------------

    def _find(self, ctx: CommandContext) -> bool:
        return parse_find(self._transact(Command.FIND, ctx))

    def _read(self, ctx: CommandContext) -> IdCard:
        parse_select(self._transact(Command.SELECT, ctx))
        command = Command.READ_WITH_FINGERPRINT if self._fingerprint else Command.READ
        data = parse_read(self._transact(command, ctx), self._fingerprint)
        return decode_text_block(data.text, data.photo, data.fingerprint)


class SimIdCardReader(IdCardReader):
    """``sim://[name]?poll_ms=100``: cards placed in process, for tests and demos without a pty."""

    def __init__(self, url: str, poll_interval: float = 0.1) -> None:
        super().__init__(url, poll_interval)
        self._slot_lock = threading.Lock()
        self._slot: IdCard | None = None

    @classmethod
    def from_url(cls, url: DeviceUrl) -> Self:
        if url.path not in ("", "/"):
            raise DeviceConfigError(f"{url}: a sim URL has a name at most, e.g. sim://default")
        return cls(str(url), url.int_param("poll_ms", 100, minimum=10, maximum=60_000) / 1000)

    def place_card(self, card: IdCard) -> None:
        with self._slot_lock:
            self._slot = card

    def remove_card(self) -> None:
        with self._slot_lock:
            self._slot = None

    def _on_open(self, ctx: CommandContext) -> None:
        self._forget_card()
        self._set_state(DeviceState.IDLE, "simulated reader")

    def _on_close(self) -> None:
        """Nothing to release."""

    def _check_external(self, ctx: CommandContext) -> HealthReport:
        return HealthReport(True, f"{self.name}: simulated reader")

    def _find(self, ctx: CommandContext) -> bool:
        with self._slot_lock:
            return self._slot is not None

    def _read(self, ctx: CommandContext) -> IdCard:
        with self._slot_lock:
            card = self._slot
        if card is None:  # lifted between find and read
            raise SamStatusError(Sw3.READ_FAILED, Command.READ)
        return card
