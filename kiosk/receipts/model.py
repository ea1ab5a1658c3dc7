"""What a receipt is made of, independent of paper width, printer and codec.

A template builds a ``Receipt`` from plain data; a printer driver lays it out for its paper and encodes
it. Nothing here is personal by itself: the templates put only masked values into a receipt.
"""

from __future__ import annotations

import dataclasses
import enum


class Align(enum.StrEnum):
    LEFT = "left"
    CENTER = "center"
    RIGHT = "right"


@dataclasses.dataclass(frozen=True)
class Text:
    """A paragraph, wrapped to the paper. ``size`` n multiplies width and height by n (1/n the columns):
    2 for titles, 3 for what must be read from a distance, such as a queue number."""

    text: str
    align: Align = Align.LEFT
    bold: bool = False
    size: int = 1
    underline: bool = False

    def __post_init__(self) -> None:
        if self.size not in (1, 2, 3):
            raise ValueError(f"text size is 1, 2 or 3, not {self.size}")


@dataclasses.dataclass(frozen=True)
class KeyValue:
    """``key`` on the left, ``value`` flush right; a long value wraps below, still flush right."""

    key: str
    value: str
    bold: bool = False


@dataclasses.dataclass(frozen=True)
class Column:
    title: str
    weight: int = 1  # share of the line; the layout turns weights into whole columns
    align: Align = Align.LEFT


@dataclasses.dataclass(frozen=True)
class Table:
    columns: tuple[Column, ...]
    rows: tuple[tuple[str, ...], ...]

    def __post_init__(self) -> None:
        for row in self.rows:
            if len(row) != len(self.columns):
                raise ValueError(f"a row has {len(row)} cells for {len(self.columns)} columns")


@dataclasses.dataclass(frozen=True)
class Separator:
    char: str = "-"  # "-" a thin rule, "=" a heavy one; one ASCII character repeated across the paper

    def __post_init__(self) -> None:
        if len(self.char) != 1 or not self.char.isascii():
            raise ValueError("a separator is one ASCII character")


@dataclasses.dataclass(frozen=True)
class Feed:
    lines: int = 1


@dataclasses.dataclass(frozen=True)
class QrCode:
    data: str
    caption: str = ""  # printed centred under the code, e.g. the verification code itself


@dataclasses.dataclass(frozen=True)
class Barcode:
    """A CODE128 barcode of ASCII ``data``, with its human-readable text under it."""

    data: str

    def __post_init__(self) -> None:
        if not self.data or not self.data.isascii() or not self.data.isprintable():
            raise ValueError("a barcode holds printable ASCII")


@dataclasses.dataclass(frozen=True)
class Cut:
    partial: bool = False


Block = Text | KeyValue | Table | Separator | Feed | QrCode | Barcode | Cut


@dataclasses.dataclass(frozen=True)
class Receipt:
    """Blocks in print order. ``kind`` names the template (for logs and statistics: never personal)."""

    kind: str
    blocks: tuple[Block, ...]

    def __repr__(self) -> str:
        return f"<Receipt {self.kind}, {len(self.blocks)} blocks>"  # the blocks hold masked personal data

    def with_note(self, note: str) -> Receipt:
        """The same receipt with a bold line on top, e.g. "重打" on a reprint."""
        return Receipt(self.kind, (Text(note, Align.CENTER, bold=True), *self.blocks))
