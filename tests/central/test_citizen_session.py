"""Sessions on the clocked server. Each test uses its own citizens, because lockouts outlive a test."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from central_server.idnumbers import check_char

from .helpers import FakeClock, Kiosk, password_of

WRONG = "000000"


def _citizen(cards: list[dict[str, Any]], index: int) -> tuple[str, str]:
    """A citizen with the demo password, distinct for each index."""
    usable = [card for card in cards if password_of(card) == "123456"]
    return usable[index]["id_number"], usable[index]["name"]


def test_three_wrong_passwords_lock_until_centre_midnight(
    clocked_kiosk: Kiosk, clock: FakeClock, cards: list[dict[str, Any]]
) -> None:
    id_number, name = _citizen(cards, 0)
    first = clocked_kiosk.login(id_number, name, WRONG)
    assert (first.status_code, first.json()["code"]) == (401, "sign_in_failed")
    assert first.json()["data"] == {"attempts_left": 2}
    assert clocked_kiosk.login(id_number, name, WRONG).json()["data"] == {"attempts_left": 1}
    third = clocked_kiosk.login(id_number, name, WRONG)
    assert (third.status_code, third.json()["code"]) == (423, "password_locked")
    assert third.json()["data"] == {"locked_until": "2026-11-28T00:00:00+08:00"}

    still = clocked_kiosk.login(id_number, name)
    assert (still.status_code, still.json()["code"]) == (423, "password_locked")
    assert clocked_kiosk.session_token is None

    clock.now = datetime(2026, 11, 27, 15, 59, 59, tzinfo=UTC)  # 23:59:59 in the centre
    clocked_kiosk.authenticate()
    assert clocked_kiosk.login(id_number, name).status_code == 423
    clock.advance(seconds=1)
    assert clocked_kiosk.login(id_number, name).status_code == 200


def test_a_lock_follows_centre_time_not_utc(
    clocked_kiosk: Kiosk, clock: FakeClock, cards: list[dict[str, Any]]
) -> None:
    id_number, name = _citizen(cards, 1)
    clock.now = datetime(2026, 11, 27, 16, 30, tzinfo=UTC)  # already 28 Nov, 00:30 in the centre
    clocked_kiosk.authenticate()
    for _ in range(3):
        clocked_kiosk.login(id_number, name, WRONG)
    locked = clocked_kiosk.login(id_number, name)
    assert locked.json()["data"] == {"locked_until": "2026-11-29T00:00:00+08:00"}
    clock.advance(hours=20)  # 20:30 in the centre, 12:30 UTC on the 28th
    clocked_kiosk.authenticate()
    assert clocked_kiosk.login(id_number, name).status_code == 423


def test_a_right_password_resets_the_count(clocked_kiosk: Kiosk, cards: list[dict[str, Any]]) -> None:
    id_number, name = _citizen(cards, 2)
    clocked_kiosk.login(id_number, name, WRONG)
    clocked_kiosk.login(id_number, name, WRONG)
    assert clocked_kiosk.login(id_number, name).status_code == 200
    assert clocked_kiosk.login(id_number, name, WRONG).json()["data"] == {"attempts_left": 2}


def test_yesterdays_wrong_passwords_do_not_count(
    clocked_kiosk: Kiosk, clock: FakeClock, cards: list[dict[str, Any]]
) -> None:
    id_number, name = _citizen(cards, 3)
    clocked_kiosk.login(id_number, name, WRONG)
    clocked_kiosk.login(id_number, name, WRONG)
    clock.advance(days=1)
    clocked_kiosk.authenticate()
    assert clocked_kiosk.login(id_number, name, WRONG).json()["data"] == {"attempts_left": 2}


def _answers(kiosk: Kiosk, id_number: str, name: str, attempts: int = 4) -> list[tuple[int, Any]]:
    answers = []
    for _ in range(attempts):
        response = kiosk.login(id_number, name, WRONG)
        answers.append((response.status_code, {**response.json(), "centre_seq": None}))
    return answers


def test_unknown_id_numbers_and_other_names_are_answered_like_a_wrong_password(
    clocked_kiosk: Kiosk, cards: list[dict[str, Any]]
) -> None:
    """Nothing in the answers tells which ID number/name pairs have an account."""
    id_number, name = _citizen(cards, 4)
    other_id_number = _citizen(cards, 5)[0]
    body = "12019919800101999"
    assert body + check_char(body) not in {card["id_number"] for card in cards}
    known = _answers(clocked_kiosk, id_number, name)
    other_name = _answers(clocked_kiosk, other_id_number, name)
    unknown = _answers(clocked_kiosk, body + check_char(body), "张测试")
    assert known == other_name == unknown
    assert [code for code, _ in known] == [401, 401, 423, 423]
    assert [answer["code"] for _, answer in known] == ["sign_in_failed"] * 2 + ["password_locked"] * 2
    assert known[0][1]["data"] == {"attempts_left": 2}


def test_a_caller_without_the_exact_name_cannot_lock_the_citizen(
    clocked_kiosk: Kiosk, cards: list[dict[str, Any]]
) -> None:
    id_number, name = _citizen(cards, 9)
    for _ in range(4):
        clocked_kiosk.login(id_number, _citizen(cards, 10)[1], WRONG)
    assert clocked_kiosk.login(id_number, name).status_code == 200


def test_the_one_citizen_with_another_password(clocked_kiosk: Kiosk, cards: list[dict[str, Any]]) -> None:
    (card,) = [card for card in cards if card["name"] == "司马样例"]
    assert clocked_kiosk.login(card["id_number"], card["name"], "123456").json()["code"] == "sign_in_failed"
    assert clocked_kiosk.login(card["id_number"], card["name"], "654321").status_code == 200


def test_a_session_lasts_300_seconds_from_its_last_use(
    clocked_kiosk: Kiosk, clock: FakeClock, cards: list[dict[str, Any]]
) -> None:
    response = clocked_kiosk.login(*_citizen(cards, 6))
    assert response.json()["data"]["expires_in"] == 300
    clock.advance(seconds=299)
    assert clocked_kiosk.call("GET", "/v1/citizen/account").status_code == 200
    clock.advance(seconds=299)
    assert clocked_kiosk.call("GET", "/v1/citizen/account").status_code == 200
    clock.advance(seconds=300)
    expired = clocked_kiosk.call("GET", "/v1/citizen/account")
    assert (expired.status_code, expired.json()["code"]) == (401, "session_expired")


def test_ending_a_session_ends_it(clocked_kiosk: Kiosk, cards: list[dict[str, Any]]) -> None:
    clocked_kiosk.login(*_citizen(cards, 7))
    ended = clocked_kiosk.call("DELETE", "/v1/citizen/session")
    assert ended.status_code == 200
    assert ended.json()["data"] is None
    after = clocked_kiosk.call("GET", "/v1/citizen/account")
    assert (after.status_code, after.json()["code"]) == (401, "session_expired")


def test_a_session_belongs_to_its_kiosk(clocked_kiosk: Kiosk, cards: list[dict[str, Any]]) -> None:
    clocked_kiosk.login(*_citizen(cards, 8))
    other = Kiosk(clocked_kiosk.base_url, "KIOSK-DEMO-02")
    other.authenticate()
    other.session_token = clocked_kiosk.session_token
    assert other.call("GET", "/v1/citizen/account").json()["code"] == "session_expired"
    missing = Kiosk(clocked_kiosk.base_url)
    missing.authenticate()
    assert missing.call("GET", "/v1/citizen/account").json()["code"] == "session_expired"
