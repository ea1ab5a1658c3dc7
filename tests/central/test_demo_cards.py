from __future__ import annotations

import re
from typing import Any

from .helpers import Kiosk

CARD_FIELDS = {
    "name",
    "gender",
    "nation",
    "birth_date",
    "address",
    "id_number",
    "issuing_authority",
    "valid_from",
    "valid_to",
    "status",
    "has_loan",
}


def test_demo_mode_lists_every_card(cards: list[dict[str, Any]]) -> None:
    assert len(cards) >= 60
    assert all(set(card) == CARD_FIELDS for card in cards)
    assert {card["status"] for card in cards} == {"normal", "sealed", "closed"}
    assert any(card["has_loan"] for card in cards)
    assert {card["gender"] for card in cards} == {"male", "female"}
    for card in cards:
        assert re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", card["birth_date"])
        assert re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}|long_term", card["valid_to"])


def test_demo_cards_need_a_terminal_token(kiosk: Kiosk) -> None:
    kiosk.terminal_token = None
    response = kiosk.call("GET", "/v1/demo/cards")
    assert (response.status_code, response.json()["code"]) == (401, "terminal_unauthorised")


def test_without_demo_mode_there_are_no_demo_cards(clocked_kiosk: Kiosk) -> None:
    response = clocked_kiosk.call("GET", "/v1/demo/cards")
    assert (response.status_code, response.json()["code"]) == (404, "not_found")
