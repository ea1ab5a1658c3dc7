"""The terminal's side of GET PROCESSING OPTIONS: the values a card's PDOL may ask for.

The kiosk reads an account number and moves no money, so it presents itself as an unattended,
online-only terminal making a balance inquiry of amount 0 in CNY, in China. The unpredictable number is
fresh for every read.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import secrets

from kiosk.devices.bankcard.tlv import fill_dol

CNY = 156
CHINA = 156
BALANCE_INQUIRY = 0x31

# Tags whose format is ``n`` (right-aligned BCD), so a length mismatch pads or cuts on the left.
NUMERIC_TAGS = frozenset({0x9F02, 0x9F03, 0x9F1A, 0x5F2A, 0x9A, 0x9C, 0x9F21, 0x9F35})


def bcd(number: int, length: int) -> bytes:
    return bytes.fromhex(f"{number:0{length * 2}d}")


@dataclasses.dataclass(frozen=True)
class TerminalData:
    now: dt.datetime
    unpredictable_number: bytes

    @classmethod
    def fresh(cls, now: dt.datetime | None = None) -> TerminalData:
        return cls(now or dt.datetime.now(), secrets.token_bytes(4))

    def values(self) -> dict[int, bytes]:
        return {
            # TTQ: contact and qPBOC/qVSDC supported, online capable, no CVM needed for an inquiry.
            0x9F66: bytes.fromhex("36000080"),
            0x9F02: bcd(0, 6),  # amount, authorised
            0x9F03: bcd(0, 6),  # amount, other
            0x9F1A: bcd(CHINA, 2),
            0x95: bytes(5),  # TVR: nothing has gone wrong yet
            0x5F2A: bcd(CNY, 2),
            0x9A: bytes.fromhex(self.now.strftime("%y%m%d")),
            0x9F21: bytes.fromhex(self.now.strftime("%H%M%S")),
            0x9C: bytes([BALANCE_INQUIRY]),
            0x9F37: self.unpredictable_number,
            0x9F35: bytes([0x14]),  # unattended, financial institution, online only
            0x9F33: bytes.fromhex("600808"),  # IC and magstripe, no PIN pad, SDA/DDA/CDA
            0x9F40: bytes.fromhex("0000000000"),
            0x9F7A: bytes([0x00]),  # no electronic-cash transaction
            0xDF60: bytes([0x00]),  # PBOC: no extended electronic-cash transaction
        }

    def pdol_data(self, pdol: list[tuple[int, int]]) -> bytes:
        return fill_dol(pdol, self.values(), NUMERIC_TAGS)
