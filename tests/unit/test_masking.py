import pytest
from hypothesis import given
from hypothesis import strategies as st

from kiosk.masking import (
    format_fen,
    format_rate_bp,
    mask_bank_card,
    mask_id_number,
    mask_name,
    mask_phone,
)


def test_id_number_keeps_first_three_and_last_four() -> None:
    assert mask_id_number("12019919900101123X") == "120***********123X"


@pytest.mark.parametrize(
    ("name", "masked"),
    [
        ("张测试", "张**"),
        ("王测", "王*"),
        ("欧阳测试", "欧阳**"),
        ("司马样例", "司马**"),
        ("欧阳", "欧*"),
        ("SMITH JOHN", "S********"),
    ],
)
def test_name_keeps_the_surname(name: str, masked: str) -> None:
    assert mask_name(name) == masked


def test_phone_and_bank_card() -> None:
    assert mask_phone("13812345678") == "138****5678"
    assert mask_bank_card("6217000000000012348") == "621700*********2348"


@pytest.mark.parametrize(
    ("fen", "text"),
    [
        (0, "¥0.00"),
        (5, "¥0.05"),
        (123456, "¥1,234.56"),
        (-1200, "-¥12.00"),
        (10_000_000_00, "¥10,000,000.00"),
    ],
)
def test_money(fen: int, text: str) -> None:
    assert format_fen(fen) == text


def test_money_refuses_floats() -> None:
    with pytest.raises(TypeError):
        format_fen(12.5)  # type: ignore[arg-type]


def test_rates() -> None:
    assert format_rate_bp(1200) == "12%"
    assert format_rate_bp(1250) == "12.5%"
    assert format_rate_bp(505) == "5.05%"


@given(st.text(alphabet="0123456789X", min_size=8, max_size=18))
def test_masked_id_reveals_only_ends(value: str) -> None:
    masked = mask_id_number(value)
    assert len(masked) == len(value)
    assert masked[:3] == value[:3] and masked[-4:] == value[-4:]
    assert set(masked[3:-4]) <= {"*"}


@given(st.integers(min_value=-(10**12), max_value=10**12))
def test_money_round_trips(fen: int) -> None:
    text = format_fen(fen)
    digits = text.replace("-", "").replace("¥", "").replace(",", "")
    yuan, cents = digits.split(".")
    assert (-1 if fen < 0 else 1) * (int(yuan) * 100 + int(cents)) == fen
