"""A SAM ID card reader emulated over a real pty pair, byte for byte, for tests, the demo and training.

The reader driver opens ``device_path`` (or the stable ``link`` path) exactly as it would open
/dev/ttyUSB0; the emulator answers on the pty master with the timing of a real reader at its baud rate.
``unplug()`` and ``replug()`` do to the pty what pulling and plugging the USB cable does to the tty.
All card data is synthetic; sample card files of every type ship in ``cards/`` (``SAMPLE_CARDS``).
"""

from __future__ import annotations

import base64
import dataclasses
import datetime as dt
import json
import os
import select
import threading
import time
import tomllib
import tty
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

from kiosk.devices.errors import DeviceError
from kiosk.devices.idcard.card import LONG_TERM, CardType, Gender, IdCard, encode_text_block
from kiosk.devices.idcard.codec import (
    BAUD_CODES,
    FINGERPRINT_LENS,
    PHOTO_LEN,
    CardData,
    ChecksumError,
    Command,
    FrameParser,
    LengthError,
    Request,
    Sw3,
    build_frame,
    build_read_payload,
    build_response,
    wire_seconds,
)

SYNTHETIC_PHOTO = (b"SYNTHETIC WLT PHOTO " * 52)[:PHOTO_LEN]
SAMPLE_CARDS = Path(__file__).parent / "cards"
SYNTHETIC_SAM_ID = b"SYNTHETIC-SAM-ID"

FAULTS = frozenset(
    {
        "no_card",  # the card is there but the RF field does not see it
        "removed_between_select_and_read",  # each select is followed by the card leaving the field
        "checksum_error",  # every answer's CHK byte is wrong
        "truncated_frame",  # every answer stops half way
        "garbage",  # line noise (with broken preambles) before every answer
        "silence",  # commands are received and never answered
        "sam_not_authorised",  # every command is answered with SW3 66
    }
)

# Noise with two near-preambles in it, so that a parser must really resynchronise, never a full preamble.
_GARBAGE = b"\x00\xff\x13\xaa\xaa\x96\x69\x05\x08\xaa\xaa\xaa\x96\x37\x00"
_CHUNK = 32  # bytes per write when pacing at wire speed


@dataclasses.dataclass(frozen=True)
class EmulatorTiming:
    """Seconds the SAM works before it starts answering. With ``pace``, the command's and the answer's
    wire times at the emulator's baud rate come on top, as on a real line."""

    find: float = 0.020
    select: float = 0.030
    read: float = 0.0  # the read's cost is its 1295+ bytes on the wire: ~112 ms at 115200
    other: float = 0.005
    pace: bool = True  # False answers at pty speed, each answer in one write


class IdCardFileError(DeviceError, ValueError):
    pass


def _card_data(card: IdCard) -> CardData:
    if len(card.photo) != PHOTO_LEN:
        raise ValueError(f"photo must be the {PHOTO_LEN}-byte WLT blob a card carries")
    if len(card.fingerprint) not in FINGERPRINT_LENS:
        raise ValueError(f"fingerprint must be {' or '.join(map(str, FINGERPRINT_LENS))} bytes")
    return CardData(encode_text_block(card), card.photo, card.fingerprint)


class _Plug:
    """One plugged-in period: the pty pair and the thread serving it."""

    def __init__(self, serve: Callable[[_Plug], None]) -> None:
        self.master, self.slave = os.openpty()
        # Raw from the start: with the default line discipline the pty would echo and translate bytes.
        tty.setraw(self.slave)
        os.set_blocking(self.master, False)
        self.path = os.ttyname(self.slave)
        self.stop = threading.Event()
        self.thread = threading.Thread(
            target=serve, args=(self,), name=f"sam-emulator {self.path}", daemon=True
        )

    def close(self) -> None:
        os.close(self.master)
        os.close(self.slave)


