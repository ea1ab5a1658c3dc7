"""Command APDUs of the read, response APDUs, and the T=0 rules (61xx, 6Cxx) on top of a raw channel.

pyscard 2.3.1 does no automatic GET RESPONSE, and a card on T=0 answers a case-4 command with ``61xx``
("xx bytes are waiting") or a wrong Le with ``6Cxx`` ("ask again for xx"); ``exchange`` handles both, with
a bound on the chain so that a card answering nonsense cannot keep the kiosk busy for ever.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

from kiosk.devices.bankcard.errors import BankCardDataError

SW_OK = 0x9000

# More GET RESPONSEs than this is a card gone wrong: real responses fit in two or three.
MAX_RESPONSE_CHAIN = 8
MAX_RESPONSE_BYTES = 4096


@dataclasses.dataclass(frozen=True, repr=False)
class RApdu:
    data: bytes
    sw: int

    @property
    def ok(self) -> bool:
        return self.sw == SW_OK

    def __repr__(self) -> str:
        return f"RApdu({len(self.data)} bytes, SW {self.sw:04X})"

    @classmethod
    def from_bytes(cls, raw: bytes) -> RApdu:
        if len(raw) < 2:
            raise BankCardDataError(f"a response of {len(raw)} bytes has no status word")
        return cls(raw[:-2], int.from_bytes(raw[-2:], "big"))


def select(name: bytes) -> bytes:
    """SELECT by DF name (an AID or a directory name), first occurrence, FCI wanted."""
    return bytes([0x00, 0xA4, 0x04, 0x00, len(name)]) + name + b"\x00"


def get_processing_options(pdol_data: bytes) -> bytes:
    template = bytes([0x83, len(pdol_data)]) + pdol_data
    return bytes([0x80, 0xA8, 0x00, 0x00, len(template)]) + template + b"\x00"


def read_record(sfi: int, record: int) -> bytes:
    return bytes([0x00, 0xB2, record, (sfi << 3) | 0x04, 0x00])


def get_response(length: int) -> bytes:
    return bytes([0x00, 0xC0, 0x00, 0x00, length])


def instruction_name(capdu: bytes) -> str:
    """What a command is, for logs: the instruction only, never its data."""
    names = {0xA4: "SELECT", 0xA8: "GET PROCESSING OPTIONS", 0xB2: "READ RECORD", 0xC0: "GET RESPONSE"}
    return names.get(capdu[1], f"INS {capdu[1]:02X}") if len(capdu) > 1 else "short command"


def exchange(transmit: Callable[[bytes], bytes], capdu: bytes) -> RApdu:
    """Send one command and follow the T=0 status words to the whole answer."""
    response = RApdu.from_bytes(transmit(capdu))
    if response.sw >> 8 == 0x6C:
        # Wrong Le: the card says how many bytes it has; the same command again with that Le.
        response = RApdu.from_bytes(transmit(capdu[:-1] + bytes([response.sw & 0xFF])))
    data = bytearray(response.data)
    chained = 0
    while response.sw >> 8 == 0x61:
        chained += 1
        if chained > MAX_RESPONSE_CHAIN or len(data) > MAX_RESPONSE_BYTES:
            raise BankCardDataError("the card keeps announcing more response data")
        response = RApdu.from_bytes(transmit(get_response(response.sw & 0xFF)))
        data += response.data
    return RApdu(bytes(data), response.sw)
