"""The kiosk's client for the centre's citizen services, against the real reference centre on loopback."""

from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest
from pydantic import ValidationError

from central_server.testing import RunningServer
from kiosk.central import CentralClient, CentralError
from kiosk.central.models import DemoCard, IssuedCertificate, WithdrawalOptions
from kiosk.central.sequence import SequenceCounter

from .conftest import TERMINAL_ID

DEMO_PASSWORD = "123456"
# The reference centre's seeded calendar: the loan business takes 2 places per slot at SHILI.
LOAN, SHILI, LOAN_PLACES = "loan", "SHILI", 2
CENTRE_TIME = timezone(timedelta(hours=8))


def _cards(client: CentralClient, **where: object) -> list[DemoCard]:
    return [c for c in client.demo_cards() if all(getattr(c, k) == v for k, v in where.items())]


def _sign_in(client: CentralClient, card: DemoCard, password: str = DEMO_PASSWORD) -> str:
    return client.open_citizen_session(card.id_number, card.name, password).session_token


def _without_appointments(client: CentralClient, count: int, skip: int = 0) -> list[str]:
    """Sessions of `count` citizens with no appointment at all (the seeded counter history gives most of
    them some), after the first `skip` such citizens (which another test books for)."""
    found: list[str] = []
    for card in _cards(client, status="normal"):
        token = _sign_in(client, card)
        if client.appointments(token):
            client.close_citizen_session(token)
            continue
        if skip:
            skip -= 1
            client.close_citizen_session(token)
            continue
        found.append(token)
        if len(found) == count:
            return found
    raise AssertionError(f"the seed has fewer than {count} citizens without appointments")


def _refused(code: str) -> pytest.RaisesExc[CentralError]:
    return pytest.raises(CentralError, check=lambda exc: exc.code == code)


def test_withdrawal_options_assess_every_reason_and_need_a_session(client: CentralClient) -> None:
    token = _sign_in(client, _cards(client, status="normal", has_loan=True)[0])
    answer = client.withdrawal_options(token)
    assert [option.code for option in answer.options] == ["01", "02", "03", "04", "05", "06", "07"]
    assert answer.office
    for option in answer.options:
        assert (option.refusal is None) == option.allowed
        assert option.max_fen >= 0 and (option.allowed or option.max_fen == 0)
    client.close_citizen_session(token)
    with _refused("session_expired"):
        client.withdrawal_options(token)


def test_applications_list_the_seeded_withdrawals_newest_first(client: CentralClient) -> None:
    filed = []
    for card in _cards(client, status="normal", has_loan=True):
        filed = client.applications(_sign_in(client, card))
        if filed:
            break
    assert filed, "no synthetic borrower has a withdrawal this year or last"
    assert [a.created_at for a in filed] == sorted((a.created_at for a in filed), reverse=True)
    for application in filed:
        assert application.kind == "withdrawal" and application.state in ("accepted", "paid")
        assert application.amount_fen and application.amount_fen > 0 and application.card_masked
    with _refused("session_expired"):
        client.applications("not-a-session-token")


def test_change_password_refuses_a_wrong_old_and_a_weak_new_one(client: CentralClient) -> None:
    card = _cards(client, status="normal")[-1]  # no other test here signs this one in
    token = _sign_in(client, card)
    with _refused("sign_in_failed") as wrong_old:
        client.change_password(token, "000000", "582941")
    assert wrong_old.value.data == {"attempts_left": 2}
    with _refused("weak_password") as weak:
        client.change_password(token, DEMO_PASSWORD, "111111")
    assert weak.value.data["reason"] == "all_same" and weak.value.data["zh"] and weak.value.data["en"]
    client.change_password(token, DEMO_PASSWORD, "582941")
    with _refused("sign_in_failed"):
        _sign_in(client, card)
    assert _sign_in(client, card, "582941")


def test_business_types_answer_304_for_the_cached_etag(client: CentralClient) -> None:
    etag, catalogue = client.business_types(None)
    assert etag and catalogue is not None
    loan = next(business for business in catalogue.business_types if business.code == LOAN)
    assert loan.bookable and SHILI in loan.offices
    assert {office.code for office in catalogue.offices} >= set(loan.offices)
    assert client.business_types(etag) == (etag, None)
    assert client.business_types('"a-catalogue-long-gone"') == (etag, catalogue)


def test_business_types_with_a_wrong_terminal_secret_is_refused(
    central: RunningServer, tmp_path: Path
) -> None:
    stranger = CentralClient(
        central.base_url,
        terminal_id=TERMINAL_ID,
        centre_id="00012000",
        secret="not-the-secret",
        sequence=SequenceCounter(tmp_path / "sequence"),
        timeout_s=5,
    )
    with _refused("terminal_unauthorised"):
        stranger.business_types(None)
    stranger.close()


