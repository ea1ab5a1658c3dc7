"""The card as values, and its 256-byte text block (reference/devices.md §A, "256-byte text block").

The block is UCS-2LE, each field space-padded. Four card types share it; the UCS-2 character at offset
248 tells them apart. Everything here is pure.

Nothing personal may reach a log: ``IdCard``'s repr shows the card type and blob sizes only, and error
messages name the field, never its value.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
from typing import Literal

from kiosk.devices.idcard.codec import IdCardDataError, InvalidIdNumberError

TEXT_BLOCK_LEN = 256
LONG_TERM: Literal["long_term"] = "long_term"
_LONG_TERM_TEXT = "长期"


class CardType(enum.StrEnum):
    RESIDENT = "resident"
    FOREIGN_PERMANENT_2017 = "foreign_permanent_2017"
    HMT_RESIDENCE_PERMIT = "hmt_residence_permit"
    FOREIGN_PERMANENT_2023 = "foreign_permanent_2023"


class Gender(enum.StrEnum):
    UNKNOWN = "unknown"
    MALE = "male"
    FEMALE = "female"
    UNSPECIFIED = "unspecified"


_GENDER_CODES = {"0": Gender.UNKNOWN, "1": Gender.MALE, "2": Gender.FEMALE, "9": Gender.UNSPECIFIED}
_GENDER_TO_CODE = {gender: code for code, gender in _GENDER_CODES.items()}

# GB/T 3304 order; 97 and 98 are the two codes outside the 56 nations.
# A string split rather than a list literal: the formatter would put each of the 56 on a line of its own.
_NATIONS = (  # noqa: SIM905
    "汉 蒙古 回 藏 维吾尔 苗 彝 壮 布依 朝鲜 满 侗 瑶 白 土家 哈尼 哈萨克 傣 黎 傈僳 "
    "佤 畲 高山 拉祜 水 东乡 纳西 景颇 柯尔克孜 土 达斡尔 仫佬 羌 布朗 撒拉 毛南 仡佬 锡伯 "
    "阿昌 普米 塔吉克 怒 乌孜别克 俄罗斯 鄂温克 德昂 保安 裕固 京 塔塔尔 独龙 鄂伦春 赫哲 门巴 "
    "珞巴 基诺"
).split()
NATION_BY_CODE: dict[str, str] = {f"{i:02d}": name for i, name in enumerate(_NATIONS, start=1)}
NATION_BY_CODE |= {"97": "其他", "98": "外国血统中国籍人士"}
_NATION_TO_CODE = {name: code for code, name in NATION_BY_CODE.items()}

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK_CHARS = "10X98765432"


def id_check_char(first17: str) -> str:
    """GB 11643 (ISO 7064 MOD 11-2) check character for the first 17 digits of an ID number."""
    if len(first17) != 17 or not first17.isascii() or not first17.isdigit():
        raise ValueError("an ID number's check character is computed over exactly 17 ASCII digits")
    return _ID_CHECK_CHARS[
        sum(int(digit) * weight for digit, weight in zip(first17, _ID_WEIGHTS, strict=True)) % 11
    ]


def id_number_valid(number: str) -> bool:
    """18 characters, 17 digits and the right check character (an upper-case X stands for 10)."""
    if len(number) != 18 or not number[:17].isascii() or not number[:17].isdigit():
        return False
    return number[17] == id_check_char(number[:17])


@dataclasses.dataclass(frozen=True, repr=False)
class IdCard:
    """What the SAM reads from a card. Fields a card type does not carry stay empty ("" / None).

    ``id_number`` holds the 18-character ID number, or the 15-character permanent-residence number of a
    2017 foreign PR card. ``issuing_authority`` is the authority's name, or its code on a 2017 PR card.
    ``issue_count`` is the issue count of an HMT permit and the renewal count of a 2023 PR card.
    """

    card_type: CardType
    name: str
    gender: Gender
    birth_date: dt.date
    valid_from: dt.date
    valid_to: dt.date | Literal["long_term"]
    id_number: str
    name_en: str = ""
    nation: str = ""
    nationality: str = ""
    address: str = ""
    issuing_authority: str = ""
    pass_number: str = ""
    issue_count: int | None = None
    photo: bytes = b""
    fingerprint: bytes = b""

    def expired(self, today: dt.date) -> bool:
        """A card is valid through its last day."""
        return isinstance(self.valid_to, dt.date) and today > self.valid_to

    def __repr__(self) -> str:
        return (
            f"IdCard(card_type={self.card_type.value}, photo={len(self.photo)} B, "
            f"fingerprint={len(self.fingerprint)} B, personal fields withheld)"
        )

    __str__ = __repr__


@dataclasses.dataclass(frozen=True)
class _Field:
    offset: int
    size: int  # in bytes; UCS-2 characters are two


# Layouts by type. Fields a layout lacks are reserved space in that card type.
_FLAG = _Field(248, 2)
_COMMON = {  # resident ID and HMT permit share 0..219
    "name": _Field(0, 30),
    "gender": _Field(30, 2),
    "birth_date": _Field(36, 16),
    "address": _Field(52, 70),
    "id_number": _Field(122, 36),
    "issuing_authority": _Field(158, 30),
    "valid_from": _Field(188, 16),
    "valid_to": _Field(204, 16),
}
_LAYOUTS: dict[CardType, dict[str, _Field]] = {
    CardType.RESIDENT: _COMMON | {"nation": _Field(32, 4)},
    CardType.HMT_RESIDENCE_PERMIT: _COMMON | {"pass_number": _Field(220, 18), "issue_count": _Field(238, 4)},
    CardType.FOREIGN_PERMANENT_2017: {
        "name_en": _Field(0, 120),
        "gender": _Field(120, 2),
        "id_number": _Field(122, 30),
        "nationality": _Field(152, 6),
        "name": _Field(158, 30),
        "valid_from": _Field(188, 16),
        "valid_to": _Field(204, 16),
        "birth_date": _Field(220, 16),
        "issuing_authority": _Field(240, 8),
    },
    CardType.FOREIGN_PERMANENT_2023: {
        "name": _Field(0, 30),
        "gender": _Field(30, 2),
        "issue_count": _Field(32, 4),
        "birth_date": _Field(36, 16),
        "name_en": _Field(52, 70),
        "id_number": _Field(122, 36),
        "valid_from": _Field(188, 16),
        "valid_to": _Field(204, 16),
        "nationality": _Field(242, 6),
    },
}
# The 2023 card continues a long English name in a second field.
_NAME_EN_MORE = _Field(220, 22)
_FLAGS = {
    CardType.FOREIGN_PERMANENT_2017: "I",
    CardType.HMT_RESIDENCE_PERMIT: "J",
    CardType.FOREIGN_PERMANENT_2023: "Y",
}
_TYPE_BY_FLAG = {flag: card_type for card_type, flag in _FLAGS.items()} | {"": CardType.RESIDENT}
_CHECKED_ID_TYPES = frozenset(
    {CardType.RESIDENT, CardType.HMT_RESIDENCE_PERMIT, CardType.FOREIGN_PERMANENT_2023}
)
_OPTIONAL_FIELDS = (
    "name_en",
    "nation",
    "nationality",
    "address",
    "issuing_authority",
    "pass_number",
    "issue_count",
)


def carried_fields(card_type: CardType) -> frozenset[str]:
    """The text fields of ``IdCard`` that a card of this type carries; the others stay empty on it."""
    return frozenset(_LAYOUTS[card_type])


# -- decoding ------------------------------------------------------------------------------------------


def decode_text_block(block: bytes, photo: bytes = b"", fingerprint: bytes = b"") -> IdCard:
    """The inverse of ``encode_text_block``; raises ``IdCardDataError`` for anything that is not a card."""
    if len(block) != TEXT_BLOCK_LEN:
        raise IdCardDataError(f"text block of {len(block)} bytes, expected {TEXT_BLOCK_LEN}")
    flag = _text(block, _FLAG, "type flag")
    card_type = _TYPE_BY_FLAG.get(flag)  # a blank flag (spaces or NULs) strips to ""
    if card_type is None:
        raise IdCardDataError("unknown card type flag")
    layout = _LAYOUTS[card_type]
    raw = {name: _text(block, field, name) for name, field in layout.items()}
    name_en = raw.get("name_en", "")
    if card_type is CardType.FOREIGN_PERMANENT_2023:
        head = _text(block, layout["name_en"], "name_en", strip=False)
        name_en = (head + _text(block, _NAME_EN_MORE, "name_en")).rstrip(" \0")
    id_number = raw["id_number"]
    if card_type in _CHECKED_ID_TYPES and not id_number_valid(id_number):
        raise InvalidIdNumberError(f"the ID number on this {card_type.value} card fails its check character")
    gender = _GENDER_CODES.get(raw["gender"])
    if gender is None:
        raise IdCardDataError("gender code is not one of 0, 1, 2, 9")
    nation = ""
    if "nation" in raw:
        nation = NATION_BY_CODE.get(raw["nation"], "")
        if not nation:
            raise IdCardDataError("nation code is not in the nation table")
    return IdCard(
        card_type=card_type,
        name=raw["name"],
        name_en=name_en,
        gender=gender,
        nation=nation,
        nationality=raw.get("nationality", ""),
        birth_date=_date(raw["birth_date"], "birth_date"),
        valid_from=_date(raw["valid_from"], "valid_from"),
        valid_to=LONG_TERM if raw["valid_to"] == _LONG_TERM_TEXT else _date(raw["valid_to"], "valid_to"),
        address=raw.get("address", ""),
        id_number=id_number,
        issuing_authority=raw.get("issuing_authority", ""),
        pass_number=raw.get("pass_number", ""),
        issue_count=_count(raw["issue_count"]) if "issue_count" in raw else None,
        photo=photo,
        fingerprint=fingerprint,
    )


def _text(block: bytes, field: _Field, name: str, *, strip: bool = True) -> str:
    try:
        text = block[field.offset : field.offset + field.size].decode("utf-16-le")
    except UnicodeDecodeError:
        raise IdCardDataError(f"{name} is not valid UCS-2") from None
    return text.rstrip(" \0") if strip else text


def _date(text: str, name: str) -> dt.date:
    if len(text) != 8 or not text.isascii() or not text.isdigit():
        raise IdCardDataError(f"{name} is not a YYYYMMDD date")
    try:
        return dt.date(int(text[:4]), int(text[4:6]), int(text[6:]))
    except ValueError:
        raise IdCardDataError(f"{name} is not a calendar date") from None


def _count(text: str) -> int | None:
    if not text:
        return None
    if not text.isascii() or not text.isdigit():
        raise IdCardDataError("issue count is not a number")
    return int(text)


# -- encoding (the emulator's side) --------------------------------------------------------------------


def encode_text_block(card: IdCard) -> bytes:
    """The 256-byte block the SAM would return for ``card``; raises ValueError for what no card can hold."""
    layout = _LAYOUTS[card.card_type]
    for name in _OPTIONAL_FIELDS:
        if name not in layout and getattr(card, name) not in ("", None):
            raise ValueError(f"{name} is not on a {card.card_type.value} card")
    if card.card_type in _CHECKED_ID_TYPES and not id_number_valid(card.id_number):
        raise ValueError(f"id_number fails its check character on a {card.card_type.value} card")
    values = {
        "name": card.name,
        "name_en": card.name_en,
        "gender": _GENDER_TO_CODE[card.gender],
        "birth_date": card.birth_date.strftime("%Y%m%d"),
        "valid_from": card.valid_from.strftime("%Y%m%d"),
        "valid_to": _LONG_TERM_TEXT if card.valid_to == LONG_TERM else card.valid_to.strftime("%Y%m%d"),
        "address": card.address,
        "id_number": card.id_number,
        "issuing_authority": card.issuing_authority,
        "pass_number": card.pass_number,
        "nationality": card.nationality,
        "issue_count": "" if card.issue_count is None else f"{card.issue_count:02d}",
    }
    if "nation" in layout:
        if card.nation not in _NATION_TO_CODE:
            raise ValueError("nation is not in the nation table")
        values["nation"] = _NATION_TO_CODE[card.nation]
    if card.issue_count is not None and not 0 <= card.issue_count <= 99:
        raise ValueError("issue_count must be 0..99")
    block = bytearray(" ".encode("utf-16-le") * (TEXT_BLOCK_LEN // 2))
    if card.card_type is CardType.FOREIGN_PERMANENT_2023:
        # A name longer than the first field runs on into the second.
        head = layout["name_en"].size // 2
        values["name_en"], more = card.name_en[:head], card.name_en[head:]
        _put(block, _NAME_EN_MORE, more, "name_en")
    for name, field in layout.items():
        _put(block, field, values[name], name)
    _put(block, _FLAG, _FLAGS.get(card.card_type, " "), "type flag")
    return bytes(block)


def _put(block: bytearray, field: _Field, text: str, name: str) -> None:
    try:
        encoded = text.encode("utf-16-le")
    except UnicodeEncodeError:  # its message would quote the character
        encoded = b""
    if len(encoded) != 2 * len(text):
        raise ValueError(f"{name} has characters outside UCS-2 (the card's character set)")
    if len(encoded) > field.size:
        raise ValueError(f"{name} is longer than the {field.size // 2} characters its field holds")
    block[field.offset : field.offset + len(encoded)] = encoded
