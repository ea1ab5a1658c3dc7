"""Synthetic, obviously fake citizens and transactions: ID numbers start 120199, PANs 621700, names 测试."""

from __future__ import annotations

import random
from typing import Any

from central_server.idnumbers import check_char

SURNAMES = ("张", "李", "王", "欧阳")
GIVEN = ("测试", "样例", "假名")


def id_number(rng: random.Random) -> str:
    body = "120199" + f"{rng.randrange(19500101, 20051231):08d}" + f"{rng.randrange(1000):03d}"
    return body + check_char(body)


def pan(rng: random.Random) -> str:
    body = "621700" + "".join(str(rng.randrange(10)) for _ in range(12))
    return body + _luhn_digit(body)


def _luhn_digit(body: str) -> str:
    total = 0
    for position, char in enumerate(reversed(body)):
        digit = int(char)
        if position % 2 == 0:
            digit = digit * 2 - 9 if digit > 4 else digit * 2
        total += digit
    return str(-total % 10)


def name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + rng.choice(GIVEN)


def withdrawal(rng: random.Random) -> dict[str, Any]:
    return {
        "id_number": id_number(rng),
        "name": name(rng),
        "withdrawal_type": rng.choice(["01", "02", "03", "04", "05", "06"]),
        "amount_fen": rng.randrange(1, 5_000_000),
        "bank_pan": pan(rng),
    }


def rating(rng: random.Random) -> dict[str, Any]:
    return {
        "score": rng.randrange(1, 6),
        "detail_codes": ["R01"],
        "text": "测试评价",
        "channel": 5,
        "rating_round": 1,
        "rater_type": "individual",
        "service_code": "Q01",
    }


def transaction(rng: random.Random) -> tuple[str, dict[str, Any]]:
    return ("withdrawal_application", withdrawal(rng)) if rng.random() < 0.5 else ("rating", rating(rng))
