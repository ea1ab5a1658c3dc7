"""What a virtual printer puts on paper: the interpreter that turns tokens into rows, and the renderer
that draws those rows as a PNG with a CJK font and as plain text.

Geometry follows a 203 dpi thermal printer: font A is 12x24 dots, a hanzi 24x24, 32 columns on 58 mm
paper (384 dots) and 48 on 80 mm (576 dots).
"""

from __future__ import annotations

import codecs
import dataclasses
import functools
from pathlib import Path

import qrcode
from barcode.codex import Code128
from PIL import Image, ImageDraw, ImageFont

from kiosk.devices.printer.tokenizer import EscPosCommand, Invalid, TextRun, Token

CELL_W, CELL_H = 12, 24  # font A
LINE_PITCH = 30  # ESC 2: the default line spacing, in dots
MARGIN = 16  # white border around the rendered paper, in pixels

CJK_FONT = Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc")
CJK_FONT_INDEX = 2  # the Simplified Chinese face of the collection (index 0 is Japanese)
MONO_FONT = Path("/usr/share/fonts/truetype/noto/NotoSansMono-Regular.ttf")


@dataclasses.dataclass(frozen=True)
class Style:
    bold: bool = False
    underline: bool = False
    wide: int = 1
    tall: int = 1


@dataclasses.dataclass
class TextRow:
    chars: list[tuple[str, Style]]
    align: int  # 0 left, 1 centre, 2 right

    @property
    def text(self) -> str:
        return "".join(char for char, _ in self.chars)

    def columns(self) -> int:
        return sum((1 if char < "\x80" else 2) * style.wide for char, style in self.chars)


@dataclasses.dataclass
class ImageRow:
    image: Image.Image  # mode "1", black = 0
    align: int
    label: str  # "[QR ...]", "[barcode ...]", "[image WxH]": the row in the text rendering


@dataclasses.dataclass
class FeedRow:
    dots: int


Row = TextRow | ImageRow | FeedRow


