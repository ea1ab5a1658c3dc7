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
from kiosk.receipts.model import Align

# FS ! n sets the size of double-byte characters, which GS ! and ESC ! leave alone on some models.
FS_SIZE = b"\x1c\x21"
FS_UNDERLINE = b"\x1c\x2d"
_FS_DOUBLE = 0x0C  # double width (bit 2) and double height (bit 3)


@dataclasses.dataclass(frozen=True)
class EncoderProfile:
    dots: int = 384  # printable width: 384 dots on 58 mm paper, 576 on 80 mm (at 203 dpi)
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
        b"\x1ba\x01"  # ESC a 1: centre
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
    # The paper width lets python-escpos centre and check images; set on this instance, since the
    # profile's data is shared by every printer built from the same profile.
    media = {**printer.profile.profile_data["media"], "width": {"pixels": profile.dots}}
    printer.profile.profile_data = {**printer.profile.profile_data, "media": media}
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
            _apply_style(printer, style, Line("", Align.CENTER))
            printer.qr(
                item.data,
                size=profile.qr_module,
                native=profile.native_qr,
                image_arguments={"impl": "bitImageRaster", "center": True},
            )
        elif isinstance(item, BarcodeItem):
            style.align = "center"
            printer._raw(_barcode(item.data))
        elif isinstance(item, FeedItem):
            printer.print_and_feed(item.lines)
        elif isinstance(item, CutItem):
            # GS V 65/66 0 feed the last line past the cutter, then cut fully/partly. python-escpos's cut()
            # either feeds six blank lines first (paper wasted on every slip) or, with feed=False, always
            # cuts partly whatever the mode.
            printer._raw(b"\x1dV" + (b"\x42" if item.partial else b"\x41") + b"\x00")
    return EncodedJob(printer.output, replaced)


def _apply_style(printer: Dummy, style: _Style, line: Line) -> None:
    """Send the style when it changes. All of it: python-escpos sets the normal size with ESC !, which
    also clears bold and underline on the printer, so a partial update would lose them."""
    wanted = (str(line.align), line.bold, line.underline, line.size)
    if wanted == (style.align, style.bold, style.underline, style.size):
        return
    hanzi_size = _FS_DOUBLE if line.size > 1 else 0  # FS ! knows double only
    printer._raw(FS_SIZE + bytes([hanzi_size]) + FS_UNDERLINE + bytes([line.underline]))
    if line.size == 1:
        size: dict[str, object] = {"normal_textsize": True}
    else:
        size = {"custom_size": True, "width": line.size, "height": line.size}  # GS ! n
    printer.set(align=str(line.align), bold=line.bold, underline=int(line.underline), **size)
    style.align, style.bold, style.underline, style.size = wanted
