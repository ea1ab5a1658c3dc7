"""The ID card reader's SAM protocol as a pure codec: bytes in, values out (reference/devices.md §A).

Frames in both directions::

    AA AA AA 96 69 | Len1 Len2 | CMD PARA | data | CHK     (host -> SAM)
    AA AA AA 96 69 | Len1 Len2 | SW1 SW2 SW3 | data | CHK  (SAM -> host)

``Len`` is big-endian and counts every byte after itself, CHK included; CHK is the XOR of Len1 .. the last
data byte. Nothing here does I/O, so everything can be fuzzed.

Error messages never quote payload bytes: a frame may carry a citizen's name and ID number.
"""

from __future__ import annotations

import dataclasses
import enum
from functools import reduce

from kiosk.devices.errors import DeviceError

PREAMBLE = b"\xaa\xaa\xaa\x96\x69"
_HEADER = len(PREAMBLE) + 2

# The largest frame the protocol defines: read 30 10 with a 1024-byte fingerprint (2321 bytes in all).
# A larger Len can only be noise, and trusting it would stall the parser waiting for bytes that never come.
MAX_LEN = 0x090A


class SamProtocolError(DeviceError):
    """Base of every error the codec raises: whatever bytes arrive, nothing else escapes from here."""


class ChecksumError(SamProtocolError):
    pass


class LengthError(SamProtocolError):
    pass


class MalformedResponseError(SamProtocolError):
    """A well-framed response whose content does not fit the command it answers."""


class IdCardDataError(SamProtocolError):
    """The card's text block cannot be decoded (unknown type flag, a date that is not a date, ...)."""


class InvalidIdNumberError(IdCardDataError):
    """The ID number on the card fails its GB 11643 check character."""


class Sw3(enum.IntEnum):
    """SAM status byte (SW3) with its meaning; SW1 SW2 are normally 00 00."""

    meaning: str

    def __new__(cls, code: int, meaning: str) -> Sw3:
        member = int.__new__(cls, code)
        member._value_ = code
        member.meaning = meaning
        return member

    OK = 0x90, "OK"
    FIND_OK = 0x9F, "card found"
    CHECKSUM_ERROR = 0x10, "checksum error"
    LENGTH_ERROR = 0x11, "length error"
    COMMAND_ERROR = 0x21, "command error"
    UNRECOGNISED_ERROR = 0x24, "unrecognised error"
    CARD_REJECTED_READER = 0x31, "card failed to authenticate the reader"
    READER_REJECTED_CARD = 0x32, "reader failed to authenticate the card"
    VERIFICATION_ERROR = 0x33, "information verification error"
    WRONG_CARD_TYPE = 0x40, "wrong card type"
    READ_FAILED = 0x41, "read failed"
    RANDOM_NUMBER_FAILED = 0x47, "random number failed"
    SAM_SELF_TEST_FAILED = 0x60, "SAM self-test failed"
    SAM_NOT_AUTHORISED = 0x66, "SAM not authorised"
    NO_CARD = 0x80, "find failed / no card"
    SELECT_FAILED = 0x81, "select failed"
    UNDOCUMENTED_FAILURE = 0x91, "failure (code 91; meaning not published)"

    @property
    def concerns_card(self) -> bool:
        """True when the fault lies with the card on the reader, not with the reader itself."""
        return self in _CARD_STATUSES


_CARD_STATUSES = frozenset(
    {
        Sw3.CARD_REJECTED_READER,
        Sw3.READER_REJECTED_CARD,
        Sw3.VERIFICATION_ERROR,
        Sw3.WRONG_CARD_TYPE,
        Sw3.READ_FAILED,
        Sw3.RANDOM_NUMBER_FAILED,
        Sw3.NO_CARD,
        Sw3.SELECT_FAILED,
    }
)


# Looked up here rather than with Sw3(code): the members are built from (code, meaning) pairs, so the
# enum's call signature (and a type checker) expects both.
_SW3_BY_CODE: dict[int, Sw3] = {member.value: member for member in Sw3}


def sw3_of(code: int) -> Sw3 | None:
    return _SW3_BY_CODE.get(code)


def sw3_meaning(code: int) -> str:
    status = sw3_of(code)
    return status.meaning if status is not None else f"unknown status 0x{code:02X}"


class SamStatusError(SamProtocolError):
    """The SAM answered with a status other than the one the command needs."""

    def __init__(self, code: int, command: Command | None = None) -> None:
        self.code = code
        self.command = command
        what = f" to {command.name.lower()}" if command is not None else ""
        super().__init__(f"SAM answered SW3 0x{code:02X}{what}: {sw3_meaning(code)}")

    @property
    def status(self) -> Sw3 | None:
        return sw3_of(self.code)


