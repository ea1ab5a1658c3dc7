"""BER-TLV as EMV uses it (Book 3 Annex B), and Data Object Lists. Pure: bytes in, values out.

Tags may repeat (a directory holds one ``61`` per application), so a parse gives an ordered list, never a
dict. Error messages name tags and offsets only: a value may be a PAN or track-2 data.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Iterator, Sequence

from kiosk.devices.errors import DeviceError

# Lengths above 0xFFFF never occur in a response that fits a short or extended APDU.
_MAX_LENGTH_BYTES = 3
_PADDING = (0x00, 0xFF)


class TlvError(DeviceError, ValueError):
    """The bytes are not well-formed BER-TLV (or not a well-formed DOL)."""


@dataclasses.dataclass(frozen=True, repr=False)
class Tlv:
    tag: int
    value: bytes
    children: tuple[Tlv, ...] = ()

    @property
    def constructed(self) -> bool:
        return is_constructed(self.tag)

    def __repr__(self) -> str:
        # Lengths only: the value of a 5A or 57 must not reach a log through a stray repr.
        return f"Tlv({tag_hex(self.tag)}, {len(self.value)} bytes)"


def tag_hex(tag: int) -> str:
    return f"{tag:X}" if tag > 0xFF else f"{tag:02X}"


def is_constructed(tag: int) -> bool:
    first = tag
    while first > 0xFF:
        first >>= 8
    return bool(first & 0x20)


def _read_tag(data: bytes, offset: int) -> tuple[int, int]:
    start = offset
    tag = data[offset]
    offset += 1
    if tag & 0x1F == 0x1F:
        while True:
            if offset >= len(data):
                raise TlvError(f"tag at offset {start} runs past the end")
            byte = data[offset]
            tag = (tag << 8) | byte
            offset += 1
            if not byte & 0x80:
                break
            if offset - start > 4:
                raise TlvError(f"tag at offset {start} is longer than 4 bytes")
    return tag, offset


def _read_length(data: bytes, offset: int) -> tuple[int, int]:
    if offset >= len(data):
        raise TlvError(f"length at offset {offset} is missing")
    first = data[offset]
    offset += 1
    if first < 0x80:
        return first, offset
    count = first & 0x7F
    if count == 0 or count > _MAX_LENGTH_BYTES:
        raise TlvError(f"length form {first:02X} at offset {offset - 1} is not supported")
    if offset + count > len(data):
        raise TlvError(f"length at offset {offset - 1} runs past the end")
    return int.from_bytes(data[offset : offset + count], "big"), offset + count


def parse(data: bytes, *, depth: int = 0) -> list[Tlv]:
    """All TLVs in ``data``, constructed ones with their children parsed, in card order."""
    if depth > 16:
        raise TlvError("TLVs nested deeper than 16 levels")
    items: list[Tlv] = []
    offset = 0
    while offset < len(data):
        if data[offset] in _PADDING:
            offset += 1
            continue
        start = offset
        tag, offset = _read_tag(data, offset)
        length, offset = _read_length(data, offset)
        end = offset + length
        if end > len(data):
            raise TlvError(
                f"tag {tag_hex(tag)} at offset {start} says {length} bytes, {len(data) - offset} left"
            )
        value = data[offset:end]
        children = tuple(parse(value, depth=depth + 1)) if is_constructed(tag) else ()
        items.append(Tlv(tag, value, children))
        offset = end
    return items


def walk(items: Iterable[Tlv]) -> Iterator[Tlv]:
    """Every TLV, depth first in card order: a parent before its children."""
    for item in items:
        yield item
        yield from walk(item.children)


def find(items: Iterable[Tlv], tag: int) -> Tlv | None:
    return next((item for item in walk(items) if item.tag == tag), None)


def find_all(items: Iterable[Tlv], tag: int) -> list[Tlv]:
    return [item for item in walk(items) if item.tag == tag]


def value_of(items: Iterable[Tlv], tag: int) -> bytes | None:
    item = find(items, tag)
    return None if item is None else item.value


def encode_tag(tag: int) -> bytes:
    return tag.to_bytes(max(1, (tag.bit_length() + 7) // 8), "big")


def encode_length(length: int) -> bytes:
    if length < 0x80:
        return bytes([length])
    body = length.to_bytes((length.bit_length() + 7) // 8, "big")
    if len(body) > _MAX_LENGTH_BYTES:
        raise TlvError(f"a value of {length} bytes is too long")
    return bytes([0x80 | len(body)]) + body


def encode(tag: int, value: bytes) -> bytes:
    return encode_tag(tag) + encode_length(len(value)) + value


def encode_all(items: Iterable[Tlv]) -> bytes:
    """The inverse of ``parse`` for what it returns (constructed values are re-encoded from children)."""
    out = bytearray()
    for item in items:
        value = encode_all(item.children) if item.children else item.value
        out += encode(item.tag, value)
    return bytes(out)


# -- Data Object Lists ----------------------------------------------------------------------------------


def parse_dol(data: bytes) -> list[tuple[int, int]]:
    """A DOL (PDOL, CDOL...): tags with the length the card wants for each, no values."""
    entries: list[tuple[int, int]] = []
    offset = 0
    while offset < len(data):
        tag, offset = _read_tag(data, offset)
        length, offset = _read_length(data, offset)
        entries.append((tag, length))
    return entries


def encode_dol(entries: Sequence[tuple[int, int]]) -> bytes:
    return b"".join(encode_tag(tag) + encode_length(length) for tag, length in entries)


def fill_dol(
    entries: Sequence[tuple[int, int]], values: dict[int, bytes], numeric: frozenset[int] = frozenset()
) -> bytes:
    """The concatenated values a DOL asks for, each exactly its length (EMV Book 3 §5.4).

    A value of another length is cut or padded: numeric (``n``) values on the left, as they are
    right-aligned BCD, everything else on the right. A tag the terminal does not know is zeros.
    """
    out = bytearray()
    for tag, length in entries:
        value = values.get(tag, bytes(length))
        if len(value) != length:
            padding = bytes(max(0, length - len(value)))
            if tag in numeric:
                value = padding + value[max(0, len(value) - length) :]
            else:
                value = value[:length] + padding
        out += value
    return bytes(out)