class SamEmulator:
    """Serves the SAM protocol on a pty until ``close()``. Safe to drive from any thread."""

    def __init__(
        self,
        *,
        baud: int = 115200,
        timing: EmulatorTiming | None = None,
        link: str | os.PathLike[str] | None = None,
    ) -> None:
        if baud not in BAUD_CODES:
            raise ValueError(f"a SAM runs at {sorted(BAUD_CODES)} baud, not {baud}")
        self._power_on_baud = baud
        self._baud = baud
        self._timing = timing or EmulatorTiming()
        self._link = Path(link) if link is not None else None
        self._lock = threading.Lock()
        self._card: CardData | None = None
        self._selected = False
        self._fault: str | None = None
        self._received: Counter[Command | None] = Counter()
        self._plug_lock = threading.Lock()  # serialises unplug, replug and close
        self._plug: _Plug | None = None
        self._closed = False
        self.device_path = ""
        self.replug()

    def __enter__(self) -> SamEmulator:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def path(self) -> str:
        """The path a reader should open: the stable link if there is one, else the pty itself."""
        return str(self._link) if self._link is not None else self.device_path

    @property
    def plugged(self) -> bool:
        return self._plug is not None

    # -- what a test or a trainer does ---------------------------------------------------------------

    def place_card(self, card: IdCard) -> None:
        data = _card_data(card)  # raises here, not later on the serving thread
        with self._lock:
            self._card = data
            self._selected = False

    def remove_card(self) -> None:
        with self._lock:
            self._card = None
            self._selected = False

    def set_fault(self, name: str | None) -> None:
        if name is not None and name not in FAULTS:
            raise ValueError(f"unknown fault {name!r}; faults: {', '.join(sorted(FAULTS))}")
        with self._lock:
            self._fault = name

    def received(self, command: Command) -> int:
        """How many frames of ``command`` arrived (for read commands: how many times the card was read)."""
        with self._lock:
            return self._received[command]

    def unplug(self) -> None:
        """Destroy the pty and its link, as pulling the reader's cable does; the card stays where it lies."""
        with self._plug_lock:
            self._unplug()

    def _unplug(self) -> None:
        plug, self._plug = self._plug, None
        if plug is None:
            return
        plug.stop.set()
        plug.thread.join()
        plug.close()
        if self._link is not None and self._link.is_symlink() and os.readlink(self._link) == plug.path:
            self._link.unlink()

    def replug(self) -> None:
        """A new pty behind the same link, as plugging the reader in again gives a new /dev/ttyUSBn.

        The SAM starts afresh: nothing selected, back at its power-on baud rate.
        """
        with self._plug_lock:
            if self._closed:
                raise RuntimeError("the emulator is closed")
            if self._plug is not None:
                raise RuntimeError("the emulator is plugged in already")
            self._plug_in()

    def _plug_in(self) -> None:
        plug = _Plug(self._serve)
        if self._link is not None:
            try:
                _point_link(self._link, plug.path)
            except OSError:
                plug.close()
                raise
        with self._lock:
            self._selected = False
            self._baud = self._power_on_baud
        self.device_path = plug.path
        self._plug = plug
        plug.thread.start()

    def close(self) -> None:
        """Stop serving and destroy the pty, for good."""
        with self._plug_lock:
            self._closed = True
            self._unplug()

    # -- the SAM -------------------------------------------------------------------------------------

    def _serve(self, plug: _Plug) -> None:
        parser = FrameParser()
        while not plug.stop.is_set():
            readable, _, _ = select.select([plug.master], [], [], 0.05)
            if not readable:
                continue
            try:
                parser.feed(os.read(plug.master, 4096))
            except BlockingIOError:
                continue
            while not plug.stop.is_set():
                try:
                    request = parser.next_request()
                except ChecksumError:
                    self._answer(plug, Sw3.CHECKSUM_ERROR, b"", self._timing.other)
                    continue
                except LengthError:
                    self._answer(plug, Sw3.LENGTH_ERROR, b"", self._timing.other)
                    continue
                if request is None:
                    break
                self._handle(plug, request)

    def _handle(self, plug: _Plug, request: Request) -> None:
        command = _command_of(request)
        with self._lock:
            self._received[command] += 1
            fault = self._fault
            if fault == "silence":
                return
            baud = self._baud  # a set-baud command is answered at the old rate, then the SAM switches
            if fault == "sam_not_authorised":
                sw3, data, delay = Sw3.SAM_NOT_AUTHORISED, b"", self._timing.other
            else:
                sw3, data, delay = self._respond(command, request, fault)
        if self._timing.pace:
            # The pty hands the command over at once; on a UART the SAM waits for its last byte.
            delay += wire_seconds(len(build_frame(request.cmd, request.para, request.data)), baud)
        self._answer(plug, sw3, data, delay, fault, baud)

    def _respond(
        self, command: Command | None, request: Request, fault: str | None
    ) -> tuple[Sw3, bytes, float]:
        """The SAM's answer to one command; runs under the lock."""
        timing = self._timing
        in_field = self._card is not None and fault != "no_card"
        if command is Command.FIND:
            return (Sw3.FIND_OK, bytes(4), timing.find) if in_field else (Sw3.NO_CARD, b"", timing.find)
        if command is Command.SELECT:
            if not in_field:
                return Sw3.SELECT_FAILED, b"", timing.select
            self._selected = True
            if fault == "removed_between_select_and_read":
                self._card = None
            return Sw3.OK, bytes(8), timing.select
        if command in (Command.READ, Command.READ_WITH_FINGERPRINT):
            if self._card is None or not self._selected or fault == "no_card":
                return Sw3.READ_FAILED, b"", timing.read
            with_fingerprint = command is Command.READ_WITH_FINGERPRINT
            return Sw3.OK, build_read_payload(self._card, with_fingerprint), timing.read
        if command is Command.RESET:
            self._selected = False
            return Sw3.OK, b"", timing.other
        if command is Command.SAM_STATUS:
            return Sw3.OK, b"", timing.other
        if command is Command.SAM_ID:
            return Sw3.OK, SYNTHETIC_SAM_ID, timing.other
        if command is Command.SET_BAUD:
            self._baud = next(baud for baud, code in BAUD_CODES.items() if code == request.para)
            return Sw3.OK, b"", timing.other
        return Sw3.COMMAND_ERROR, b"", timing.other

    def _answer(
        self,
        plug: _Plug,
        sw3: Sw3,
        data: bytes,
        delay: float,
        fault: str | None = None,
        baud: int | None = None,
    ) -> None:
        frame = build_response(sw3, data)
        if fault == "checksum_error":
            frame = frame[:-1] + bytes([frame[-1] ^ 0xFF])
        elif fault == "truncated_frame":
            frame = frame[: len(frame) // 2]
        elif fault == "garbage":
            frame = _GARBAGE + frame
        if baud is None:
            with self._lock:
                baud = self._baud
        if plug.stop.wait(delay):
            return
        self._send(plug, frame, baud)

    def _send(self, plug: _Plug, frame: bytes, baud: int) -> None:
        if not self._timing.pace:
            self._write_all(plug, frame)
            return
        start = time.monotonic()
        for offset in range(0, len(frame), _CHUNK):
            chunk = frame[offset : offset + _CHUNK]
            self._write_all(plug, chunk)
            due = start + wire_seconds(offset + len(chunk), baud)
            if plug.stop.wait(max(0.0, due - time.monotonic())):
                return

    def _write_all(self, plug: _Plug, data: bytes) -> None:
        view = memoryview(data)
        while view and not plug.stop.is_set():
            try:
                view = view[os.write(plug.master, view) :]
            except BlockingIOError:  # nobody drains the pty: wait, but stay closable
                select.select([], [plug.master], [], 0.05)


def _command_of(request: Request) -> Command | None:
    if request.cmd == Command.SET_BAUD.cmd:
        return Command.SET_BAUD if request.para in BAUD_CODES.values() else None
    try:
        return Command((request.cmd, request.para))
    except ValueError:
        return None


def _point_link(link: Path, target: str) -> None:
    """Make ``link`` point at ``target`` in one step, the way udev maintains /dev/serial/by-id."""
    temporary = link.with_name(f".{link.name}.{os.getpid()}.{threading.get_ident()}")
    os.symlink(target, temporary)
    os.replace(temporary, link)


# -- card files ----------------------------------------------------------------------------------------


def _date(value: object) -> dt.date:
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value
    if isinstance(value, str):
        return dt.date.fromisoformat(value)
    raise ValueError


def _valid_to(value: object) -> dt.date | str:
    return LONG_TERM if value == LONG_TERM else _date(value)


def _text(value: object) -> str:
    if not isinstance(value, str):
        raise ValueError
    return value


def _count(value: object) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise ValueError
    return value


def _blob(value: object) -> bytes:
    return base64.b64decode(_text(value), validate=True)


_CONVERTERS: dict[str, tuple[Callable[[Any], object], str]] = {
    "card_type": (CardType, f"one of {', '.join(t.value for t in CardType)}"),
    "gender": (Gender, f"one of {', '.join(g.value for g in Gender)}"),
    "birth_date": (_date, "a date (YYYY-MM-DD)"),
    "valid_from": (_date, "a date (YYYY-MM-DD)"),
    "valid_to": (_valid_to, f"a date (YYYY-MM-DD) or {LONG_TERM!r}"),
    "issue_count": (_count, "a whole number"),
    "photo": (_blob, "base64 text"),
    "fingerprint": (_blob, "base64 text"),
}
_REQUIRED = ("card_type", "name", "gender", "birth_date", "valid_from", "valid_to", "id_number")
_KEYS = tuple(field.name for field in dataclasses.fields(IdCard))


def load_card_file(path: str | os.PathLike[str]) -> IdCard:
    """A card from a .json or .toml file whose keys are ``IdCard`` fields (photo defaults to a fixed blob)."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise IdCardFileError(f"{path}: cannot read the card file ({exc.strerror})") from None
    try:
        if path.suffix == ".json":
            data = json.loads(text)
        elif path.suffix == ".toml":
            data = tomllib.loads(text)
        else:
            raise IdCardFileError(f"{path}: a card file ends in .json or .toml")
    except (json.JSONDecodeError, tomllib.TOMLDecodeError) as exc:
        raise IdCardFileError(f"{path}: not valid {path.suffix[1:].upper()}: {exc}") from None
    if not isinstance(data, dict):
        raise IdCardFileError(f"{path}: the card file must hold one table of keys")
    for key in data:
        if key not in _KEYS:
            raise IdCardFileError(
                f"{path}: unknown key {key!r}; keys are the IdCard fields: {', '.join(_KEYS)}"
            )
    for key in _REQUIRED:
        if key not in data:
            raise IdCardFileError(f"{path}: missing key {key!r}")
    values: dict[str, Any] = {"photo": SYNTHETIC_PHOTO}
    for key, value in data.items():
        convert, expected = _CONVERTERS.get(key, (_text, "text"))
        try:
            values[key] = convert(value)
        except (ValueError, TypeError):
            raise IdCardFileError(f"{path}: key {key!r} must be {expected}") from None
    card = IdCard(**values)
    try:
        _card_data(card)
    except ValueError as exc:  # the message names the key
        raise IdCardFileError(f"{path}: {exc}") from None
    return card