class Command(enum.Enum):
    """(CMD, PARA) pairs."""

    RESET = (0x10, 0xFF)
    SAM_STATUS = (0x11, 0xFF)
    SAM_ID = (0x12, 0xFF)
    FIND = (0x20, 0x01)
    SELECT = (0x20, 0x02)
    READ = (0x30, 0x01)  # text + photo
    READ_WITH_FINGERPRINT = (0x30, 0x10)
    SET_BAUD = (0x60, 0x00)  # PARA is replaced by the baud code, see set_baud_frame

    @property
    def cmd(self) -> int:
        return self.value[0]

    @property
    def para(self) -> int:
        return self.value[1]


BAUD_CODES = {115200: 0x00, 57600: 0x01, 38400: 0x02, 19200: 0x03, 9600: 0x04}


def checksum(body: bytes) -> int:
    """XOR over Len1 .. last data byte (the preamble is excluded)."""
    return reduce(lambda acc, byte: acc ^ byte, body, 0)


def _frame(content: bytes) -> bytes:
    length = len(content) + 1
    if length > MAX_LEN:
        raise ValueError(f"frame content of {len(content)} bytes exceeds the protocol's largest frame")
    len_and_content = length.to_bytes(2, "big") + content
    return PREAMBLE + len_and_content + bytes([checksum(len_and_content)])


def build_frame(cmd: int, para: int, data: bytes = b"") -> bytes:
    """A host -> SAM frame."""
    return _frame(bytes([cmd, para]) + data)


def command_frame(command: Command) -> bytes:
    return build_frame(command.cmd, command.para)


def set_baud_frame(baud: int) -> bytes:
    if baud not in BAUD_CODES:
        raise ValueError(f"the SAM supports {sorted(BAUD_CODES)} baud, not {baud}")
    return build_frame(Command.SET_BAUD.cmd, BAUD_CODES[baud])


def build_response(sw3: int, data: bytes = b"", sw1: int = 0, sw2: int = 0) -> bytes:
    """A SAM -> host frame (the emulator's side)."""
    return _frame(bytes([sw1, sw2, sw3]) + data)


@dataclasses.dataclass(frozen=True)
class Request:
    cmd: int
    para: int
    data: bytes

    def __repr__(self) -> str:
        return f"Request(cmd=0x{self.cmd:02X}, para=0x{self.para:02X}, {len(self.data)} data bytes)"


@dataclasses.dataclass(frozen=True)
class Response:
    sw1: int
    sw2: int
    sw3: int
    data: bytes

    def __repr__(self) -> str:  # the data may be a citizen's text block
        return f"Response(sw=0x{self.sw1:02X}{self.sw2:02X}{self.sw3:02X}, {len(self.data)} data bytes)"


class FrameParser:
    """Incremental frame parser for one direction of the link.

    ``feed()`` the bytes as they arrive, then call ``next_response()`` (or ``next_request()`` on the SAM
    side) until it returns None. Bytes before a preamble are skipped (counted in ``discarded``). A frame
    with a bad length or checksum raises, after its first preamble byte has been dropped so that the next
    call resynchronises on whatever preamble follows.
    """

    def __init__(self) -> None:
        self._buffer = bytearray()
        self.discarded = 0

    def feed(self, data: bytes) -> None:
        self._buffer += data

    def clear(self) -> None:
        self._buffer.clear()

    @property
    def pending(self) -> int:
        return len(self._buffer)

    def next_response(self) -> Response | None:
        content = self._next_content(minimum=3)
        if content is None:
            return None
        return Response(content[0], content[1], content[2], bytes(content[3:]))

    def next_request(self) -> Request | None:
        content = self._next_content(minimum=2)
        if content is None:
            return None
        return Request(content[0], content[1], bytes(content[2:]))

    def _next_content(self, minimum: int) -> bytes | None:
        buffer = self._buffer
        start = buffer.find(PREAMBLE)
        if start < 0:
            # Keep a tail that may be the start of a preamble split across two reads.
            keep = next((n for n in range(len(PREAMBLE) - 1, 0, -1) if buffer.endswith(PREAMBLE[:n])), 0)
            self._skip(len(buffer) - keep)
            return None
        self._skip(start)
        if len(buffer) < _HEADER:
            return None
        length = int.from_bytes(buffer[len(PREAMBLE) : _HEADER], "big")
        if not minimum + 1 <= length <= MAX_LEN:
            self._skip(1)
            raise LengthError(f"frame length {length} outside {minimum + 1}..{MAX_LEN}")
        end = _HEADER + length
        if len(buffer) < end:
            return None
        body = bytes(buffer[len(PREAMBLE) : end - 1])
        received = buffer[end - 1]
        expected = checksum(body)
        if received != expected:
            self._skip(1)
            raise ChecksumError(f"checksum 0x{received:02X}, expected 0x{expected:02X}")
        del buffer[:end]
        return body[2:]

    def _skip(self, count: int) -> None:
        if count:
            del self._buffer[:count]
            self.discarded += count


