"""The 256-byte text block for all four card types, GB 11643, and the card's log-safe repr."""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kiosk.devices.idcard.card import (
    LONG_TERM,
    NATION_BY_CODE,
    CardType,
    Gender,
    IdCard,
    decode_text_block,
    encode_text_block,
    id_check_char,
    id_number_valid,
)
from kiosk.devices.idcard.codec import IdCardDataError, InvalidIdNumberError, SamProtocolError
from kiosk.devices.idcard.reader import IdCardInserted

from .support import ALL_TYPES, FOREIGN_2017, FOREIGN_2023, HMT_PERMIT, RESIDENT, RESIDENT_LONG_TERM_X


def ucs2(text: str) -> bytes:
    return text.encode("utf-16-le")


# -- GB 11643 ------------------------------------------------------------------------------------------


def test_check_character_including_x() -> None:
    assert id_check_char("11010519491231002") == "X"
    assert id_number_valid("11010519491231002X")
    assert id_check_char("12019919900101001") == "2"
    assert id_number_valid("120199199001010012")


@pytest.mark.parametrize(
    "number",
    [
        "120199199001010013",  # wrong check digit
        "11010519491231002x",  # the standard writes X in upper case
        "1201991990010100",  # too short
        "1201991990010100122",  # too long
        "12019919900101001A",  # a letter that is not X
        "12019919900１010012",  # a full-width digit
        "",
    ],
)
def test_invalid_id_numbers(number: str) -> None:
    assert not id_number_valid(number)


def test_check_character_needs_17_digits() -> None:
    with pytest.raises(ValueError):
        id_check_char("1201991990")


@given(st.text("0123456789", min_size=17, max_size=17))
def test_exactly_one_check_character_is_valid(first17: str) -> None:
    valid = [c for c in "0123456789X" if id_number_valid(first17 + c)]
    assert valid == [id_check_char(first17)]


# -- layouts at the reference's offsets ----------------------------------------------------------------


def field(block: bytes, offset: int, size: int) -> str:
    return block[offset : offset + size].decode("utf-16-le").rstrip(" ")


def test_resident_layout() -> None:
    block = encode_text_block(RESIDENT)
    assert len(block) == 256
    assert field(block, 0, 30) == "张测试"
    assert block[0:6] == ucs2("张测试") and block[6:30] == ucs2(" ") * 12  # space padded
    assert field(block, 30, 2) == "1"
    assert field(block, 32, 4) == "01"
    assert field(block, 36, 16) == "19900101"
    assert field(block, 52, 70) == "天津市示例区测试路1号"
    assert field(block, 122, 36) == "120199199001010012"
    assert field(block, 158, 30) == "天津市公安局示例分局"
    assert field(block, 188, 16) == "20150101"
    assert field(block, 204, 16) == "20350101"
    assert block[248:250] == b"\x20\x00"


def test_long_term_validity() -> None:
    block = encode_text_block(RESIDENT_LONG_TERM_X)
    assert field(block, 204, 16) == "长期"
    assert decode_text_block(block).valid_to == LONG_TERM


def test_hmt_permit_layout() -> None:
    block = encode_text_block(HMT_PERMIT)
    assert field(block, 122, 36) == "810000199001010019"
    assert field(block, 220, 18) == "H00000001"
    assert field(block, 238, 4) == "01"
    assert block[248:250] == b"J\x00"


def test_foreign_2017_layout() -> None:
    block = encode_text_block(FOREIGN_2017)
    assert field(block, 0, 120) == "TEST, SAMPLE ALPHA"
    assert field(block, 120, 2) == "2"
    assert field(block, 122, 30) == "USA120199900101"
    assert field(block, 152, 6) == "USA"
    assert field(block, 158, 30) == "测试"
    assert field(block, 220, 16) == "19900101"
    assert field(block, 240, 8) == "1500"
    assert block[248:250] == b"I\x00"


