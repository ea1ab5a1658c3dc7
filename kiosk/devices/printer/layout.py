"""A receipt laid out for one paper width: lines of text that fit, plus the pictures between them.

Widths count columns as the printer does (``chinese.width``: a hanzi is two). Wrapping never splits a
character, keeps short ASCII words (amounts, codes, URLs that fit) whole, and keeps closing punctuation
off the start of a line, as Chinese typesetting expects.
"""

from __future__ import annotations

import dataclasses
import re

from kiosk.devices.printer.chinese import Codec, as_printed, columns_of, normalise, width
from kiosk.receipts.model import (
    Align,
    Barcode,
    Cut,
    Feed,
    KeyValue,
    QrCode,
    Receipt,
    Separator,
    Table,
    Text,
)

COLUMNS_58MM = 32
COLUMNS_80MM = 48
PAPER_GEOMETRY = {58: (COLUMNS_58MM, 384), 80: (COLUMNS_80MM, 576)}  # paper mm -> (columns, dots at 203 dpi)

# No line may start with these (GB/T 15834 line-breaking practice); the character before them moves down.
_NO_LINE_START = frozenset("，。、；：？！）》】」』”’…—%")
# A space before such a mark would be a break opportunity before it, where the rule could not hold (a full
# line, a space, then "）" would start the next line). The full-width marks carry their own spacing, so
# the space is dropped rather than printed.
_SPACE_BEFORE_NO_LINE_START = re.compile(" +(?=[" + re.escape("".join(sorted(_NO_LINE_START))) + "])")
_GAP = 1  # spaces between table columns


@dataclasses.dataclass(frozen=True)
class Line:
    text: str
    align: Align = Align.LEFT
    bold: bool = False
    size: int = 1
    underline: bool = False


@dataclasses.dataclass(frozen=True)
class QrItem:
    data: str


@dataclasses.dataclass(frozen=True)
class BarcodeItem:
    data: str


@dataclasses.dataclass(frozen=True)
class FeedItem:
    lines: int


@dataclasses.dataclass(frozen=True)
class CutItem:
    partial: bool


Item = Line | QrItem | BarcodeItem | FeedItem | CutItem


def wrap(text: str, columns: int) -> list[str]:
    """Break ``text`` into lines of at most ``columns`` columns (each at least one character)."""
    if columns < 2:
        raise ValueError("a line holds at least one hanzi (2 columns)")
    text = _SPACE_BEFORE_NO_LINE_START.sub("", text)
    lines: list[str] = []
    current: list[str] = []
    used = 0
    for char in text:
        size = columns_of(char)
        if used + size > columns:
            carried = _carry(current, char, columns)
            lines.append("".join(current).rstrip())
            current = carried
            used = width("".join(current))
            if char == " " and not current:
                continue  # a space at a break is the break
        current.append(char)
        used += size
    if current or not lines:
        lines.append("".join(current).rstrip())
    return lines


def _carry(current: list[str], char: str, columns: int) -> list[str]:
    """What moves from the full line to the next one so that neither breaks a word or a rule."""
    if char in _NO_LINE_START and len(current) > 1 and width(current[-1] + char) <= columns:
        return [current.pop()]
    if char.isascii() and char != " " and current and current[-1].isascii() and current[-1] != " ":
        # Inside an ASCII word: move the word down whole, if it fits on a line of its own.
        start = len(current)
        while start > 0 and current[start - 1].isascii() and current[start - 1] != " ":
            start -= 1
        if start > 0:
            word = current[start:]
            del current[start:]
            return word
    return []


def _fit(text: str, columns: int, align: Align) -> str:
    """``text`` padded with spaces to exactly ``columns`` columns."""
    space = columns - width(text)
    if align is Align.RIGHT:
        return " " * space + text
    if align is Align.CENTER:
        return " " * (space // 2) + text + " " * (space - space // 2)
    return text + " " * space


def _key_value(block: KeyValue, columns: int) -> list[Line]:
    key = normalise(block.key) + "："
    value = normalise(block.value)
    if width(key) + width(value) <= columns:
        return [Line(key + _fit(value, columns - width(key), Align.RIGHT), bold=block.bold)]
    # Too long for one line: the value goes below the key, whole lines flush right, rather than
    # leaving one orphaned character under a squeezed value.
    return [Line(key, bold=block.bold)] + [
        Line(_fit(part, columns, Align.RIGHT), bold=block.bold) for part in wrap(value, columns)
    ]


def _column_widths(block: Table, columns: int) -> list[int]:
    """Each column as wide as its widest cell, spare room shared by weight; when the natural widths do
    not fit, the paper is shared by weight and cells wrap."""
    weights = [column.weight for column in block.columns]
    usable = columns - _GAP * (len(weights) - 1)
    natural = [
        max([width(normalise(column.title))] + [width(normalise(row[index])) for row in block.rows])
        for index, column in enumerate(block.columns)
    ]
    spare = usable - sum(natural)
    if spare >= 0:
        widths = [
            size + spare * weight // sum(weights) for size, weight in zip(natural, weights, strict=True)
        ]
    else:
        widths = [max(2, usable * weight // sum(weights)) for weight in weights]
    widths[-1] += usable - sum(widths)  # rounding leftovers go to the last column
    if widths[-1] < 2:
        raise ValueError(f"{len(weights)} table columns do not fit on {columns} columns of paper")
    return widths


def _table(block: Table, columns: int) -> list[Line]:
    widths = _column_widths(block, columns)
    aligns = [column.align for column in block.columns]

    def row_lines(cells: tuple[str, ...], bold: bool) -> list[Line]:
        wrapped = [wrap(normalise(cell), size) for cell, size in zip(cells, widths, strict=True)]
        height = max(len(parts) for parts in wrapped)
        lines = []
        for index in range(height):
            texts = [
                _fit(parts[index] if index < len(parts) else "", size, align)
                for parts, size, align in zip(wrapped, widths, aligns, strict=True)
            ]
            lines.append(Line((" " * _GAP).join(texts).rstrip(), bold=bold))
        return lines

    lines = row_lines(tuple(column.title for column in block.columns), bold=True)
    for row in block.rows:
        lines += row_lines(row, bold=False)
    return lines


def lay_out(receipt: Receipt, columns: int) -> list[Item]:
    items: list[Item] = []
    for block in receipt.blocks:
        if isinstance(block, Text):
            items += [
                Line(part, block.align, block.bold, block.size, block.underline)
                for part in wrap(normalise(block.text), columns // block.size)
            ]
        elif isinstance(block, KeyValue):
            items += _key_value(block, columns)
        elif isinstance(block, Table):
            items += _table(block, columns)
        elif isinstance(block, Separator):
            items.append(Line(block.char * columns))
        elif isinstance(block, Feed):
            items.append(FeedItem(block.lines))
        elif isinstance(block, QrCode):
            items.append(QrItem(block.data))
            if block.caption:
                items += [Line(part, Align.CENTER) for part in wrap(normalise(block.caption), columns)]
        elif isinstance(block, Barcode):
            items.append(BarcodeItem(block.data))
        elif isinstance(block, Cut):
            items.append(CutItem(block.partial))
    return items


def paper_text(line: Line, columns: int) -> str:
    """The line as it sits on the paper, in plain text: alignment becomes spaces, trailing ones dropped."""
    span = columns // line.size
    return _fit(line.text, span, line.align).rstrip()


def text_of(items: list[Item], columns: int, codec: Codec) -> list[str]:
    """The text lines of a laid-out receipt, as a virtual printer reading the bytes should see them."""
    return [as_printed(paper_text(item, columns), codec) for item in items if isinstance(item, Line)]
