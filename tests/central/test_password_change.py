"""Password change: the weakness rule as a pure function, and the endpoint on a server of its own."""

from __future__ import annotations

import datetime as dt
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from central_server.password_rules import WEAKNESS_TEXTS, Weakness, birth_date_forms, password_weakness

from .helpers import DEMO_PASSWORD, Kiosk
from .seeded_copies import StartServer

ID_NUMBER = "120199198005170017"
BIRTH = dt.date(1980, 5, 17)
OLD = "135790"

six_digits = st.text(alphabet="0123456789", min_size=6, max_size=6)


@given(six_digits, st.dates(dt.date(1930, 1, 1), dt.date(2020, 12, 31)), six_digits)
def test_a_weakness_is_found_whatever_else_holds(new: str, birth: dt.date, old: str) -> None:
    weakness = password_weakness(new, ID_NUMBER, birth, old)
    assert weakness == password_weakness(new, ID_NUMBER, birth, old)
    if new == old or new in birth_date_forms(birth) or new == ID_NUMBER[-6:] or len(set(new)) == 1:
        assert weakness is not None


@given(st.text(max_size=12).filter(lambda text: len(text) != 6 or not text.isascii() or not text.isdigit()))
def test_anything_but_six_ascii_digits_is_refused(new: str) -> None:
    assert password_weakness(new, ID_NUMBER, BIRTH, OLD) == Weakness.NOT_SIX_DIGITS


@given(st.integers(0, 4), st.booleans())
def test_every_run_is_refused(start: int, descending: bool) -> None:
    run = "".join(str(start + step) for step in range(6))
    assert password_weakness(run[::-1] if descending else run, ID_NUMBER, BIRTH, OLD) == Weakness.RUN


def test_each_weakness() -> None:
    cases = {
        "12345": Weakness.NOT_SIX_DIGITS,
        "１２３４５７": Weakness.NOT_SIX_DIGITS,  # full-width digits
        "777777": Weakness.ALL_SAME,
        "123456": Weakness.RUN,
        "654321": Weakness.RUN,
        "800517": Weakness.BIRTH_DATE,
        "051780": Weakness.BIRTH_DATE,
        "170580": Weakness.BIRTH_DATE,
        "170017": Weakness.ID_NUMBER_TAIL,
        OLD: Weakness.SAME_AS_OLD,
        "246813": None,
        "123457": None,
    }
    assert {new: password_weakness(new, ID_NUMBER, BIRTH, OLD) for new in cases} == cases


def _change(kiosk: Kiosk, old: str, new: str) -> tuple[int, str, Any]:
    response = kiosk.call("POST", "/v1/citizen/password", json={"old_password": old, "new_password": new})
    return response.status_code, response.json()["code"], response.json()["data"]


def test_a_password_change_replaces_the_hash_and_closes_other_sessions(start_server: StartServer) -> None:
    own = start_server()
    citizen = own.citizens(lambda row: True)[0]
    here = own.signed_in(citizen)
    elsewhere = own.signed_in(citizen, "KIOSK-DEMO-02")
    assert _change(here, DEMO_PASSWORD, "246813") == (200, "ok", None)

    assert here.call("GET", "/v1/citizen/account").status_code == 200
    assert elsewhere.call("GET", "/v1/citizen/account").json()["code"] == "session_expired"
    again = own.kiosk("KIOSK-DEMO-02")
    assert again.login(*citizen, DEMO_PASSWORD).json()["code"] == "sign_in_failed"
    assert again.login(*citizen, "246813").status_code == 200


def test_a_weak_new_password_is_refused_with_its_reason(start_server: StartServer) -> None:
    own = start_server()
    citizen = own.citizens(lambda row: row.id_number[-1] != "X")[1]
    kiosk = own.signed_in(citizen)
    zh, en = WEAKNESS_TEXTS[Weakness.ID_NUMBER_TAIL]
    tail = {"reason": "id_number_tail", "zh": zh, "en": en}
    assert _change(kiosk, DEMO_PASSWORD, citizen[0][-6:]) == (400, "weak_password", tail)
    birth_yymmdd = citizen[0][8:14]
    assert _change(kiosk, DEMO_PASSWORD, birth_yymmdd)[2]["reason"] == "birth_date"
    assert own.kiosk().login(*citizen, DEMO_PASSWORD).status_code == 200


def test_a_wrong_old_password_counts_as_a_failed_sign_in(start_server: StartServer) -> None:
    own = start_server()
    citizen = own.citizens(lambda row: True)[2]
    kiosk = own.signed_in(citizen)
    assert own.kiosk().login(*citizen, "000000").json()["data"] == {"attempts_left": 2}
    assert _change(kiosk, "000000", "246813") == (401, "sign_in_failed", {"attempts_left": 1})
    locked = _change(kiosk, "000000", "246813")
    assert locked == (423, "password_locked", {"locked_until": "2026-11-28T00:00:00+08:00"})
    assert _change(kiosk, DEMO_PASSWORD, "246813")[1] == "password_locked"
    assert own.kiosk().login(*citizen, DEMO_PASSWORD).json()["code"] == "password_locked"


def test_extra_fields_and_numbers_are_refused(start_server: StartServer) -> None:
    own = start_server()
    kiosk = own.signed_in(own.citizens(lambda row: True)[3])
    for body in (
        {"old_password": DEMO_PASSWORD, "new_password": 246813},
        {"old_password": DEMO_PASSWORD, "new_password": "246813", "id_number": "x"},
    ):
        response = kiosk.call("POST", "/v1/citizen/password", json=body)
        assert (response.status_code, response.json()["code"]) == (400, "bad_request")