def test_foreign_2023_layout_runs_a_long_english_name_on() -> None:
    block = encode_text_block(FOREIGN_2023)
    name = FOREIGN_2023.name_en
    assert block[52:122] == ucs2(name[:35])
    assert field(block, 220, 22) == name[35:]
    assert field(block, 242, 6) == "CAN"
    assert field(block, 32, 4) == "00"
    assert block[248:250] == b"Y\x00"


@pytest.mark.parametrize("card", ALL_TYPES, ids=lambda card: card.card_type.value)
def test_each_type_decodes_to_what_was_encoded(card: IdCard) -> None:
    assert decode_text_block(encode_text_block(card), card.photo) == card


def test_vendor_sample_name_decodes() -> None:
    # Donsee's published sample: name bytes 8B 73 8E 7F 1C 5A, a male resident (all other fields synthetic).
    block = bytearray(encode_text_block(RESIDENT))
    block[0:30] = bytes.fromhex("8B738E7F1C5A") + ucs2(" ") * 12
    assert decode_text_block(bytes(block)).name == "王美娜"


def test_nation_table() -> None:
    assert len(NATION_BY_CODE) == 58
    assert NATION_BY_CODE["01"] == "汉"
    assert NATION_BY_CODE["46"] == "德昂"  # one public table misspells it 德昴
    assert NATION_BY_CODE["56"] == "基诺"
    assert NATION_BY_CODE["97"] == "其他"
    assert NATION_BY_CODE["98"] == "外国血统中国籍人士"


# -- what is not a card ----------------------------------------------------------------------------------


def patched(card: IdCard, offset: int, text: str) -> bytes:
    block = bytearray(encode_text_block(card))
    block[offset : offset + 2 * len(text)] = ucs2(text)
    return bytes(block)


@pytest.mark.parametrize(
    ("offset", "text", "message"),
    [
        (36, "19900231", "birth_date is not a calendar date"),
        (188, "2015010X", "valid_from is not a YYYYMMDD date"),
        (204, "长久    ", "valid_to is not a YYYYMMDD date"),
        (30, "5", "gender"),
        (32, "57", "nation"),
        (248, "Q", "card type flag"),
    ],
)
def test_bad_fields_raise_protocol_errors_naming_the_field(offset: int, text: str, message: str) -> None:
    with pytest.raises(IdCardDataError, match=message) as raised:
        decode_text_block(patched(RESIDENT, offset, text))
    assert isinstance(raised.value, SamProtocolError)
    assert "张测试" not in str(raised.value)


@pytest.mark.parametrize("card", [RESIDENT, HMT_PERMIT, FOREIGN_2023], ids=lambda card: card.card_type.value)
def test_an_id_number_failing_its_check_raises_a_typed_error(card: IdCard) -> None:
    wrong = "1" if card.id_number[17] != "1" else "2"
    with pytest.raises(InvalidIdNumberError) as raised:
        decode_text_block(patched(card, 122 + 34, wrong))
    assert card.id_number[:17] not in str(raised.value)


def test_a_foreign_2017_pr_number_has_no_check_character() -> None:
    assert decode_text_block(encode_text_block(FOREIGN_2017)).id_number == "USA120199900101"


