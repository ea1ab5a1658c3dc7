"""Synthetic, obviously fake citizens and transactions: ID numbers start 120199, PANs 621700, names 测试."""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any

from central_server.idnumbers import check_char
from central_server.withdrawal_rules import PROPERTY_FEE_CAP_FEN

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
    """A property-fee withdrawal (06) within its cap: one the centre's rules grant a citizen with a normal
    account and the cap in it, once a calendar year (and not while another is waiting to be paid)."""
    return {
        "id_number": id_number(rng),
        "name": name(rng),
        "withdrawal_type": "06",
        "amount_fen": rng.randrange(1, PROPERTY_FEE_CAP_FEN + 1),
        "bank_pan": pan(rng),
    }


def pre_registration(rng: random.Random) -> dict[str, Any]:
    """A pre-registration for one of the seeded pre-registrable businesses; a citizen may file any number.
    As long as a withdrawal in JSON (137 bytes), so outboxes fill and free pages as they did with those."""
    return {
        "id_number": id_number(rng),
        "name": name(rng),
        "business_code": rng.choice(["loan", "withdrawal"]),
        "note": f"测试备注{rng.randrange(10**32):032d}",
    }


def rating(rng: random.Random) -> dict[str, Any]:
    """A first-round rating of a query, as the kiosk files it: a case of its own (the centre takes one
    rating per case and round), reasons only with a bad score."""
    score = rng.randrange(1, 6)
    visit_id = f"v{rng.randrange(16**16):016x}"
    return {
        "score": score,
        "detail_codes": ["slow"] if score <= 2 else [],
        "text": "",
        "channel": 5,
        "rating_round": 1,
        "rater_type": "individual",
        "service_code": "deposits",
        "visit_id": visit_id,
        "case_ref": f"deposits-{visit_id}",
    }


@dataclass(frozen=True)
class Visit:
    """A citizen signed in at the kiosk: the centre's visit ticket, and who the visit's transactions name."""

    id_number: str
    name: str
    ticket: str

    def owns(self, payload: dict[str, Any]) -> dict[str, Any]:
        return {**payload, "id_number": self.id_number, "name": self.name}


def transaction(rng: random.Random, visit: Visit) -> tuple[str, dict[str, Any]]:
    """A pre-registration of the visit's citizen or a rating; enqueue it with the visit's ticket. Not a
    withdrawal: the centre grants one citizen one property-fee withdrawal a year, and these streams run to
    thousands of one visit's transactions that must all be accepted."""
    if rng.random() < 0.5:
        return "pre_registration", visit.owns(pre_registration(rng))
    return "rating", rating(rng)
