"""The script parser of `kiosk simulate`: whatever JSON it is given, it returns a script or raises its one
error type with one line naming the file (and the visit and step where one is at fault)."""

from __future__ import annotations

import json
import string
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kiosk.simulate_script import (
    STEP_NAMES,
    PlaceIdCard,
    Script,
    ScriptError,
    load_script,
    parse_script,
)

SOURCE = "visits.json"
FIELDS = (
    "do",
    "expect",
    "id_number",
    "timeout_s",
    "digits",
    "name",
    "reason",
    "amount",
    "card",
    "business",
    "office",
    "day",
    "slot",
    "kind",
    "period",
    "old",
    "new",
    "again",
    "score",
    "reasons",
    "phone",
    "category",
    "topic",
)
# Values that make a field valid now and then, so that generated steps reach every validator.
LIKELY = st.sampled_from(
    [
        *STEP_NAMES,
        "120199199001010012",
        "王测试",
        "123456",
        "12345",
        "01",
        "1200.00",
        "debit",
        "first_free",
        "2026-12-01",
        "09:00-09:30",
        "deposit",
        "statement",
        "this_year",
        "status",
        "ok",
        "credit_card",
        "slow",
        ["not_solved"],
        "13800138000",
        "complaint",
        "self_service_kiosk",
        30,
        5,
        1,
        0,
        -1,
        True,
    ]
)
JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=12,
)
# One of each step, written as docs/simulate.md writes them.
EVERY_STEP: list[dict[str, Any]] = [
    {"do": "place_id_card", "id_number": "120199199001010012"},
    {"do": "place_id_card", "name": "欧阳测试"},
    {"do": "id_card", "timeout_s": 5},
    {"do": "password", "digits": "123456"},
    {"do": "service", "name": "withdrawal"},
    {"do": "withdrawal", "reason": "01", "amount": "1200.00"},
    {"do": "insert_bank_card", "card": "debit"},
    {"do": "bank_card", "expect": "credit_card"},
    {"do": "confirm", "expect": "accepted"},
    {
        "do": "appointment",
        "business": "loan",
        "office": "SHILI",
        "day": "2026-12-01",
        "slot": "09:00-09:30",
    },
    {"do": "cancel_appointment"},
    {"do": "pre_registration", "business": "transfer"},
    {"do": "certificate", "kind": "statement", "period": "last_year"},
    {"do": "password_change", "old": "123456", "new": "802731"},
    {"do": "application_state", "expect": "waiting_to_send"},
    {"do": "rate", "score": 1, "reasons": ["slow"], "phone": "13800138000"},
    {"do": "skip_rating", "expect": "nothing_to_rate"},
    {"do": "complaint", "category": "suggestion", "topic": "service_hall", "phone": "13800138000"},
    {"do": "end"},
]
STEPISH = st.dictionaries(st.sampled_from(FIELDS), LIKELY | JSON, max_size=5)
SCRIPTISH = st.fixed_dictionaries(
    {
        "visits": st.lists(
            st.fixed_dictionaries(
                {"steps": st.lists(st.sampled_from(EVERY_STEP) | STEPISH | JSON, max_size=4)}
            ),
            max_size=3,
        )
    }
)


def _outcome(data: Any) -> Script | ScriptError:
    try:
        return parse_script(data, SOURCE)
    except ScriptError as exc:
        return exc


@given(JSON | SCRIPTISH)
def test_any_json_is_a_script_or_one_line_naming_the_file(data: Any) -> None:
    outcome = _outcome(data)
    if isinstance(outcome, ScriptError):
        text = str(outcome)
        assert text.startswith(f"{SOURCE}: ") and "\n" not in text and len(text) < 600
    else:
        assert len(outcome.visits) == len(data["visits"])


@given(SCRIPTISH)
def test_a_fault_in_a_step_names_its_visit_and_step(data: dict[str, Any]) -> None:
    outcome = _outcome(data)
    if isinstance(outcome, Script):
        return
    faulty = [
        (v, s)
        for v, visit in enumerate(data["visits"])
        for s, step in enumerate(visit["steps"])
        if isinstance(_outcome({"visits": [{"steps": [step]}]}), ScriptError)
    ]
    if faulty and all(visit["steps"] for visit in data["visits"]):
        v, s = faulty[0]
        assert str(outcome).startswith(f"{SOURCE}: visit {v + 1}, step {s + 1}")


@given(st.text(alphabet=string.printable + '{}[]":,中', max_size=60))
def test_any_text_in_a_file_is_a_script_or_one_line(
    tmp_path_factory: pytest.TempPathFactory, text: str
) -> None:
    path = tmp_path_factory.mktemp("script") / "s.json"
    path.write_text(text, encoding="utf-8")
    try:
        load_script(path)
    except ScriptError as exc:
        assert str(exc).startswith(f"{path}: ") and "\n" not in str(exc)


