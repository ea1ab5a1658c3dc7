"""The data set itself: obviously fake, valid where it must be, and the same for the same seed."""

from __future__ import annotations

from collections import Counter
from datetime import date
from typing import Any

from sqlalchemy import select

from central_server.app import create_app
from central_server.idnumbers import check_char
from central_server.models import Account, Citizen, DepositRecord, Loan, LoanInstalment, Unit
from central_server.seed import build_dataset

from .helpers import FIXED_NOW

COMPOUND_SURNAMES = ("欧阳", "司马", "上官", "诸葛", "东方", "皇甫", "慕容", "令狐")


def is_valid_id_number(id_number: str) -> bool:
    body = id_number[:17]
    return len(id_number) == 18 and body.isascii() and body.isdigit() and check_char(body) == id_number[17]


def test_id_numbers_are_valid_unique_and_in_the_fake_region(cards: list[dict[str, Any]]) -> None:
    id_numbers = [card["id_number"] for card in cards]
    assert len(set(id_numbers)) == len(id_numbers) >= 60
    for card in cards:
        id_number = card["id_number"]
        assert id_number.startswith("120199")
        assert is_valid_id_number(id_number), id_number
        assert id_number[6:14] == card["birth_date"].replace("-", "")
        assert card["gender"] == ("male" if int(id_number[16]) % 2 else "female")


def test_every_seed_has_several_x_check_characters() -> None:
    for seed in (1, 2, 3):
        citizens = build_dataset(seed, date(2026, 11, 27))
        assert sum(citizen.id_number.endswith("X") for citizen in citizens) >= 6, seed


def test_the_check_character_is_computed_as_gb_11643_says() -> None:
    assert is_valid_id_number("11010519491231002X")
    assert is_valid_id_number("440524188001010014")
    assert not is_valid_id_number("110105194912310021")
    assert not is_valid_id_number("11010519491231002x")


def test_names_are_obviously_fake(cards: list[dict[str, Any]]) -> None:
    names = [card["name"] for card in cards]
    assert len(set(names)) == len(names)
    for name in names:
        assert name.endswith(("测试", "样例")) or (len(name) == 2 and name[1] in "测样"), name
    assert sum(name.startswith(COMPOUND_SURNAMES) for name in names) >= 3
    assert sum(len(name) == 2 for name in names) >= 2


def test_card_faces_are_complete_and_valid_today(cards: list[dict[str, Any]]) -> None:
    for card in cards:
        assert card["address"].startswith("天津市示例区")
        assert card["issuing_authority"] == "天津市公安局示例分局"
        assert card["valid_from"] <= "2026-11-27"
        assert card["valid_to"] == "long_term" or card["valid_to"] > "2026-11-27"
        birth = date.fromisoformat(card["birth_date"])
        age_at_issue = (date.fromisoformat(card["valid_from"]) - birth).days // 365.25
        assert (card["valid_to"] == "long_term") == (age_at_issue >= 46), card
    assert Counter(card["valid_to"] == "long_term" for card in cards)[True] >= 3


def _dump(app: Any) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of the synthetic data, password hashes aside (their salts are random)."""
    tables = {
        "units": Unit,
        "citizens": Citizen,
        "accounts": Account,
        "records": DepositRecord,
        "loans": Loan,
        "instalments": LoanInstalment,
    }
    dump = {}
    with app.state.context.db.transaction() as session:
        for name, model in tables.items():
            columns = [c for c in model.__table__.columns if c.name != "password_hash"]
            dump[name] = [
                tuple(row) for row in session.execute(select(*columns).order_by(*model.__table__.primary_key))
            ]
    return dump


def test_the_same_seed_gives_the_same_data_and_another_seed_other_data() -> None:
    first = _dump(create_app(seed=7, clock=lambda: FIXED_NOW))
    second = _dump(create_app(seed=7, clock=lambda: FIXED_NOW))
    other = _dump(create_app(seed=8, clock=lambda: FIXED_NOW))
    assert first == second
    assert first["citizens"] != other["citizens"]
    assert first["records"] != other["records"]


def test_a_database_is_seeded_only_once(tmp_path: Any) -> None:
    url = f"sqlite:///{tmp_path / 'central.db'}"
    first = _dump(create_app(url, seed=7, clock=lambda: FIXED_NOW))
    again = _dump(create_app(url, seed=99, clock=lambda: FIXED_NOW))
    assert first["citizens"] and first == again


def test_synthetic_data_is_added_only_when_asked_for(tmp_path: Any) -> None:
    """A real centre's database gets no citizens with a published password just because it is empty."""
    url = f"sqlite:///{tmp_path / 'central.db'}"
    assert all(rows == [] for rows in _dump(create_app(url, clock=lambda: FIXED_NOW)).values())
    assert _dump(create_app(url, demo=True, clock=lambda: FIXED_NOW))["citizens"]
