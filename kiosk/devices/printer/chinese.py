"""The Chinese text path: normalise, measure and encode text the way a Chinese ESC/POS printer prints it.

Written here rather than taken from python-escpos because its ``text()`` (MagicEncode, 3.1) gets Chinese
wrong in ways a citizen would see (reference/devices.md §C):
- it sends no ``FS &``, so a printer that powered on outside Chinese mode prints GBK bytes as Latin garbage;
- it encodes as GB18030 only when the string holds a hanzi in 4E00-9FA5, so "，。" alone becomes "??";
- it turns "¥" into the four-byte GB18030 sequence 81 30 84 36, which GBK printers print as junk;
- forcing a code page with ``charcode()`` turns every hanzi into "?".
So the driver encodes text itself and hands python-escpos only transports, images and QR codes.
"""

from __future__ import annotations

import dataclasses
import enum

FS_CHINESE_ON = b"\x1c\x26"  # FS &: double-byte (GB) characters from here on

# Printed in place of a character the codec cannot encode: visible on paper, and itself in GBK (A1 F5),
# so the hole is noticed instead of silently closed up.
REPLACEMENT = "□"

_NORMALISE = str.maketrans(
    {
        "¥": "￥",  # U+00A5 is not in GBK; U+FFE5 is (A3 A4), the sign Chinese receipts print anyway
        "\u00a0": " ",
        "\u3000": "  ",  # the ideographic space is two columns either way; ASCII spaces wrap better
        "\t": " ",
    }
)


class Codec(enum.StrEnum):
    GBK = "gbk"  # what nearly every Chinese thermal printer's font covers
    GB18030 = "gb18030"  # only for printers whose profile says they print 4-byte sequences (Ext-A, Ext-B)


def normalise(text: str) -> str:
    """The string as it will be printed, before measuring: the layout must count what the paper shows."""
    return text.translate(_NORMALISE)


def columns_of(char: str) -> int:
    """Columns one character takes. In Chinese mode a printer prints every single-byte (ASCII) character
    half-width and every multi-byte one full-width, so the byte count decides, not Unicode's width tables
    (which call “”—… "ambiguous"). A control character will print as the two-column REPLACEMENT."""
    return 1 if " " <= char < "\x7f" else 2


def width(text: str) -> int:
    return sum(1 if " " <= char < "\x7f" else 2 for char in text)


def _printable_bytes(char: str, codec: Codec) -> bytes | None:
    if " " <= char < "\x7f":
        return char.encode("ascii")
    if char < " " or char == "\x7f":
        return None  # a control character inside text could act as a printer command
    try:
        encoded = char.encode(codec.value)
    except UnicodeEncodeError:
        return None
    # CP936 maps € to the single byte 0x80, which no printer prints as €; 4-byte GB18030 only if allowed.
    if (len(encoded) == 2 and encoded[0] >= 0x81) or (len(encoded) == 4 and codec is Codec.GB18030):
        return encoded
    return None


_SUBSTITUTE = REPLACEMENT.encode("gbk")


@dataclasses.dataclass(frozen=True)
class Encoded:
    data: bytes
    replaced: int  # characters printed as REPLACEMENT


def encode(text: str, codec: Codec) -> Encoded:
    """``text`` (already normalised and laid out) as printer bytes; characters the codec cannot encode
    are replaced visibly and counted."""
    if text.isascii() and text.isprintable():
        return Encoded(text.encode("ascii"), 0)
    parts: list[bytes] = []
    replaced = 0
    for char in text:
        encoded = _printable_bytes(char, codec)
        if encoded is None:
            replaced += 1
            encoded = _SUBSTITUTE
        parts.append(encoded)
    return Encoded(b"".join(parts), replaced)


def as_printed(text: str, codec: Codec) -> str:
    """``text`` as the paper will show it: what the codec cannot encode becomes REPLACEMENT."""
    return "".join(char if _printable_bytes(char, codec) is not None else REPLACEMENT for char in text)
