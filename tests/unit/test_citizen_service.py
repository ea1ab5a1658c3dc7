"""The citizen flow without a screen, against the real reference central over HTTP on loopback."""

import base64
from pathlib import Path

import pytest

from central_server.testing import serve_in_thread
from kiosk.central import CentralClient, CentralError
from kiosk.central.models import DemoCard
from kiosk.central.sequence import SequenceCounter
from kiosk.services.citizen import (
    EXPIRED_CARD,
    CardHolder,
    CitizenService,
    NotSignedIn,
    SignIn,
    Unavailable,
)


def _holder(card: DemoCard) -> CardHolder:
    return CardHolder(name=card.name, id_number=card.id_number, card_type="resident", expired=False)


def _pick(client: CentralClient, index: int = 0, **where: object) -> DemoCard:
    matching = [c for c in client.demo_cards() if all(getattr(c, k) == v for k, v in where.items())]
    return matching[index]


def test_sign_in_and_overview_are_masked(client: CentralClient) -> None:
    card = _pick(client, status="normal", has_loan=False)
    service = CitizenService(client)
    service.begin_visit(_holder(card))
    assert service.sign_in("123456").outcome is SignIn.OK
    view = service.overview()
    assert view.masked_id == card.id_number[:3] + "*" * 11 + card.id_number[-4:]
    assert view.masked_name == card.name[0] + "*" * (len(card.name) - 1)
    assert view.balance.startswith("¥") and view.status == "normal"
    assert card.name not in repr(service.holder) and card.id_number not in repr(service.holder)


def test_three_wrong_passwords_lock_for_the_day(client: CentralClient) -> None:
    card = _pick(client, index=1, status="normal")
    service = CitizenService(client)
    service.begin_visit(_holder(card))
    assert service.sign_in("000000").attempts_left == 2
    assert service.sign_in("000001").attempts_left == 1
    assert service.sign_in("000002").outcome is SignIn.LOCKED
    assert service.sign_in("123456").outcome is SignIn.LOCKED


def test_attempts_left_counts_down(client: CentralClient) -> None:
    card = _pick(client, index=2, status="normal")
    service = CitizenService(client)
    service.begin_visit(_holder(card))
    first = service.sign_in("000000")
    second = service.sign_in("000001")
    assert (first.outcome, first.attempts_left) == (SignIn.WRONG_PASSWORD, 2)
    assert (second.outcome, second.attempts_left) == (SignIn.WRONG_PASSWORD, 1)
    assert service.sign_in("123456").outcome is SignIn.OK  # a right password resets the count


def test_unknown_citizen_is_told_no_more_than_a_wrong_password(client: CentralClient) -> None:
    service = CitizenService(client)
    service.begin_visit(CardHolder("王测", "120199200001010011", "resident", False))
    result = service.sign_in("123456")
    assert (result.outcome, result.attempts_left) == (SignIn.WRONG_PASSWORD, 2)


def test_deposits_are_paged_newest_first(client: CentralClient) -> None:
    service = CitizenService(client)
    service.begin_visit(_holder(_pick(client, status="normal")))
    assert service.sign_in("123456").outcome is SignIn.OK
    first, second = service.deposits(1), service.deposits(2)
    assert first.pages >= 4 and len(first.rows) == 8
    assert first.rows[-1].date >= second.rows[0].date
    assert all(row.amount.startswith(("+¥", "-¥")) for row in first.rows)


def test_loan_or_none(client: CentralClient) -> None:
    service = CitizenService(client)
    service.begin_visit(_holder(_pick(client, has_loan=True)))
    assert service.sign_in("123456").outcome is SignIn.OK
    loan = service.loan()
    assert loan is not None and loan.term_months > 0 and loan.upcoming
    # The whole plan, month by month, for the plan screen: the months paid first, then those to come,
    # overdue ones among them; the loan screen lists the first four of those.
    assert [row.period for row in loan.plan] == list(range(1, loan.term_months + 1))
    assert [row.paid for row in loan.plan] == sorted((row.paid for row in loan.plan), reverse=True)
    assert loan.upcoming == [row for row in loan.plan if not row.paid][:4]
    service.end_visit()
    service.begin_visit(_holder(_pick(client, status="normal", has_loan=False)))
    assert service.sign_in("123456").outcome is SignIn.OK
    assert service.loan() is None


def test_end_visit_wipes_at_once_and_the_session_closes_at_the_centre_after(client: CentralClient) -> None:
    service = CitizenService(client)
    service.begin_visit(_holder(_pick(client, status="normal")))
    assert service.sign_in("123456").outcome is SignIn.OK
    token = service.end_visit()  # no HTTP: the UI thread calls it
    assert token is not None
    assert service.holder is None and not service.signed_in
    with pytest.raises(NotSignedIn):
        service.overview()
    client.account(token)  # still open: closing it is the worker's part
    service.close_session(token)
    with pytest.raises(CentralError) as caught:
        client.account(token)
    assert caught.value.code == "session_expired"
    assert service.end_visit() is None  # nobody there: nothing to close


def test_the_visit_keeps_the_centres_ticket_and_reference_until_it_ends(client: CentralClient) -> None:
    service = CitizenService(client)
    service.begin_visit(_holder(_pick(client, status="normal")))
    assert (service.visit_ticket, service.citizen_ref) == (None, None)
    assert service.sign_in("123456").outcome is SignIn.OK
    ticket, ref = service.visit_ticket, service.citizen_ref
    assert ticket and ref and ref in str(base64.urlsafe_b64decode(ticket.split(".")[0] + "=="))
    service.end_visit()
    assert (service.visit_ticket, service.citizen_ref) == (None, None)


def test_an_expired_card_begins_no_visit(client: CentralClient) -> None:
    service = CitizenService(client)
    expired = CardHolder("赵测试", "120199198001010015", "resident", expired=True)
    refused = service.card_placed(expired)
    assert refused == EXPIRED_CARD and refused.title == "This ID card has expired"
    assert service.holder is None
    valid = _holder(_pick(client, status="normal"))
    assert service.card_placed(valid) is None
    assert service.holder == valid


def test_centre_down_is_unavailable_not_a_crash(tmp_path: Path) -> None:
    from central_server.app import create_app

    server = serve_in_thread(create_app(demo=True, terminals={"K9": "secret-secret"}))
    client = CentralClient(
        server.base_url,
        terminal_id="K9",
        centre_id="1",
        secret="secret-secret",
        sequence=SequenceCounter(tmp_path / "seq"),
        timeout_s=2,
    )
    service = CitizenService(client)
    card = client.demo_cards()[0]
    service.begin_visit(_holder(card))
    assert service.sign_in("123456").outcome is SignIn.OK
    server.stop()
    with pytest.raises(Unavailable):
        service.overview()
    token = service.end_visit()
    assert token is not None
    service.close_session(token)  # must not raise either
    service.begin_visit(_holder(card))
    assert service.sign_in("123456").outcome is SignIn.UNAVAILABLE
