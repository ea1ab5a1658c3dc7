"""Which application on the card to read (EMV Book 1 §12): PSE, then PPSE, then a list of known AIDs.

The contact directory (PSE, ``1PAY.SYS.DDF01``) keeps its entries in records of a directory file; the
contactless one (PPSE, ``2PAY.SYS.DDF01``) has them in its FCI. When neither lists an application the
kiosk accepts, each known AID is selected directly. Candidates are ranked by their priority (tag 87).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence

from kiosk.devices.bankcard import apdu, tlv
from kiosk.devices.bankcard.card import decode_text
from kiosk.devices.bankcard.errors import BankCardDataError

PSE = b"1PAY.SYS.DDF01"
PPSE = b"2PAY.SYS.DDF01"

UNIONPAY_DEBIT = bytes.fromhex("A000000333010101")
UNIONPAY_CREDIT = bytes.fromhex("A000000333010102")
UNIONPAY_QUASI_CREDIT = bytes.fromhex("A000000333010103")
UNIONPAY_AIDS = (UNIONPAY_DEBIT, UNIONPAY_CREDIT, UNIONPAY_QUASI_CREDIT)

# A directory file has a handful of records; a card answering 9000 for ever must not keep us reading.
MAX_DIRECTORY_RECORDS = 16
MAX_CANDIDATES = 8

Exchange = Callable[[bytes], apdu.RApdu]


@dataclasses.dataclass(frozen=True)
class Candidate:
    aid: bytes
    label: str = ""
    priority: int = 0  # 1 is the highest; 0 means the card gave none
    source: str = "aid_list"  # "pse", "ppse" or "aid_list", for logs

    @property
    def rank(self) -> int:
        return self.priority or 16


def accepted(aid: bytes, known: Sequence[bytes]) -> bool:
    """EMV partial selection: the card's AID may extend a known one (a suffix names a variant)."""
    return any(aid.startswith(prefix) for prefix in known)


def _entry(template: tlv.Tlv, source: str) -> Candidate | None:
    aid = tlv.value_of(template.children, 0x4F)
    if not aid or not 5 <= len(aid) <= 16:
        return None
    label = tlv.value_of(template.children, 0x50) or b""
    priority = tlv.value_of(template.children, 0x87) or b"\x00"
    return Candidate(aid, decode_text(label), priority[0] & 0x0F, source)


def _entries(items: list[tlv.Tlv], source: str) -> list[Candidate]:
    found = (_entry(item, source) for item in tlv.find_all(items, 0x61))
    return [candidate for candidate in found if candidate is not None]


def _parse(data: bytes) -> list[tlv.Tlv]:
    try:
        return tlv.parse(data)
    except tlv.TlvError as exc:
        raise BankCardDataError(f"directory: {exc}") from None


def from_pse(exchange: Exchange) -> list[Candidate]:
    response = exchange(apdu.select(PSE))
    if not response.ok:
        return []
    sfi_value = tlv.value_of(_parse(response.data), 0x88)
    if not sfi_value or not 1 <= sfi_value[0] <= 30:
        return []
    candidates: list[Candidate] = []
    for record in range(1, MAX_DIRECTORY_RECORDS + 1):
        answer = exchange(apdu.read_record(sfi_value[0], record))
        if not answer.ok:
            break  # 6A83: past the last record
        candidates += _entries(_parse(answer.data), "pse")
    return candidates


def from_ppse(exchange: Exchange) -> list[Candidate]:
    response = exchange(apdu.select(PPSE))
    if not response.ok:
        return []
    return _entries(_parse(response.data), "ppse")


def from_aid_list(exchange: Exchange, known: Sequence[bytes]) -> list[Candidate]:
    candidates = []
    for aid in known:
        response = exchange(apdu.select(aid))
        if response.ok:
            items = _parse(response.data)
            label = tlv.value_of(items, 0x50) or b""
            priority = tlv.value_of(items, 0x87) or b"\x00"
            name = tlv.value_of(items, 0x84) or aid
            candidates.append(Candidate(name, decode_text(label), priority[0] & 0x0F, "aid_list"))
    return candidates


def candidates(exchange: Exchange, known: Sequence[bytes]) -> list[Candidate]:
    """The accepted applications, best first; empty when the card has none the kiosk reads."""
    for source in (from_pse, from_ppse):
        found = [c for c in source(exchange) if accepted(c.aid, known)]
        if found:
            break
    else:
        found = [c for c in from_aid_list(exchange, known) if accepted(c.aid, known)]
    ranked = sorted(enumerate(found), key=lambda pair: (pair[1].rank, pair[0]))
    return [candidate for _, candidate in ranked][:MAX_CANDIDATES]