class Interpreter:
    """Applies tokens to a printer state, collecting the rows of the current job."""

    def __init__(self, columns: int) -> None:
        self.columns = columns
        self.rows: list[Row] = []
        self.invalid: list[str] = []
        self._reset()

    def _reset(self) -> None:
        self._chinese = True  # most Chinese printers power on in Chinese mode (devices.md §C)
        self._codec = "gb18030"
        self._decoder = codecs.getincrementaldecoder(self._codec)(errors="replace")
        self._style = Style()
        self._hanzi_double = False
        self._align = 0
        self._line: list[tuple[str, Style]] = []
        self._qr_data = b""
        self._qr_module = 3
        self._barcode_text = True

    def apply(self, token: Token) -> None:
        if isinstance(token, Invalid):
            self.invalid.append(str(token.error))
        elif isinstance(token, TextRun):
            self._text(token.raw)
        else:
            self._command(token)

    def take_rows(self) -> list[Row]:
        rows, self.rows = self.rows, []
        return rows

    def _text(self, raw: bytes) -> None:
        self._text_chars(self._decoder.decode(raw) if self._chinese else raw.decode("cp437"))

    def _text_chars(self, decoded: str) -> None:
        for char in decoded:
            style = self._style
            if char >= "\x80" and self._hanzi_double and style.wide == 1:
                style = dataclasses.replace(style, wide=2, tall=2)
            self._line.append((char, style))

    def _end_line(self) -> None:
        # A lead byte with no trail byte before the line end prints as a visible replacement.
        self._text_chars(self._decoder.decode(b"", final=True))
        if self._line:
            self.rows.append(TextRow(self._line, self._align))
        else:
            self.rows.append(FeedRow(LINE_PITCH * self._style.tall))
        self._line = []

    def _command(self, command: EscPosCommand) -> None:
        name = command.name
        if name == "LF":
            self._end_line()
        elif name == "ESC @":
            self._line = []
            self._reset()
        elif name == "ESC d":
            if self._line:
                self._end_line()
                self.rows.append(FeedRow(LINE_PITCH * max(0, command.arg - 1)))
            else:
                self.rows.append(FeedRow(LINE_PITCH * command.arg))
        elif name == "ESC a":
            self._align = command.arg % 48 if command.arg % 48 <= 2 else 0
        elif name == "ESC E":
            self._style = dataclasses.replace(self._style, bold=bool(command.arg & 1))
        elif name in ("ESC -", "FS -"):
            self._style = dataclasses.replace(self._style, underline=bool(command.arg & 3))
        elif name == "ESC !":
            n = command.arg
            self._style = Style(bool(n & 0x08), bool(n & 0x80), 2 if n & 0x20 else 1, 2 if n & 0x10 else 1)
        elif name == "GS !":
            n = command.arg
            # Printers scale 1-8 times; the upper bits beyond that are ignored.
            self._style = dataclasses.replace(self._style, wide=(n >> 4 & 7) + 1, tall=(n & 7) + 1)
        elif name == "FS !":
            self._hanzi_double = bool(command.arg & 0x0C)
        elif name == "FS &":
            self._chinese = True
        elif name == "FS .":
            self._chinese = False
        elif name == "GS v 0":
            self._raster(command.raw)
        elif name == "GS ( k":
            self._qr(command.raw)
        elif name == "GS H":
            self._barcode_text = command.arg in (2, 3, 50, 51)
        elif name == "GS k":
            self._barcode(command.raw)

    def _raster(self, raw: bytes) -> None:
        width_bytes = int.from_bytes(raw[4:6], "little")
        height = int.from_bytes(raw[6:8], "little")
        image = Image.frombytes("1", (width_bytes * 8, height), raw[8:], "raw", "1;I")
        self._picture(image, f"[image {width_bytes * 8}x{height}]")

    def _qr(self, raw: bytes) -> None:
        if len(raw) < 8:
            self.invalid.append(f"GS ( k with {len(raw) - 5} parameter bytes")
            return
        fn, body = raw[6], raw[7:]
        if fn == 0x43:  # module size
            self._qr_module = max(1, min(16, body[0]))
        elif fn == 0x50:  # store data (after the "0" of m)
            self._qr_data = body[1:] if body[:1] == b"0" else body
        elif fn == 0x51:  # print what was stored
            data = self._qr_data.decode("utf-8", errors="replace")
            code = qrcode.QRCode(box_size=self._qr_module, border=1)
            try:
                code.add_data(data)
                image = code.make_image().get_image().convert("1")
            except ValueError:  # more data than a QR code holds: a printer prints nothing
                self.invalid.append(f"a {len(self._qr_data)}-byte QR code is too large")
                return
            self._picture(image, f"[QR {data}]")

    def _barcode(self, raw: bytes) -> None:
        payload = raw[4:] if raw[2] >= 65 else raw[3:-1]
        text = payload.decode("ascii", errors="replace")
        shown = text[2:] if text.startswith("{") else text  # "{B" selects the CODE128 code set
        try:
            modules = Code128(shown).build()[0]
        except Exception:  # python-barcode refuses what it cannot encode; the label still says what came
            modules = ""
        hri = 28 if self._barcode_text else 0  # the human-readable text under the bars
        bars = Image.new("1", (max(1, len(modules) * 2), 80 + hri), 1)
        draw = ImageDraw.Draw(bars)
        for index, bit in enumerate(modules):
            if bit == "1":
                draw.rectangle((index * 2, 0, index * 2 + 1, 79), fill=0)
        if hri:
            font = _font("mono", 20)
            draw.text((bars.width // 2, 82), shown, fill=0, font=font, anchor="mt")
        self._picture(bars, f"[barcode {shown}]")

    def _picture(self, image: Image.Image, label: str) -> None:
        if self._line:
            self._end_line()
        self.rows.append(ImageRow(image, self._align, label))


def text_line(row: TextRow, columns: int) -> str:
    """A text row as plain text, aligned with spaces on the paper's columns (as ``layout.paper_text``)."""
    scale = max(style.wide for _, style in row.chars)
    span = columns // scale
    used = sum(1 if char < "\x80" else 2 for char, _ in row.chars)
    space = max(0, span - used)
    pad = {0: 0, 1: space // 2, 2: space}[row.align]
    return (" " * pad + row.text).rstrip()


def render_text(rows: list[Row], columns: int) -> str:
    lines = []
    for row in rows:
        if isinstance(row, TextRow):
            lines.append(text_line(row, columns))
        elif isinstance(row, ImageRow):
            lines.append(row.label)
        else:
            lines += [""] * max(0, round(row.dots / LINE_PITCH))
    return "\n".join(lines) + "\n"


@functools.cache
def _font(kind: str, size: int) -> ImageFont.FreeTypeFont:
    # BASIC layout: one glyph at a time needs no shaping, and skipping raqm makes each draw cheaper.
    basic = ImageFont.Layout.BASIC
    if kind == "mono" and MONO_FONT.exists():
        return ImageFont.truetype(str(MONO_FONT), size, layout_engine=basic)
    return ImageFont.truetype(str(CJK_FONT), size, index=CJK_FONT_INDEX, layout_engine=basic)


@functools.lru_cache(maxsize=4096)
def _glyph(char: str, wide: int, tall: int, bold: bool) -> Image.Image:
    """One character drawn black-on-white in its cell; cached, since a receipt repeats few characters
    many times and FreeType costs about a millisecond a glyph."""
    ascii_char = char < "\x80"
    width, height = (1 if ascii_char else 2) * CELL_W * wide, LINE_PITCH * tall  # the line, not the cell
    font = _font("mono" if ascii_char else "cjk", (20 if ascii_char else 23) * tall)
    cell = Image.new("L", (width, height), 0)
    draw = ImageDraw.Draw(cell)
    box = draw.textbbox((0, 0), char, font=font)
    x = (width - (box[2] - box[0])) // 2 - box[0]
    ascent, descent = font.getmetrics()
    y = (height - ascent - descent) // 2
    # Double width stretches the glyph on paper; drawn centred in its wide cell it reads the same.
    draw.text((x, y), char, fill=255, font=font, stroke_width=1 if bold else 0, stroke_fill=255)
    return cell


def render_png(rows: list[Row], dots: int, path: Path) -> None:
    """Draw the rows as the paper would show them: monospaced cells, hanzi two cells wide."""
    heights = [_row_height(row) for row in rows]
    paper = Image.new("L", (dots + 2 * MARGIN, sum(heights) + 2 * MARGIN), 255)
    y = MARGIN
    for row, height in zip(rows, heights, strict=True):
        if isinstance(row, TextRow):
            _draw_text(paper, row, dots, y)
        elif isinstance(row, ImageRow):
            x = MARGIN + _offset(row.align, dots, row.image.width)
            paper.paste(row.image.convert("L"), (x, y + 3))
        y += height
    paper.save(path)


def paper_length_dots(rows: list[Row]) -> int:
    """How much paper the rows take, in dots (8 a millimetre at 203 dpi): the kiosk's paper counter."""
    return sum(_row_height(row) for row in rows)


def _row_height(row: Row) -> int:
    if isinstance(row, TextRow):
        return LINE_PITCH * max(style.tall for _, style in row.chars)
    if isinstance(row, ImageRow):
        return row.image.height + 6
    return row.dots


def _offset(align: int, dots: int, used: int) -> int:
    return {0: 0, 1: (dots - used) // 2, 2: dots - used}[align] if used < dots else 0


def _draw_text(paper: Image.Image, row: TextRow, dots: int, y: int) -> None:
    total = sum((1 if char < "\x80" else 2) * CELL_W * style.wide for char, style in row.chars)
    x = MARGIN + _offset(row.align, dots, total)
    tall = max(style.tall for _, style in row.chars)
    for char, style in row.chars:
        glyph = _glyph(char, style.wide, style.tall, style.bold)
        top = y + (LINE_PITCH * tall - glyph.height) // 2
        paper.paste(0, (x, top), mask=glyph)
        if style.underline:
            paper.paste(0, (x, top + glyph.height, x + glyph.width, top + glyph.height + 2))
        x += glyph.width
