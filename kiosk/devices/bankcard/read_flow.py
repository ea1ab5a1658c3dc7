"""The whole read of a bank card, over any channel that sends a command and returns the answer.

select an application (``selection``) → SELECT it → GET PROCESSING OPTIONS with the PDOL filled →
READ RECORD over the AFL → a checked ``BankCard``. Pure apart from the channel: the PC/SC driver, the
in-process reader and the tests all run this same code.

Only instruction names and status words are logged; data elements stay in local variables, and track 2
(57) is used to back up a missing PAN or expiry and then dropped.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Sequence

from kiosk.devices.bankcard import apdu, tlv
from kiosk.devices.bankcard.card import (
    HOLDER_ID_TYPES,
    BankCard,
    check_card,
    decode_bcd_digits,
    decode_date,
    decode_text,
    decode_track2,
)
from kiosk.devices.bankcard.errors import BankCardDataError, UnsupportedCard
from kiosk.devices.bankcard.selection import UNIONPAY_AIDS, Candidate, candidates
from kiosk.devices.bankcard.terminal import TerminalData

log = logging.getLogger(__name__)

# SFIs 1-30, and no issuer needs more than a couple of dozen records to describe one application.
MAX_AFL_RECORDS = 32

Transmit = Callable[[bytes], bytes]


def _parse(data: bytes, what: str) -> list[tlv.Tlv]:
    try:
        return tlv.parse(data)
    except tlv.TlvError as exc:
        raise BankCardDataError(f"{what}: {exc}") from None


def _exchange(transmit: Transmit) -> Callable[[bytes], apdu.RApdu]:
    def send(capdu: bytes) -> apdu.RApdu:
        response = apdu.exchange(transmit, capdu)
        log.debug("%s -> SW %04X", apdu.instruction_name(capdu), response.sw)
        return response

    return send


def _afl_entries(afl: bytes) -> list[tuple[int, int]]:
    if len(afl) % 4:
        raise BankCardDataError(f"an AFL of {len(afl)} bytes is not a list of 4-byte entries")
    records: list[tuple[int, int]] = []
    for offset in range(0, len(afl), 4):
        sfi, first, last = afl[offset] >> 3, afl[offset + 1], afl[offset + 2]
        if not 1 <= sfi <= 30 or first == 0 or last < first:
            raise BankCardDataError("an AFL entry names no valid records")
        records += [(sfi, record) for record in range(first, last + 1)]
        if len(records) > MAX_AFL_RECORDS:
            raise BankCardDataError(f"the AFL names more than {MAX_AFL_RECORDS} records")
    return records


def _gpo_elements(data: bytes) -> list[tlv.Tlv]:
    """The GPO answer as data elements: format 1 (80: AIP + AFL) becomes 82 and 94 like format 2 (77)."""
    items = _parse(data, "GPO response")
    if len(items) != 1 or items[0].tag not in (0x80, 0x77):
        raise BankCardDataError("the GPO response is neither format 1 (80) nor format 2 (77)")
    if items[0].tag == 0x80:
        value = items[0].value
        if len(value) < 2:
            raise BankCardDataError("a format 1 GPO response without an AIP")
        return [tlv.Tlv(0x82, value[:2]), tlv.Tlv(0x94, value[2:])]
    return list(items[0].children)


def _read_application(
    send: Callable[[bytes], apdu.RApdu], candidate: Candidate, terminal: TerminalData
) -> tuple[list[tlv.Tlv], list[tlv.Tlv]] | None:
    """The FCI, GPO data elements and records of one application; None when the card declines it."""
    selected = send(apdu.select(candidate.aid))
    if not selected.ok:
        return None
    fci = _parse(selected.data, "FCI")
    pdol = tlv.value_of(fci, 0x9F38)
    try:
        entries = tlv.parse_dol(pdol) if pdol else []
    except tlv.TlvError as exc:
        raise BankCardDataError(f"PDOL: {exc}") from None
    gpo = send(apdu.get_processing_options(terminal.pdol_data(entries)))
    if not gpo.ok:
        return None  # 6985 and friends: this application will not run here; try the next one
    elements = _gpo_elements(gpo.data)
    for sfi, record in _afl_entries(tlv.value_of(elements, 0x94) or b""):
        answer = send(apdu.read_record(sfi, record))
        if not answer.ok:
            raise BankCardDataError(f"READ RECORD {record} of SFI {sfi}: SW {answer.sw:04X}")
        items = _parse(answer.data, "record")
        if len(items) != 1 or items[0].tag != 0x70:
            raise BankCardDataError(f"record {record} of SFI {sfi} is not a 70 template")
        elements += items[0].children
    return fci, elements


def _to_card(fci: list[tlv.Tlv], elements: list[tlv.Tlv], candidate: Candidate) -> BankCard:
    track2_value = tlv.value_of(elements, 0x57)
    track2 = decode_track2(track2_value) if track2_value else None
    pan_value = tlv.value_of(elements, 0x5A)
    pan = decode_bcd_digits(pan_value) if pan_value else (track2.pan if track2 else "")
    if not pan:
        raise BankCardDataError("the application gives no PAN")
    if track2 is not None and track2.pan != pan:
        raise BankCardDataError("the PAN in 5A and in track 2 differ")
    expiry_value = tlv.value_of(elements, 0x5F24)
    if expiry_value:
        expiry = decode_date(expiry_value)
    elif track2 is not None:
        expiry = track2.expiry
    else:
        raise BankCardDataError("the application gives no expiry date")
    name = tlv.value_of(elements, 0x5F20) or tlv.value_of(elements, 0x9F0B) or b""
    holder_id = tlv.value_of(elements, 0x9F61) or b""
    holder_type = tlv.value_of(elements, 0x9F62) or b""
    label = tlv.value_of(fci, 0x50)
    return BankCard(
        pan=pan,
        expiry=expiry,
        aid=(tlv.value_of(fci, 0x84) or candidate.aid).hex().upper(),
        label=decode_text(label) if label else candidate.label,
        cardholder_name=decode_text(name),
        holder_id=decode_text(holder_id),
        holder_id_type=HOLDER_ID_TYPES.get(holder_type[0]) if len(holder_type) == 1 else None,
    )


def read_card(
    transmit: Transmit,
    *,
    terminal: TerminalData | None = None,
    aids: Sequence[bytes] = UNIONPAY_AIDS,
    today: dt.date | None = None,
) -> BankCard:
    """Read the best accepted application of the card behind ``transmit``; a checked card or a typed error.

    ``transmit`` sends one command APDU and returns the raw response APDU; it raises ``BankCardRemoved``,
    ``CardMute`` or ``ReaderGone`` itself when the transport fails.
    """
    terminal = terminal or TerminalData.fresh()
    send = _exchange(transmit)
    for candidate in candidates(send, aids):
        read = _read_application(send, candidate, terminal)
        if read is None:
            log.info("application %s (from %s) declined", candidate.aid.hex().upper(), candidate.source)
            continue
        card = _to_card(*read, candidate)
        return check_card(card, today or terminal.now.date())
    raise UnsupportedCard("no application on the card that the kiosk accepts")