def test_every_step_of_the_vocabulary_parses_as_the_docs_write_it(tmp_path: Path) -> None:
    path = tmp_path / "all.json"
    path.write_text(json.dumps({"visits": [{"steps": EVERY_STEP}]}), encoding="utf-8")
    script = load_script(path)
    assert [step.do for step in script.visits[0].steps] == ["place_id_card", *STEP_NAMES]
    # A step's own repr never shows a password, phone, ID number or name it carries.
    for secret in ("802731", "13800138000", "120199199001010012", "欧阳测试"):
        assert secret not in repr(script)


@pytest.mark.parametrize(
    ("step", "problem"),
    [
        ({"do": "password", "digits": 123456}, "(password): digits: Input should be a valid string"),
        (
            {"do": "password", "digits": "12345"},
            "(password): digits: must be six digits, as typed on the keypad",
        ),
        ({"do": "id_card", "timeout_s": True}, "(id_card): timeout_s: Input should be a valid number"),
        ({"do": "id_card", "timout_s": 5}, "(id_card): timout_s: unknown field"),
        ({"do": "appointment", "business": "loan", "day": "tomorrow"}, "(appointment): day: must be"),
        ({"do": "certificate", "kind": "deposit", "period": "this_year"}, "(certificate): period: only a"),
        ({"do": "application_state", "expect": ""}, "(application_state): expect: String should have"),
        ({"do": "rate", "score": 6}, "(rate): score: Input should be less than or equal to 5"),
        ({"do": "rate", "score": 1, "reasons": ["rude"]}, "(rate): reasons: unknown reason 'rude'"),
        ({"do": "rate", "score": 3, "phone": "13800138000"}, "(rate): a score of 3 carries no reasons"),
        ({"do": "rate", "score": 1, "phone": "12345"}, "(rate): phone: must be a mainland mobile"),
        (
            {"do": "complaint", "category": "praise", "topic": "other"},
            "(complaint): category: Input should be",
        ),
        ({"do": "complaint", "category": "complaint"}, "(complaint): topic: missing"),
        ({}, 'a step needs "do"'),
        ([], 'a step is a JSON object with "do"'),
    ],
)
def test_each_fault_is_named_with_its_field(step: Any, problem: str) -> None:
    with pytest.raises(ScriptError) as raised:
        parse_script({"visits": [{"steps": [{"do": "end"}, step]}]}, SOURCE)
    assert str(raised.value).startswith(f"{SOURCE}: visit 1, step 2")
    assert problem in str(raised.value)


CARD_NAMES = st.text(
    alphabet=st.characters(min_codepoint=0x4E00, max_codepoint=0x9FFF), min_size=2, max_size=6
)
ID_NUMBERS = st.from_regex(r"120199[0-9]{11}[0-9X]", fullmatch=True)


@given(st.none() | ID_NUMBERS, st.none() | CARD_NAMES, st.integers(0, 2))
def test_a_demo_card_is_placed_by_exactly_one_of_its_id_number_and_its_name(
    id_number: str | None, name: str | None, before: int
) -> None:
    step: dict[str, Any] = {"do": "place_id_card"}
    if id_number is not None:
        step["id_number"] = id_number
    if name is not None:
        step["name"] = name
    outcome = _outcome({"visits": [{"steps": [*[{"do": "end"}] * before, step]}]})
    if (id_number is None) != (name is None):
        assert isinstance(outcome, Script)
        [placed] = outcome.visits[0].steps[before:]
        assert isinstance(placed, PlaceIdCard) and (placed.id_number, placed.name) == (id_number, name)
    else:
        assert isinstance(outcome, ScriptError)
        place = f"{SOURCE}: visit 1, step {before + 1} (place_id_card): "
        problem = "id_number or name: missing" if id_number is None else "id_number and name: give one"
        assert str(outcome).startswith(place + problem)


@pytest.mark.parametrize("name", ["王", "欧阳测试测试测", "Wang Ce", "王 测", "王测1", "王·测"])
def test_a_name_that_cannot_be_on_a_demo_card_is_refused_with_its_field(name: str) -> None:
    with pytest.raises(ScriptError) as raised:
        parse_script({"visits": [{"steps": [{"do": "place_id_card", "name": name}]}]}, SOURCE)
    assert str(raised.value) == (
        f"{SOURCE}: visit 1, step 1 (place_id_card): name: must be the name on a demo card, "
        "2 to 6 Chinese characters"
    )
