"""BER-TLV and DOLs: the rules of EMV Book 3 Annex B, and fuzzing."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kiosk.devices.bankcard import tlv
from kiosk.devices.bankcard.tlv import Tlv, TlvError


def test_one_byte_and_multi_byte_tags() -> None:
    items = tlv.parse(bytes.fromhex("5A 02 1234 9F38 03 9F6604 DF8101 01 AA"))
    assert [item.tag for item in items] == [0x5A, 0x9F38, 0xDF8101]
    assert items[1].value == bytes.fromhex("9F6604")
    assert items[2].value == b"\xaa"


def test_long_form_lengths() -> None:
    for value_len, header in ((0x7F, "50 7F"), (0x80, "50 81 80"), (0x100, "50 82 0100")):
        data = bytes.fromhex(header) + bytes(value_len)
        (item,) = tlv.parse(data)
        assert len(item.value) == value_len
        assert tlv.encode(0x50, item.value) == data


def test_constructed_tags_are_parsed_into_children() -> None:
    items = tlv.parse(bytes.fromhex("6F 0B 84 02 A0B0 A5 05 50 03 414243"))
    fci = items[0]
    assert fci.constructed and [child.tag for child in fci.children] == [0x84, 0xA5]
    assert tlv.value_of(items, 0x50) == b"ABC"  # found at any depth
    assert not tlv.find(items, 0x50).constructed  # type: ignore[union-attr]


def test_padding_between_and_around_tlvs_is_skipped() -> None:
    items = tlv.parse(bytes.fromhex("00 00 5A 01 12 FF FF 00 5F20 01 41 00 FF"))
    assert [(item.tag, item.value) for item in items] == [(0x5A, b"\x12"), (0x5F20, b"A")]


def test_repeated_tags_are_kept_in_order() -> None:
    directory = bytes.fromhex("BF0C 0C 61 04 4F 02 A001 61 04 4F 02 A002")
    entries = tlv.find_all(tlv.parse(directory), 0x61)
    assert [tlv.value_of(entry.children, 0x4F) for entry in entries] == [b"\xa0\x01", b"\xa0\x02"]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ("5A 05 1234", "tag 5A at offset 0 says 5 bytes, 2 left"),
        ("9F", "tag at offset 0 runs past the end"),
        ("5A", "length at offset 1 is missing"),
        ("5A 84 00000001", "length form 84 at offset 1 is not supported"),
        ("5A 80", "length form 80 at offset 1 is not supported"),
        ("5A 82 01", "length at offset 1 runs past the end"),
        ("9F 81 81 81 81 01 00", "tag at offset 0 is longer than 4 bytes"),
    ],
)
def test_malformed_input_raises_tlv_error(data: str, message: str) -> None:
    with pytest.raises(TlvError, match=message):
        tlv.parse(bytes.fromhex(data))


def test_errors_and_reprs_never_show_values() -> None:
    pan = bytes.fromhex("6217000000000012348F")
    assert "6217" not in repr(tlv.parse(tlv.encode(0x5A, pan)))
    with pytest.raises(TlvError) as caught:
        tlv.parse(bytes.fromhex("70 20 5A 0A") + pan)
    assert "6217" not in str(caught.value)


def test_dol_parse_and_fill() -> None:
    pdol = tlv.parse_dol(bytes.fromhex("9F66 04 9F02 06 9A 03 9F37 04 DF01 02"))
    assert pdol == [(0x9F66, 4), (0x9F02, 6), (0x9A, 3), (0x9F37, 4), (0xDF01, 2)]
    values = {0x9F66: b"\x36\x00\x00\x80", 0x9F02: b"\x01", 0x9A: b"\x25\x01\x01\x99", 0x9F37: b"\xaa"}
    filled = tlv.fill_dol(pdol, values, numeric=frozenset({0x9F02, 0x9A}))
    assert filled.hex().upper() == (
        "36000080"  # exact length
        "000000000001"  # numeric, too short: padded on the left
        "010199"  # numeric, too long: cut on the left
        "AA000000"  # binary, too short: padded on the right
        "0000"  # unknown to the terminal: zeros
    )
    assert tlv.encode_dol(pdol) == bytes.fromhex("9F66049F0206 9A03 9F3704 DF0102")


def test_a_zero_length_dol_entry_takes_no_bytes() -> None:
    assert tlv.fill_dol([(0x9F02, 0)], {0x9F02: b"\x12\x34"}, numeric=frozenset({0x9F02})) == b""


# -- properties ----------------------------------------------------------------------------------------

# One-byte primitive tags: not padding (00, FF), not constructed, not announcing more tag bytes.
_ONE_BYTE_TAGS = [b for b in range(1, 0xFF) if b & 0x1F != 0x1F and not b & 0x20]


@st.composite
def tags(draw: st.DrawFn) -> int:
    if draw(st.booleans()):
        return draw(st.sampled_from(_ONE_BYTE_TAGS))
    first = draw(st.sampled_from([0x5F, 0x9F, 0xDF]))
    middle = draw(st.lists(st.integers(0x80, 0xFF), max_size=2))
    last = draw(st.integers(0x01, 0x7F))
    return int.from_bytes(bytes([first, *middle, last]), "big")


def trees(depth: int = 2) -> st.SearchStrategy[Tlv]:
    primitive = st.builds(Tlv, tags(), st.binary(max_size=300))
    if depth == 0:
        return primitive
    constructed = st.builds(
        lambda tag, children: Tlv(tag, tlv.encode_all(children), tuple(children)),
        st.sampled_from([0x70, 0x77, 0x6F, 0xA5, 0x61, 0xBF0C]),
        st.lists(trees(depth - 1), max_size=4),
    )
    return st.one_of(primitive, constructed)


@given(st.lists(trees(), max_size=6))
def test_encode_then_parse_gives_the_same_tlvs(items: list[Tlv]) -> None:
    assert tlv.parse(tlv.encode_all(items)) == items


@given(st.lists(trees(), max_size=4), st.lists(st.sampled_from([b"\x00", b"\xff"]), max_size=4))
def test_padding_never_changes_the_result(items: list[Tlv], pads: list[bytes]) -> None:
    encoded = b"".join(pads) + tlv.encode_all(items) + b"".join(pads)
    assert tlv.parse(encoded) == items


@given(st.binary(max_size=512))
def test_any_bytes_parse_or_raise_tlv_error(data: bytes) -> None:
    try:
        items = tlv.parse(data)
    except TlvError:
        return
    assert all(len(item.value) <= len(data) for item in tlv.walk(items))


@given(st.binary(max_size=64))
def test_any_bytes_as_a_dol_parse_or_raise_tlv_error(data: bytes) -> None:
    try:
        entries = tlv.parse_dol(data)
    except TlvError:
        return
    assert len(tlv.fill_dol(entries, {})) == sum(length for _, length in entries)
