"""A laid-out receipt as ESC/POS bytes.

python-escpos (its ``Dummy`` printer as a byte collector) sends styles, raster images, QR codes and cuts;
text goes through ``chinese.encode`` behind ``FS &`` on every line (see chinese.py for why), so a
printer that lost Chinese mode on a code-page switch (python-escpos sends ``ESC t`` around a QR image)
is put back into it before each line.
"""

from __future__ import annotations

import dataclasses

from escpos.printer import Dummy

from kiosk.devices.printer.chinese import FS_CHINESE_ON, Codec, encode
from kiosk.devices.printer.layout import BarcodeItem, CutItem, FeedItem, Item, Line, QrItem

FS_SIZE = b"\x1c\x21"  # FS ! n: the size of double-byte characters, which GS !/ESC ! leave alone on some models
FS_UNDERLINE = b"\x1c\x2d"
_FS_DOUBLE = 0x0C  # double width (bit 2) and double height (bit 3)


@dataclasses.dataclass(frozen=True)
class EncoderProfile:
    codec: Codec = Codec.GBK
    native_qr: bool = False  # GS ( k; many clones lack it, so a raster image is the default
    qr_module: int = 6  # dots per QR module: about 0.75 mm at 203 dpi, easy for phone cameras


@dataclasses.dataclass(frozen=True)
class EncodedJob:
    data: bytes
    replaced: int  # characters the codec could not encode, printed as the replacement mark


@dataclasses.dataclass
class _Style:
    align: str = ""
    bold: bool | None = None
    size: int = 0
    underline: bool | None = None


def _barcode(data: str) -> bytes:
    # python-escpos's barcode() print()s "Using hardware barcode renderer" to stdout, which would corrupt
    # `kiosk devices printer status --json`; GS k is a handful of bytes, so they are written here.
    payload = b"{B" + data.encode("ascii")  # CODE128 code set B: any printable ASCII
    return (
        b"\x1bah\x01"[:2]
        + b"\x01"  # ESC a 1: centre
        + b"\x1dh\x50"  # GS h: 80 dots tall
        + b"\x1dw\x02"  # GS w: module width 2 dots
        + b"\x1dH\x02"  # GS H: human-readable text below
        + b"\x1dk\x49"
        + bytes([len(payload)])
        + payload
        + b"\n"
    )


def encode_items(items: list[Item], profile: EncoderProfile) -> EncodedJob:
    printer = Dummy()
    printer.hw("INIT")
    printer._raw(FS_CHINESE_ON)
    style = _Style()
    replaced = 0
    for item in items:
        if isinstance(item, Line):
            _apply_style(printer, style, item)
            encoded = encode(item.text, profile.codec)
            replaced += encoded.replaced
            printer._raw(FS_CHINESE_ON + encoded.data + b"\n")
        elif isinstance(item, QrItem):
            _apply_style(printer, style, Line("", align="center"))
            printer.qr(item.data, size=profile.qr_module, native=profile.native_qr, impl="bitImageRaster")
        elif isinstance(item, BarcodeItem):
            style.align = "center"
            printer._raw(_barcode(item.data))
        elif isinstance(item, FeedItem):
            printer.print_and_feed(item.lines)
        elif isinstance(item, CutItem):
            # GS V 66 0 feeds the last line past the cutter before cutting; python-escpos's default cut()
            # feeds six blank lines first, a waste of paper on every slip.
            printer.cut(mode="PART" if item.partial else "FULL", feed=False)
    return EncodedJob(printer.output, replaced)


def _apply_style(printer: Dummy, style: _Style, line: Line) -> None:
    """Send only what changed: every style command costs bytes on a 9600-baud serial line."""
    changes: dict[str, object] = {}
    if line.align != style.align:
        changes["align"] = str(line.align)
    if line.bold != style.bold:
        changes["bold"] = line.bold
    if line.underline != style.underline:
        changes["underline"] = 1 if line.underline else 0
        printer._raw(FS_UNDERLINE + (b"\x01" if line.underline else b"\x00"))
    if line.size != style.size:
        double = line.size == 2
        changes.update(double_width=double, double_height=double, normal_textsize=not double)
        printer._raw(FS_SIZE + bytes([_FS_DOUBLE if double else 0]))
    if changes:
        printer.set(**changes)  # type: ignore[arg-type]
    style.align, style.bold, style.underline, style.size = str(line.align), line.bold, line.underline, line.size