def test_appointment_slots_and_a_business_that_cannot_be_booked(client: CentralClient) -> None:
    token = _sign_in(client, _cards(client, status="normal")[0])
    slots = client.appointment_slots(token, LOAN, SHILI, days=14)
    assert (slots.business, slots.office) == (LOAN, SHILI) and slots.days
    assert [day.date for day in slots.days] == sorted(day.date for day in slots.days)
    assert all(
        day.date.weekday() < 5 and 0 <= s.places_left <= LOAN_PLACES for day in slots.days for s in day.slots
    )
    later = client.appointment_slots(token, LOAN, SHILI, slots.days[-1].date, 1)
    assert [day.date for day in later.days] == [slots.days[-1].date]
    with _refused("not_bookable"):
        client.appointment_slots(token, "transfer", SHILI)


def _free_slot(client: CentralClient, token: str) -> tuple[date, str]:
    """A loan slot at SHILI nobody has booked yet in this module's centre; not today's, which could begin
    between listing and booking."""
    centre_today = datetime.now(CENTRE_TIME).date()
    for day in client.appointment_slots(token, LOAN, SHILI).days:
        for slot in day.slots if day.date > centre_today else ():
            if slot.places_left == LOAN_PLACES:
                return day.date, slot.slot
    raise AssertionError("no free loan slot at SHILI in the horizon")


def test_book_appointment_until_the_slot_is_full(client: CentralClient) -> None:
    first, second, third = (_sign_in(client, card) for card in _cards(client, status="normal")[4:7])
    day, slot = _free_slot(client, first)
    booked = client.book_appointment(first, LOAN, SHILI, day, slot)
    assert (booked.business, booked.office, booked.date, booked.slot) == (LOAN, SHILI, day, slot)
    assert booked.state == "booked" and booked.call_number.startswith("B")
    with _refused("appointment_limit"):
        client.book_appointment(first, LOAN, SHILI, day, slot)
    client.book_appointment(second, LOAN, SHILI, day, slot)
    with _refused("slot_full"):
        client.book_appointment(third, LOAN, SHILI, day, slot)
    with _refused("not_bookable"):
        client.book_appointment(third, LOAN, SHILI, day, "12:00-12:30")  # lunch: no such slot


def test_appointments_list_the_citizens_own(client: CentralClient) -> None:
    holder, other = _without_appointments(client, 2)
    assert client.appointments(holder) == []
    day, slot = _free_slot(client, holder)
    booked = client.book_appointment(holder, LOAN, SHILI, day, slot)
    assert client.appointments(holder) == [booked]
    assert client.appointments(other) == []
    client.close_citizen_session(holder)
    with _refused("session_expired"):
        client.appointments(holder)


def test_cancel_appointment_once_and_only_ones_own(client: CentralClient) -> None:
    holder, other = _without_appointments(client, 2, skip=2)
    day, slot = _free_slot(client, holder)
    booked = client.book_appointment(holder, LOAN, SHILI, day, slot)
    with _refused("not_found"):
        client.cancel_appointment(other, booked.booking_id)
    cancelled = client.cancel_appointment(holder, booked.booking_id)
    assert cancelled == booked.model_copy(update={"state": "cancelled"})
    assert client.appointments(holder) == [cancelled]
    with _refused("cancel_refused"):
        client.cancel_appointment(holder, booked.booking_id)


def test_issue_certificate_deposit_statement_and_no_settled_loan(client: CentralClient) -> None:
    card = _cards(client, status="normal", has_loan=True)[0]
    token = _sign_in(client, card)
    deposit = client.issue_certificate(token, "deposit")
    assert deposit.facts.kind == "deposit" and deposit.facts.id_number == card.id_number
    assert deposit.facts.loan_record == "repaying"
    assert deposit.verify_url == f"{deposit.verify_form_url}/{deposit.code}"
    month = f"{client.account(token).opened_on:%Y-%m}"
    statement = client.issue_certificate(token, "statement", month, month)
    assert statement.facts.kind == "statement" and (
        statement.facts.period_from,
        statement.facts.period_to,
    ) == (
        month,
        month,
    )
    assert statement.code != deposit.code
    # A borrower still repaying has no settled loan: the centre keeps settled loans for others only.
    with _refused("no_settled_loan"):
        client.issue_certificate(token, "loan_settled")


def test_a_model_refuses_a_field_the_contract_does_not_have(client: CentralClient) -> None:
    token = _sign_in(client, _cards(client, status="normal")[1])
    options = client.call("GET", "/v1/citizen/withdrawal/options", citizen=token)
    assert WithdrawalOptions.model_validate(options)
    options["options"][0]["fee_fen"] = 0
    with pytest.raises(ValidationError, match="Extra inputs"):
        WithdrawalOptions.model_validate(options)
    certificate = client.call("POST", "/v1/citizen/certificates", citizen=token, json={"kind": "deposit"})
    assert IssuedCertificate.model_validate(certificate)
    with pytest.raises(ValidationError, match="Extra inputs"):
        IssuedCertificate.model_validate({**certificate, "facts": {**certificate["facts"], "watermark": "x"}})
    with pytest.raises(ValidationError, match="facts are of kind deposit"):
        IssuedCertificate.model_validate({**certificate, "kind": "statement"})