def test_a_block_that_is_not_utf16_or_not_256_bytes() -> None:
    with pytest.raises(IdCardDataError, match="256"):
        decode_text_block(bytes(255))
    block = bytearray(encode_text_block(RESIDENT))
    block[0:2] = b"\x00\xd8"  # a high surrogate with no low one after it
    with pytest.raises(IdCardDataError, match="name is not valid UCS-2"):
        decode_text_block(bytes(block))


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"pass_number": "H00000001"}, "pass_number is not on a resident card"),
        ({"nation": "火星"}, "nation"),
        ({"name": "测" * 16}, "name is longer than the 15 characters"),
        ({"name": "𠀀"}, "name has characters outside UCS-2"),
        ({"id_number": "120199199001010013"}, "id_number fails its check character"),
    ],
)
def test_encoding_refuses_what_no_card_can_hold(change: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        encode_text_block(dataclasses.replace(RESIDENT, **change))


# -- round trips over generated cards ------------------------------------------------------------------

_ucs2_char = st.characters(min_codepoint=0x20, max_codepoint=0xFFFF, exclude_categories=("Cs", "Cc"))


def _text(max_size: int) -> st.SearchStrategy[str]:
    return st.text(_ucs2_char, max_size=max_size).map(lambda s: s.rstrip(" "))


def _ascii(alphabet: str, max_size: int, min_size: int = 0) -> st.SearchStrategy[str]:
    return st.text(alphabet, min_size=min_size, max_size=max_size)


_dates = st.dates(dt.date(1900, 1, 1), dt.date(2099, 12, 31))
_ids = st.text("0123456789", min_size=17, max_size=17).map(lambda d: d + id_check_char(d))
_upper = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def _cards(card_type: CardType, **fields: st.SearchStrategy[object]) -> st.SearchStrategy[IdCard]:
    return st.builds(
        IdCard,
        card_type=st.just(card_type),
        name=_text(15),
        gender=st.sampled_from(Gender),
        birth_date=_dates,
        valid_from=_dates,
        valid_to=st.one_of(_dates, st.just(LONG_TERM)),
        photo=st.binary(max_size=8),
        **fields,
    )


_any_card = st.one_of(
    _cards(
        CardType.RESIDENT,
        id_number=_ids,
        nation=st.sampled_from(sorted(NATION_BY_CODE.values())),
        address=_text(35),
        issuing_authority=_text(15),
    ),
    _cards(
        CardType.HMT_RESIDENCE_PERMIT,
        id_number=_ids,
        address=_text(35),
        issuing_authority=_text(15),
        pass_number=_ascii(_upper + "0123456789", 9),
        issue_count=st.integers(0, 99),
    ),
    _cards(
        CardType.FOREIGN_PERMANENT_2017,
        id_number=_ascii(_upper + "0123456789", 15, 15),
        name_en=_text(60),
        nationality=_ascii(_upper, 3, 3),
        issuing_authority=_ascii("0123456789", 4),
    ),
    _cards(
        CardType.FOREIGN_PERMANENT_2023,
        id_number=_ids,
        name_en=_text(46),
        nationality=_ascii(_upper, 3, 3),
        issue_count=st.integers(0, 99),
    ),
)


@given(_any_card)
def test_encode_then_decode_round_trips(card: IdCard) -> None:
    assert decode_text_block(encode_text_block(card), card.photo) == card


@given(st.binary(min_size=256, max_size=256))
def test_decoding_any_block_raises_only_card_data_errors(block: bytes) -> None:
    with contextlib.suppress(IdCardDataError):
        decode_text_block(block)


# -- safe to log ---------------------------------------------------------------------------------------


@given(_any_card)
def test_repr_and_str_never_show_personal_fields(card: IdCard) -> None:
    # Exactly this text, whatever the card holds: the only values in it are the type and two sizes.
    expected = (
        f"IdCard(card_type={card.card_type.value}, photo={len(card.photo)} B, "
        f"fingerprint={len(card.fingerprint)} B, personal fields withheld)"
    )
    assert repr(card) == str(card) == f"{card}" == expected
    assert repr([card]) == f"[{expected}]"
    assert repr(IdCardInserted(card)) == f"IdCardInserted(card={expected})"


def test_repr_of_a_synthetic_card() -> None:
    assert (
        repr(RESIDENT)
        == "IdCard(card_type=resident, photo=1024 B, fingerprint=0 B, personal fields withheld)"
    )
    assert "张测试" not in repr(RESIDENT) and "120199" not in repr(RESIDENT)


def test_expiry() -> None:
    assert not RESIDENT.expired(dt.date(2035, 1, 1))  # valid through its last day
    assert RESIDENT.expired(dt.date(2035, 1, 2))
    assert not RESIDENT_LONG_TERM_X.expired(dt.date(2999, 1, 1))
