"""好差评 through a real outbox: the payload per the contract, one rating per case, the rules for reasons
and the callback phone (a property test for the phone pattern), and the query cases a visit makes."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kiosk.offline_queue.outbox import Outbox
from kiosk.services.background import Background
from kiosk.services.rating import (
    PHONE,
    Case,
    RatingRefused,
    RatingService,
    booking_case_ref,
    query_case,
)

TICKET = "eyJ2IjoxfQ.c2lnbmF0dXJl"
VISIT_ID = "0123456789abcdef"


@pytest.fixture
def outbox(tmp_path: Path) -> Iterator[Outbox]:
    box = Outbox.open(tmp_path / "outbox")
    yield box
    box.close()


@pytest.fixture
def worker() -> Iterator[Background]:
    lane = Background(workers=1, name="test-feedback")
    yield lane
    lane.shutdown()


def _service(outbox: Outbox | None, worker: Background) -> RatingService:
    return RatingService(lambda: outbox, lambda: TICKET, lambda: VISIT_ID, worker)


def _ratings(outbox: Outbox, worker: Background) -> list[tuple[dict[str, Any], str | None]]:
    worker.submit(lambda: None).result(5)
    items, _due = outbox.claim(100)
    return [(item.payload, item.visit_ticket) for item in items if item.kind == "rating"]


def test_a_very_dissatisfied_rating_with_reasons_and_a_phone(outbox: Outbox, worker: Background) -> None:
    rating = _service(outbox, worker)
    assert rating.completed("withdrawal", "TQ2611270001")
    case = rating.next_case()
    assert case == Case("withdrawal", "TQ2611270001")
    rating.rate(case, 1, ["not_solved", "slow"], "13812345678")
    assert rating.next_case() is None
    assert _ratings(outbox, worker) == [
        (
            {
                "score": 1,
                "detail_codes": ["slow", "not_solved"],  # in the pick-list's order
                "text": "",
                "channel": 5,
                "rating_round": 1,
                "rater_type": "individual",
                "service_code": "withdrawal",
                "visit_id": VISIT_ID,
                "case_ref": "TQ2611270001",
                "callback_phone": "13812345678",
            },
            TICKET,
        )
    ]


def test_one_rating_per_case(outbox: Outbox, worker: Background) -> None:
    rating = _service(outbox, worker)
    case = query_case("overview", VISIT_ID)
    assert case.case_ref == f"overview-{VISIT_ID}"
    assert rating.completed(case.service, case.case_ref)
    assert not rating.completed(case.service, case.case_ref)  # left twice: offered once
    rating.rate(case, 5)
    rating.rate(case, 4)  # a second tap: the same key, refused by the outbox, logged, nothing new kept
    assert [p["score"] for p, _t in _ratings(outbox, worker)] == [5]


def test_skipped_cases_file_nothing_and_the_next_case_follows(outbox: Outbox, worker: Background) -> None:
    rating = _service(outbox, worker)
    rating.completed("appointment", "B-20261127-0042")
    rating.completed("certificate", "7KQD-M3XA")
    rating.skip(Case("appointment", "B-20261127-0042"))
    assert rating.next_case() == Case("certificate", "7KQD-M3XA")
    rating.wipe()
    assert rating.next_case() is None
    assert _ratings(outbox, worker) == []


@pytest.mark.parametrize(
    ("score", "reasons", "phone", "message"),
    [
        (0, [], None, "score 0 is not 1..5"),
        (3, ["slow"], None, "a score of 3 carries no reasons"),
        (4, [], "13812345678", "a score of 4 carries no reasons and no phone"),
        (2, ["rude"], None, "unknown reason codes"),
        (1, ["slow"], "12345", "neither a mainland mobile nor a fixed line"),
    ],
)
def test_ratings_that_break_the_rules_are_refused(
    outbox: Outbox, worker: Background, score: int, reasons: list[str], phone: str | None, message: str
) -> None:
    rating = _service(outbox, worker)
    rating.completed("loan", f"loan-{VISIT_ID}")
    case = rating.next_case()
    assert case is not None
    with pytest.raises(RatingRefused, match=re.escape(message)):
        rating.rate(case, score, reasons, phone)
    assert rating.next_case() == case  # nothing settled: the screen may still rate it
    assert _ratings(outbox, worker) == []


def test_a_closed_outbox_loses_the_rating_quietly_for_the_citizen(tmp_path: Path, worker: Background) -> None:
    box = Outbox.open(tmp_path / "outbox")
    box.close()
    rating = _service(box, worker)
    rating.completed("status", f"status-{VISIT_ID}")
    rating.rate(Case("status", f"status-{VISIT_ID}"), 3)  # returns: the goodbye never waits for it
    worker.submit(lambda: None).result(5)


@given(st.from_regex(r"1[3-9][0-9]{9}", fullmatch=True) | st.from_regex(r"0[0-9]{9,11}", fullmatch=True))
def test_every_mobile_and_fixed_line_number_is_taken(phone: str) -> None:
    assert PHONE.fullmatch(phone)


@given(st.text(alphabet="0123456789+- \n", max_size=14))
def test_only_those_numbers_are_taken(text: str) -> None:
    mobile = len(text) == 11 and text[0] == "1" and text[1] in "3456789" and text.isdigit()
    fixed = 10 <= len(text) <= 12 and text[0] == "0" and text.isdigit()
    assert bool(PHONE.fullmatch(text)) == (mobile or fixed)


@given(st.uuids())
def test_a_booking_id_makes_a_case_ref_the_rating_takes(booking: uuid.UUID) -> None:
    # The centre's booking ids are UUIDs written with their dashes: 36 characters, over the short code's 32.
    case_ref = booking_case_ref(str(booking))
    assert uuid.UUID(case_ref) == booking
    rating = RatingService(lambda: None, lambda: TICKET, lambda: VISIT_ID, Background(workers=1))
    rating.completed("appointment", case_ref)
    assert rating.next_case() == Case("appointment", case_ref)
