"""The intake stores what it checked: strict JSON types, trimmed and NFC strings, the model's dump."""

from __future__ import annotations

import json
import random
import re
import unicodedata
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from fastapi import FastAPI
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from central_server.intake_schemas import PAYLOAD_MODELS, IntakeKind, check_item
from tests.offline_queue.synthetic import id_number, pan, rating, withdrawal

from .helpers import FIXED_NOW, Kiosk
from .test_intake import CREATED, PATH, filer, intake_item, stored
from .visits import Visitor

RNG = random.Random(47)


def _send(kiosk: Kiosk, kind: str, payload: dict[str, Any], visitor: Visitor | None = None) -> dict[str, Any]:
    item = intake_item(kind, payload, visitor=visitor)
    result: dict[str, Any] = kiosk.data("POST", PATH, json={"items": [item]})["results"][0]
    return result


@pytest.mark.parametrize("amount", [True, "100", " 100 ", 100.0, None, [100]])
def test_an_amount_is_a_json_integer_and_nothing_else(
    kiosk: Kiosk, demo_app: FastAPI, visitor: Visitor, amount: Any
) -> None:
    result = _send(kiosk, "withdrawal_application", {**withdrawal(RNG), "amount_fen": amount}, visitor)
    assert (result["status"], result["reason"]) == (
        "rejected",
        "payload field amount_fen: Input should be a valid integer",
    )
    assert stored(demo_app, result["idempotency_key"]).payload is None


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("score", "5"),
        ("score", 5.0),
        ("score", True),
        ("channel", True),
        ("channel", 5.0),
        ("rating_round", True),
        ("rating_round", 1.0),
        ("service_code", 1),
        ("detail_codes", "R01"),
    ],
)
def test_rating_fields_take_only_their_own_json_type(kiosk: Kiosk, field: str, value: Any) -> None:
    result = _send(kiosk, "rating", {**rating(RNG), field: value})
    assert result["status"] == "rejected"
    assert result["reason"].startswith(f"payload field {field}: Input should be a valid ")


@pytest.mark.parametrize(
    ("field", "value"),
    [("date", 1764547200), ("date", "2026-12-01T00:00:00Z"), ("date", "20261201"), ("office", 1)],
)
def test_dates_and_codes_are_json_strings_in_their_format(
    kiosk: Kiosk, visitor: Visitor, field: str, value: Any
) -> None:
    appointment = {
        "id_number": id_number(RNG),
        "name": "王测试",
        "business_code": "WD01",
        "office": "HP01",
        "date": "2026-12-01",
        "slot": "09:00-09:30",
    }
    result = _send(kiosk, "appointment", {**appointment, field: value}, visitor)
    assert result["status"] == "rejected"
    assert result["reason"].startswith(f"payload field {field}: Input should be a ")


@pytest.mark.parametrize("at", [1764547200, "1764547200", 1764547200.5])
def test_an_instant_is_iso_text_never_a_unix_timestamp(kiosk: Kiosk, at: Any) -> None:
    result = _send(kiosk, "staff_audit_event", {"staff_id": "900001", "action": "paper_replaced", "at": at})
    assert result["status"] == "rejected" and result["reason"].startswith("payload field at: Input should be")


def test_what_is_stored_is_trimmed_and_nfc_never_the_payload_as_sent(
    kiosk: Kiosk, demo_app: FastAPI, cards: list[dict[str, Any]]
) -> None:
    visitor = filer(kiosk, cards)
    number, card = visitor.id_number, pan(RNG)
    sent = {
        "id_number": f" {number}\t",
        # U+F90A is a compatibility ideograph of 金 (U+91D1); NFC maps it to the unified one.
        "name": "\u3000\uf90a测试 ",
        "withdrawal_type": " 06 ",
        "amount_fen": 123_456,
        "bank_pan": f"{card}\n",
    }
    item = {**intake_item("withdrawal_application", sent), "visit_ticket": visitor.ticket}
    result = kiosk.data("POST", PATH, json={"items": [item]})["results"][0]
    assert result["status"] == "accepted", result
    assert json.loads(stored(demo_app, result["idempotency_key"]).payload or "") == {
        "id_number": number,
        "name": "\u91d1测试",
        "withdrawal_type": "06",
        "amount_fen": 123_456,
        "bank_pan": card,
    }


