"""The overview's advice through the kiosk's client and citizen service, against the real reference centre."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from central_server.app import create_app
from central_server.testing import serve_in_thread
from kiosk.central import CentralClient
from kiosk.central.models import AdviceList, DemoCard
from kiosk.central.sequence import SequenceCounter
from kiosk.services.citizen import AdviceView, CardHolder, CitizenService, SignIn, Unavailable

from .conftest import SECRET, TERMINAL_ID


def _signed_in(client: CentralClient, **where: object) -> tuple[CitizenService, DemoCard]:
    card = next(c for c in client.demo_cards() if all(getattr(c, k) == v for k, v in where.items()))
    service = CitizenService(client)
    service.begin_visit(
        CardHolder(name=card.name, id_number=card.id_number, card_type="resident", expired=False)
    )
    assert service.sign_in("123456").outcome is SignIn.OK
    return service, card


def test_a_sealed_account_is_advised_in_both_languages(client: CentralClient) -> None:
    service, card = _signed_in(client, status="sealed", has_loan=False)
    advice = service.advice()
    sealed = next(view for view in advice if view.code == "sealed_leaving_city")
    assert sealed == AdviceView(
        code="sealed_leaving_city",
        zh="您的账户已封存。如已离开本市，可预约到柜台办理离开本市提取。",
        en="Your account is sealed. If you have left the city, book a counter visit to withdraw the balance.",
        action="appointment",
    )
    assert sealed.text("zh_CN") == sealed.zh and sealed.text("en") == sealed.en
    for view in advice:
        assert card.name not in view.zh + view.en and card.id_number[-6:] not in view.zh + view.en


def test_a_centre_that_cannot_be_reached_is_unavailable(tmp_path: Path) -> None:
    with serve_in_thread(create_app(demo=True, terminals={TERMINAL_ID: SECRET})) as server:
        client = CentralClient(
            server.base_url,
            terminal_id=TERMINAL_ID,
            centre_id="00012000",
            secret=SECRET,
            sequence=SequenceCounter(tmp_path / "sequence"),
            timeout_s=2,
        )
        service, _ = _signed_in(client, status="normal")
    with pytest.raises(Unavailable):
        service.advice()
    client.close()


def test_an_expired_session_is_unavailable_not_a_crash(client: CentralClient) -> None:
    service, _ = _signed_in(client, status="normal")
    client.close_citizen_session(service.signed_in_citizen().session_token)
    with pytest.raises(Unavailable):
        service.advice()


@pytest.mark.parametrize(
    "items",
    [
        [{"code": "x", "zh": "甲", "en": "a", "action": "lottery", "priority": 1}],
        [{"code": "x", "zh": "甲", "en": "a", "action": None, "priority": 1, "colour": "red"}],
        [{"code": f"x{n}", "zh": "甲", "en": "a", "action": None, "priority": n} for n in range(4)],
    ],
    ids=["unknown service", "unknown field", "more than three"],
)
def test_an_answer_the_kiosk_does_not_understand_is_refused(items: list[dict[str, object]]) -> None:
    with pytest.raises(ValidationError):
        AdviceList.model_validate({"items": items})
