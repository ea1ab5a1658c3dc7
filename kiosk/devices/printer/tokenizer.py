"""An ESC/POS tokenizer: bytes in, commands and text runs out, for the virtual printer and the tests.

It knows the length of every command a receipt printer of this kind receives (ESC, GS, FS and DLE
families, including the variable-length images, 2D codes and barcodes), so it can find the text between
them. Text runs stay bytes: what they mean depends on the printer's mode (``FS &``), which is the
interpreter's business. The tokenizer is streaming (a command split across TCP segments waits for its
tail) and never raises on bad input while streaming: it yields ``Invalid`` tokens and resynchronises;
``tokenize()`` is the strict form that raises the typed errors below.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

from kiosk.devices.errors import DeviceError

ESC, GS, FS, DLE = 0x1B, 0x1D, 0x1C, 0x10
MAX_PAYLOAD = 1 << 20  # an image larger than 1 MiB is not a receipt; refusing it bounds memory

_CONTROLS = {0x0A: "LF", 0x0D: "CR", 0x09: "HT", 0x0C: "FF", 0x00: "NUL", 0x18: "CAN"}


class EscPosError(DeviceError, ValueError):
    """Bytes that are not a well-formed ESC/POS stream."""

    def __init__(self, offset: int, message: str) -> None:
        super().__init__(f"at byte {offset}: {message}")
        self.offset = offset


class UnknownCommandError(EscPosError):
    pass


class PayloadTooLargeError(EscPosError):
    pass


class TruncatedCommandError(EscPosError):
    pass


@dataclasses.dataclass(frozen=True)
class EscPosCommand:
    name: str  # "ESC a", "GS v 0", "LF", ...
    raw: bytes  # the whole command as received

    @property
    def arg(self) -> int:
        """The first parameter byte of a one-parameter command (``ESC a n`` → n)."""
        return self.raw[len(self.name.split())]


@dataclasses.dataclass(frozen=True)
class TextRun:
    raw: bytes  # printable bytes, possibly ending inside a double-byte character


@dataclasses.dataclass(frozen=True)
class Invalid:
    raw: bytes  # what was skipped to resynchronise
    error: EscPosError


Token = EscPosCommand | TextRun | Invalid

# Fixed-length commands: the bytes after the prefix and the number of parameter bytes that follow.
_FIXED: dict[int, dict[bytes, int]] = {
    ESC: {
        b"@": 0, b"!": 1, b"E": 1, b"-": 1, b"a": 1, b"d": 1, b"J": 1, b"2": 0, b"3": 1, b"M": 1,
        b"t": 1, b"G": 1, b"{": 1, b"V": 1, b"R": 1, b"p": 3, b" ": 1, b"$": 2, b"\\": 2, b"=": 1,
        b"r": 1, b"U": 1, b"B": 2, b"i": 0, b"m": 0, b"L": 0, b"S": 0, b"T": 1, b"W": 8, b"%": 1,
        b"?": 1, b"e": 1, b"c3": 1, b"c4": 1, b"c5": 1,
    },
    GS: {
        b"!": 1, b"B": 1, b"H": 1, b"L": 2, b"W": 2, b"P": 2, b"a": 1, b"b": 1, b"f": 1, b"h": 1,
        b"w": 1, b"r": 1, b"I": 1, b"$": 2, b"\\": 2, b":": 0, b"/": 1, b"E": 1, b"T": 1,
    },
    FS: {b"&": 0, b".": 0, b"!": 1, b"-": 1, b"W": 1, b"S": 2, b"C": 1, b"p": 2},
    DLE: {b"\x04": 1, b"\x05": 1, b"\x14": 3},
}  # fmt: skip
_PREFIX_NAMES = {ESC: "ESC", GS: "GS", FS: "FS", DLE: "DLE"}
_GS_PAREN = frozenset(b"ACDEHKLMNPQkz")
_ESC_PAREN = frozenset(b"AY")

# A variable-length command's length from its first bytes: the total, or None while more bytes are needed.
_Sizer = Callable[[bytes, int], int | None]


def _little(data: bytes, start: int, count: int) -> int:
    return int.from_bytes(data[start : start + count], "little")


def _payload(offset: int, header: int, size: int) -> int:
    if size > MAX_PAYLOAD:
        raise PayloadTooLargeError(offset, f"a {size}-byte payload is larger than {MAX_PAYLOAD}")
    return header + size


def _paren(data: bytes, offset: int) -> int | None:  # ESC ( / GS ( fn pL pH [pL+pH*256 bytes]
    return None if len(data) < 5 else _payload(offset, 5, _little(data, 3, 2))


def _raster(data: bytes, offset: int) -> int | None:  # GS v 0 m xL xH yL yH d...
    return None if len(data) < 8 else _payload(offset, 8, _little(data, 4, 2) * _little(data, 6, 2))


def _large_graphics(data: bytes, offset: int) -> int | None:  # GS 8 L p1 p2 p3 p4 d...
    return None if len(data) < 7 else _payload(offset, 7, _little(data, 3, 4))


def _bit_image(data: bytes, offset: int) -> int | None:  # ESC * m nL nH d...
    if len(data) < 5:
        return None
    if data[2] not in (0, 1, 32, 33):
        raise UnknownCommandError(offset, f"ESC * with mode {data[2]}")
    return _payload(offset, 5, _little(data, 3, 2) * (1 if data[2] < 32 else 3))


def _until_nul(data: bytes, offset: int, start: int, limit: int) -> int | None:
    end = data.find(b"\x00", start, start + limit + 1)
    if end >= 0:
        return end + 1
    if len(data) > start + limit:
        raise EscPosError(offset, f"no NUL within {limit} bytes")
    return None


def _barcode(data: bytes, offset: int) -> int | None:  # GS k m d... NUL, or GS k m n d1..dn
    if len(data) < 3:
        return None
    kind = data[2]
    if kind <= 6:
        return _until_nul(data, offset, 3, 255)
    if 65 <= kind <= 79:
        return None if len(data) < 4 else 4 + data[3]
    raise UnknownCommandError(offset, f"GS k with barcode type {kind}")


def _cut(data: bytes, offset: int) -> int | None:  # GS V m [n]
    if len(data) < 3:
        return None
    if data[2] in (0, 1, 48, 49):
        return 3
    if data[2] in (65, 66, 97, 98, 103, 104):
        return 4
    raise UnknownCommandError(offset, f"GS V with mode {data[2]}")


def _tabs(data: bytes, offset: int) -> int | None:  # ESC D n1 ... nk NUL
    return _until_nul(data, offset, 2, 32)


def _downloaded_image(data: bytes, offset: int) -> int | None:  # GS * x y d... (x*y*8 bytes)
    return None if len(data) < 4 else _payload(offset, 4, data[2] * data[3] * 8)


_VARIABLE: dict[int, dict[bytes, _Sizer]] = {
    ESC: {b"*": _bit_image, b"D": _tabs},
    GS: {b"v0": _raster, b"8L": _large_graphics, b"k": _barcode, b"V": _cut, b"*": _downloaded_image},
}


def _name(prefix: int, key: bytes) -> str:
    rendered = " ".join("SP" if byte == 0x20 else chr(byte) if 0x21 <= byte < 0x7F else f"0x{byte:02X}"
                        for byte in key)  # fmt: skip
    return f"{_PREFIX_NAMES[prefix]} {rendered}"


class Tokenizer:
    """Feed it bytes as they arrive; it returns every token that is complete so far."""

    def __init__(self) -> None:
        self._buffer = b""
        self._offset = 0  # stream offset of the buffer's first byte, for error messages

    def feed(self, data: bytes) -> list[Token]:
        self._buffer += data
        tokens: list[Token] = []
        position = 0
        buffer = self._buffer
        while position < len(buffer):
            try:
                token = self._next(buffer, position)
            except EscPosError as exc:
                # Skip the prefix and the command byte (or the stray byte) and carry on, as a printer does.
                skip = 2 if buffer[position] in _PREFIX_NAMES and position + 1 < len(buffer) else 1
                token = Invalid(buffer[position : position + skip], exc)
            if token is None:
                break
            tokens.append(token)
            position += len(token.raw)
        self._buffer = buffer[position:]
        self._offset += position
        return tokens

    def pending(self) -> int:
        """Bytes of an incomplete command waiting for their tail."""
        return len(self._buffer)

    def finish(self) -> None:
        """The stream has ended: an incomplete command is an error."""
        if self._buffer:
            error = TruncatedCommandError(self._offset, f"{len(self._buffer)} bytes of an unfinished command")
            self._buffer = b""
            raise error

    def _next(self, data: bytes, position: int) -> Token | None:
        offset = self._offset + position
        byte = data[position]
        if byte >= 0x20:
            end = position + 1
            while end < len(data) and data[end] >= 0x20:
                end += 1
            return TextRun(data[position:end])
        if byte in _CONTROLS:
            return EscPosCommand(_CONTROLS[byte], data[position : position + 1])
        if byte not in _PREFIX_NAMES:
            raise UnknownCommandError(offset, f"stray control byte 0x{byte:02X}")
        view = data[position : position + 8]  # enough to tell any command apart
        if len(view) < 2:
            return None
        for key, sizer in _VARIABLE.get(byte, {}).items():
            if view[1 : 1 + len(key)] == key[: len(view) - 1]:
                if len(view) < 1 + len(key):
                    return None
                size = sizer(data[position : position + 8 + MAX_PAYLOAD], offset)
                return self._slice(data, position, size, _name(byte, key))
        if view[1] == 0x28 and byte in (ESC, GS):  # ESC ( fn / GS ( fn: Epson's length-prefixed family
            if len(view) < 3:
                return None
            if view[2] not in (_GS_PAREN if byte == GS else _ESC_PAREN):
                raise UnknownCommandError(offset, f"{_PREFIX_NAMES[byte]} ( {chr(view[2])!r}")
            size = _paren(data[position : position + 5], offset)
            return self._slice(data, position, size, _name(byte, view[1:3]))
        for key, count in _FIXED[byte].items():
            if view[1 : 1 + len(key)] == key[: len(view) - 1]:
                if len(view) < 1 + len(key):
                    return None
                return self._slice(data, position, 1 + len(key) + count, _name(byte, key))
        raise UnknownCommandError(offset, f"unknown command {_PREFIX_NAMES[byte]} 0x{view[1]:02X}")

    @staticmethod
    def _slice(data: bytes, position: int, size: int | None, name: str) -> EscPosCommand | None:
        if size is None or position + size > len(data):
            return None
        return EscPosCommand(name, data[position : position + size])


def tokenize(data: bytes) -> list[Token]:
    """The whole stream, strictly: the first malformed command raises its typed error."""
    tokenizer = Tokenizer()
    tokens = tokenizer.feed(data)
    for token in tokens:
        if isinstance(token, Invalid):
            raise token.error
    tokenizer.finish()
    return tokens