def test_defaults_are_stored_as_the_model_fills_them(kiosk: Kiosk, demo_app: FastAPI) -> None:
    sent = {"category": "complaint", "topic": "other", "text": "  测试投诉  "}
    result = _send(kiosk, "complaint_suggestion", sent)
    record = json.loads(stored(demo_app, result["idempotency_key"]).payload or "")
    assert record == {
        "category": "complaint",
        "topic": "other",
        "text": "测试投诉",
        "contact_phone": None,
        "visit_id": None,
    }


# -- the property -------------------------------------------------------------------------------------------

# Each kind's valid payload; those that name a citizen name the visitor, whose ticket every item carries.
_VALID: dict[str, Callable[[Visitor], dict[str, Any]]] = {
    "withdrawal_application": lambda visitor: visitor.owns(withdrawal(RNG)),
    "rating": lambda _visitor: rating(RNG),
    "appointment": lambda visitor: {
        "id_number": visitor.id_number,
        "name": "李样例",
        "business_code": "WD01",
        "office": "HP01",
        "date": "2026-12-01",
        "slot": "09:00-09:30",
    },
    "touchpoint_event": lambda _visitor: {
        "visit_id": "v1",
        "channel": "kiosk",
        "event": "service_entered",
        "service": "deposits",
        "screen": "home",
        "at": CREATED,
    },
}

_SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**12), max_value=10**12),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=30),
)
_JSON = st.recursive(
    _SCALARS,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=6,
)


@st.composite
def _variants(draw: st.DrawFn, value: Any) -> Any:
    """A value near the valid one (padded, retyped) or any JSON value at all."""
    text = str(value)
    return draw(
        st.one_of(
            st.just(value),
            st.sampled_from([f" {text} ", f"\u3000{text}", text, f"{text}\n"]),
            st.builds(lambda n: float(n), st.just(value)) if type(value) is int else st.just(text),
            _JSON,
        )
    )


@st.composite
def _payloads(draw: st.DrawFn, visitor: Visitor) -> tuple[str, dict[str, Any]]:
    kind = draw(st.sampled_from(sorted(_VALID)))
    payload = _VALID[kind](visitor)
    for field in draw(st.sets(st.sampled_from(sorted(payload)), max_size=3)):
        payload[field] = draw(_variants(payload[field]))
    if draw(st.booleans()):
        payload.pop(draw(st.sampled_from(sorted(payload))))
    if draw(st.integers(0, 9)) == 0:
        payload[draw(st.text(min_size=1, max_size=12))] = draw(_SCALARS)
    return kind, payload


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for k, v in value.items() for s in [k, *_strings(v)]]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    return []


_REASON = re.compile(r"payload field ([A-Za-z0-9_.]+|\(unknown\)): .+")


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_any_payload_is_stored_as_the_model_dumps_it_or_rejected_naming_only_the_field(
    kiosk: Kiosk, demo_app: FastAPI, visitor: Visitor, data: st.DataObject
) -> None:
    kind, payload = data.draw(_payloads(visitor))
    key = uuid.uuid4().hex
    item = {**intake_item(kind, payload, key=key), "visit_ticket": visitor.ticket}
    answer = kiosk.data("POST", PATH, json={"items": [item]})["results"][0]
    record = stored(demo_app, key)
    event(answer["status"])
    if answer["status"] == "accepted":
        assert record.payload is not None
        kept = json.loads(record.payload)
        assert kept == check_item(kind, CREATED, payload, FIXED_NOW).payload
        # Stored is a fixed point: checking it again changes nothing.
        assert check_item(kind, CREATED, kept, FIXED_NOW).payload == kept
        for text in _strings(kept):
            assert text == text.strip() and text == unicodedata.normalize("NFC", text)
        model = PAYLOAD_MODELS[IntakeKind(kind)]
        for field, info in model.model_fields.items():
            if info.annotation is int:
                assert type(kept[field]) is int and kept[field] == payload[field]
    elif answer["reason"].startswith("withdrawal refused: "):
        # A payload that passed its checks, refused by the withdrawal rules (the visitor's account is
        # closed): nothing of it is kept either.
        assert kind == "withdrawal_application" and record.payload is None
        check_item(kind, CREATED, payload, FIXED_NOW)
    else:
        assert answer["status"] == "rejected" and record.payload is None
        assert len(answer["reason"]) <= 200  # the column's width
        match = _REASON.fullmatch(answer["reason"])
        assert match, answer["reason"]
        named = match.group(1).split(".")[0]
        assert (
            named in PAYLOAD_MODELS[IntakeKind(kind)].model_fields or named in payload or named == "(unknown)"
        )
        message = answer["reason"].split(": ", 1)[1]
        for text in _strings(payload):
            if len(text.strip()) >= 6:
                assert text.strip() not in message