# -- response payloads ---------------------------------------------------------------------------------

FIND_DATA_LEN = 4
SELECT_DATA_LEN = 8
TEXT_LEN = 256
PHOTO_LEN = 1024
FINGERPRINT_LENS = (0, 512, 1024)


def _require(response: Response, command: Command, *accepted: Sw3) -> None:
    if response.sw3 not in accepted:
        raise SamStatusError(response.sw3, command)


# The data sizes of an OK answer, per command. Housekeeping answers are short; their sizes are not
# documented, so they get a generous range.
_OK_DATA_SIZES = {
    Command.SELECT: (SELECT_DATA_LEN, SELECT_DATA_LEN),
    Command.READ: (4 + TEXT_LEN, MAX_LEN),
    Command.READ_WITH_FINGERPRINT: (6 + TEXT_LEN, MAX_LEN),
}
_HOUSEKEEPING_DATA_SIZES = (0, 64)


def answers(command: Command, response: Response) -> bool:
    """False when ``response`` can only be the answer to another command.

    The protocol has no request ids: after a command is abandoned (timeout, cancel) its answer may still
    arrive, and taking it for the next command's answer would shift every later exchange by one. Success
    answers have command-specific shapes (9F only from find, 8 bytes from select, a large payload from a
    read); error answers carry no data and cannot be told apart, so they are accepted.
    """
    if response.sw3 == Sw3.FIND_OK:
        return command is Command.FIND and len(response.data) == FIND_DATA_LEN
    if response.sw3 != Sw3.OK:
        return True
    if command is Command.FIND:
        return False
    low, high = _OK_DATA_SIZES.get(command, _HOUSEKEEPING_DATA_SIZES)
    return low <= len(response.data) <= high


def parse_find(response: Response) -> bool:
    """True when a card is in the field."""
    if response.sw3 == Sw3.NO_CARD:
        return False
    _require(response, Command.FIND, Sw3.FIND_OK)
    if len(response.data) != FIND_DATA_LEN:
        raise MalformedResponseError(f"find answered with {len(response.data)} data bytes")
    return True


def parse_select(response: Response) -> None:
    _require(response, Command.SELECT, Sw3.OK)
    if len(response.data) != SELECT_DATA_LEN:
        raise MalformedResponseError(f"select answered with {len(response.data)} data bytes")


def parse_ok(response: Response, command: Command) -> bytes:
    """For the housekeeping commands (reset, SAM status, SAM id, set baud): OK status, data as is."""
    _require(response, command, Sw3.OK)
    return response.data


@dataclasses.dataclass(frozen=True)
class CardData:
    """The three blobs of a read; opaque here, decoded by ``card.decode_text_block``."""

    text: bytes
    photo: bytes
    fingerprint: bytes

    def __repr__(self) -> str:
        sizes = f"{len(self.text)} B text, {len(self.photo)} B photo, {len(self.fingerprint)} B fingerprint"
        return f"CardData({sizes})"


def parse_read(response: Response, with_fingerprint: bool) -> CardData:
    """Split a 30 01 (text, photo) or 30 10 (text, photo, fingerprint) payload by its length fields."""
    command = Command.READ_WITH_FINGERPRINT if with_fingerprint else Command.READ
    _require(response, command, Sw3.OK)
    count = 3 if with_fingerprint else 2
    data = response.data
    if len(data) < 2 * count:
        raise MalformedResponseError(f"{command.name.lower()} answered without its length fields")
    lengths = [int.from_bytes(data[2 * i : 2 * i + 2], "big") for i in range(count)]
    if len(data) != 2 * count + sum(lengths):
        raise MalformedResponseError(f"{command.name.lower()} length fields do not add up to the payload")
    if lengths[0] != TEXT_LEN:
        raise MalformedResponseError(f"text block of {lengths[0]} bytes, expected {TEXT_LEN}")
    blobs = []
    offset = 2 * count
    for length in lengths:
        blobs.append(data[offset : offset + length])
        offset += length
    return CardData(blobs[0], blobs[1], blobs[2] if with_fingerprint else b"")


def build_read_payload(card: CardData, with_fingerprint: bool) -> bytes:
    """Inverse of ``parse_read`` (the emulator's side)."""
    blobs = [card.text, card.photo] + ([card.fingerprint] if with_fingerprint else [])
    lengths = b"".join(len(blob).to_bytes(2, "big") for blob in blobs)
    return lengths + b"".join(blobs)


def wire_seconds(byte_count: int, baud: int) -> float:
    """Time a UART needs for ``byte_count`` bytes at 8N1 (10 bits a byte)."""
    return byte_count * 10 / baud
