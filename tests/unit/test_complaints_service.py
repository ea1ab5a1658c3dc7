"""投诉建议 through the real parts: the visit flow offers it without sign-in, the outbox files it, a real
centre on loopback stores it under the reference the kiosk printed, anonymous or with the visit ticket;
the phone patterns are the contract's (a property test against the centre's own)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select

from central_server.app import create_app
from central_server.crm.models import Complaint
from central_server.intake_schemas import COMPLAINT_TOPICS, PHONE_PATTERN
from central_server.models import IntakeRecord
from central_server.testing import RunningServer, serve_in_thread
from kiosk.devices.printer.sim import SimPrinter
from kiosk.masking import mask_phone
from kiosk.runtime import Runtime, build_runtime
from kiosk.services.citizen import CardHolder, SignIn
from kiosk.services.complaints import TOPICS, ComplaintRefused, valid_phone
from kiosk.services.filing import NotTaken
from kiosk.settings import load_settings
from kiosk.transaction_numbers import kiosk_code, readable

from ..conftest import KioskSettings

TERMINAL_ID = "KIOSK-TEST-01"
SECRET = "test-secret-synthetic"
PASSWORD = "123456"
PHONE = "13800001234"
KIND = "complaint_suggestion"


@dataclass
class Centre:
    server: RunningServer
    app: Any

    def rows(self, model: Any) -> list[Any]:
        with self.app.state.context.db.transaction() as session:
            return list(session.scalars(select(model)))

    def intake(self, reference: str) -> IntakeRecord:
        (record,) = [
            row for row in self.rows(IntakeRecord) if row.kind == KIND and row.reference == reference
        ]
        return record


@pytest.fixture(scope="module")
def centre() -> Iterator[Centre]:
    app = create_app(demo=True, terminals={TERMINAL_ID: SECRET})
    with serve_in_thread(app) as server:
        yield Centre(server, app)


def _runtime(kiosk_settings: KioskSettings, base_url: str | None) -> Runtime:
    path = kiosk_settings(extra='printer = "sim://"\n')
    if base_url is not None:
        text = path.read_text(encoding="utf-8").replace("http://127.0.0.1:9", base_url)
        path.write_text(text, encoding="utf-8")
    runtime = build_runtime(load_settings(path))
    runtime.start_background_services()
    assert not runtime.problems, runtime.problems
    return runtime


@pytest.fixture
def runtime(centre: Centre, kiosk_settings: KioskSettings) -> Iterator[Runtime]:
    runtime = _runtime(kiosk_settings, centre.server.base_url)
    yield runtime
    runtime.stop().result(20)


def _printed(runtime: Runtime) -> list[str]:
    assert runtime.printing is not None
    printer = runtime.printing.printer
    assert isinstance(printer, SimPrinter)
    jobs = printer.virtual.jobs
    return jobs[-1].lines() if jobs else []


def test_an_anonymous_complaint_needs_no_card_and_the_centre_keeps_the_printed_reference(
    runtime: Runtime, centre: Centre
) -> None:
    visit = runtime.visit
    assert visit.offered("complaint")
    visit.begin()
    assert visit.choose("complaint") == "complaint"  # straight to it: no ID card asked for
    lodged = visit.complaints.lodge("complaint", "self_service_kiosk", PHONE)
    assert (lodged.answer, lodged.printed, lodged.masked_phone) == ("accepted", True, "138****1234")

    record = centre.intake(lodged.reference)
    assert record.status == "accepted" and record.terminal_id == TERMINAL_ID
    # The centre derived the reference from the key the kiosk sent, as the kiosk did before printing it.
    assert lodged.reference == readable(kiosk_code(TERMINAL_ID, record.idempotency_key))
    assert record.citizen_ref is None  # no ticket: anonymous
    assert json.loads(record.payload or "{}") == {
        "category": "complaint",
        "topic": "self_service_kiosk",
        "text": "自助终端使用不便或出现故障。",
        "contact_phone": mask_phone(PHONE),  # the centre keeps the phone encrypted, shows it masked
        "visit_id": visit.touchpoints.visit_id,
    }
    (complaint,) = [row for row in centre.rows(Complaint) if row.reference == lodged.reference]
    assert complaint.citizen_ref is None and complaint.phone_cipher and PHONE not in complaint.phone_cipher

    paper = [line.strip() for line in _printed(runtime)]
    assert paper[paper.index("受理编号") + 1] == lodged.reference
    assert "回电号码：           138****1234" in paper and PHONE not in "".join(paper)


def test_a_signed_in_citizens_suggestion_carries_the_visit_ticket(runtime: Runtime, centre: Centre) -> None:
    face = next(face for face in runtime.central.demo_cards() if face.status == "normal")
    visit = runtime.visit
    assert visit.card_placed(CardHolder(face.name, face.id_number, "resident", expired=False)) is None
    assert visit.citizen.sign_in(PASSWORD).outcome is SignIn.OK
    assert visit.choose("complaint") == "complaint"
    lodged = visit.complaints.lodge("suggestion", "appointment")
    assert lodged.answer == "accepted" and lodged.masked_phone == ""
    record = centre.intake(lodged.reference)
    assert record.citizen_ref is not None
    payload = json.loads(record.payload or "{}")
    assert payload["contact_phone"] is None and payload["category"] == "suggestion"
    assert "您未留电话，中心不回电。" in [line.strip() for line in _printed(runtime)]


def test_a_second_tap_files_the_same_complaint_and_the_end_of_the_visit_forgets_it(runtime: Runtime) -> None:
    visit = runtime.visit
    visit.begin()
    first = visit.complaints.lodge("complaint", "withdrawal")
    assert visit.complaints.lodge("complaint", "withdrawal").reference == first.reference
    visit.end()
    visit.begin()
    assert visit.complaints.lodge("complaint", "withdrawal").reference != first.reference


def test_other_services_still_ask_for_the_card_first(runtime: Runtime) -> None:
    runtime.visit.begin()
    assert runtime.visit.choose("withdrawal") == "card"


@pytest.mark.parametrize(
    ("category", "topic", "phone", "named"),
    [
        ("praise", "other", None, "category 'praise'"),
        ("complaint", "parking", None, "topic 'parking'"),
        ("complaint", "other", "12345", "neither a mainland mobile"),
    ],
)
def test_what_the_contract_does_not_know_is_refused_and_nothing_filed(
    runtime: Runtime, category: str, topic: str, phone: str | None, named: str
) -> None:
    runtime.visit.begin()
    with pytest.raises(ComplaintRefused, match=named):
        runtime.visit.complaints.lodge(category, topic, phone)
    assert runtime.outbox is not None and runtime.outbox.waiting([KIND]) == []
    assert _printed(runtime) == []


def test_offline_it_is_kept_and_the_slip_says_it_waits(kiosk_settings: KioskSettings) -> None:
    runtime = _runtime(kiosk_settings, None)  # the centre's address answers nothing
    try:
        runtime.visit.begin()
        lodged = runtime.visit.complaints.lodge("complaint", "service_hall", PHONE)
        assert (lodged.answer, lodged.printed) == ("waiting", True)
        assert runtime.outbox is not None
        (waiting,) = runtime.outbox.waiting([KIND])
        assert lodged.reference == readable(kiosk_code(TERMINAL_ID, waiting.idempotency_key))
        assert "本机已受理，待发送至中心" in [line.strip() for line in _printed(runtime)]
    finally:
        runtime.stop().result(20)


def test_while_the_outbox_is_closed_nothing_is_taken_and_nothing_printed(runtime: Runtime) -> None:
    outbox = runtime.outbox
    runtime.outbox = None
    try:
        runtime.visit.begin()
        with pytest.raises(NotTaken):
            runtime.visit.complaints.lodge("complaint", "other")
        assert _printed(runtime) == []
    finally:
        runtime.outbox = outbox


def test_the_kiosks_topics_are_the_contracts() -> None:
    assert tuple(topic.code for topic in TOPICS) == COMPLAINT_TOPICS
    assert all(topic.sentence_zh and topic.sentence_en for topic in TOPICS)


_DIGITS = st.text(st.sampled_from("0123456789"), max_size=14)


@given(st.one_of(_DIGITS, st.text(max_size=14)))
def test_the_kiosk_accepts_exactly_the_phones_the_centre_accepts(text: str) -> None:
    assert valid_phone(text) == (re.fullmatch(PHONE_PATTERN, text) is not None)


@given(
    st.one_of(
        st.from_regex(r"\A1[3-9][0-9]{9}\Z"),
        st.from_regex(r"\A0[0-9]{9,11}\Z"),
    )
)
def test_every_mobile_and_fixed_line_is_valid_and_masked_to_its_ends(phone: str) -> None:
    assert valid_phone(phone)
    masked = mask_phone(phone)
    assert masked[:3] == phone[:3] and masked[-4:] == phone[-4:] and phone not in masked
