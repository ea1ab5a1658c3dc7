"""The advice rules as pure functions: properties for any profile, and hand-made cases with known answers."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from central_server.advice.rules import (
    MAX_ADVICE,
    RULES,
    Named,
    Profile,
    UpcomingAppointment,
    WaitingPreRegistration,
    advise,
)
from central_server.dates import month_index
from central_server.withdrawal_rules import CitizenFacts, Reason
from kiosk.remote_config.schema import SERVICE_IDS

TODAY = dt.date(2026, 11, 27)  # a Friday
WITHDRAWAL_OFFICE = Named("示例管理部", "Example Office")
WITHDRAWAL = Named("住房公积金提取", "HPF withdrawal")

days = st.dates(dt.date(2024, 1, 1), dt.date(2028, 12, 31))
names = st.builds(Named, st.text(min_size=1, max_size=10), st.text(min_size=1, max_size=20))
facts_strategy = st.builds(
    CitizenFacts,
    account_status=st.sampled_from(["normal", "sealed", "closed"]),
    balance_fen=st.integers(-1_000_00, 5_000_000_00),
    birth_date=st.dates(dt.date(1930, 1, 1), dt.date(2005, 12, 31)),
    loan_outstanding_fen=st.integers(0, 2_000_000_00),
    rent_withdrawals=st.lists(days, max_size=6).map(tuple),
    last_withdrawal=st.lists(st.tuples(st.sampled_from(Reason), days), max_size=4).map(tuple),
    pending=st.frozensets(st.sampled_from(Reason)),
)
profiles = st.builds(
    Profile,
    withdrawal=facts_strategy,
    last_paid_month=st.integers(month_index(dt.date(2020, 1, 1)), month_index(dt.date(2028, 12, 1))),
    overdue_instalments=st.integers(0, 5),
    appointments=st.lists(
        st.builds(UpcomingAppointment, days, st.sampled_from(["09:00-10:00", "14:00-15:00"]), names, names),
        max_size=3,
    ).map(tuple),
    pre_registrations=st.lists(st.builds(WaitingPreRegistration, names, days), max_size=3).map(tuple),
)

BASE = Profile(
    withdrawal=CitizenFacts(
        account_status="normal",
        balance_fen=50_000_00,
        birth_date=dt.date(1980, 5, 17),
        loan_outstanding_fen=0,
    ),
    last_paid_month=month_index(dt.date(2026, 10, 1)),
    overdue_instalments=0,
)


def profile(**changes: Any) -> Profile:
    return dataclasses.replace(BASE, **changes)


def facts(**changes: Any) -> CitizenFacts:
    return dataclasses.replace(BASE.withdrawal, **changes)


def codes(subject: Profile, today: dt.date = TODAY) -> list[str]:
    return [advice.code for advice in advise(subject, today)]


@given(profiles, days)
def test_at_most_three_most_urgent_first_each_rule_once(subject: Profile, today: dt.date) -> None:
    advice = advise(subject, today)
    assert len(advice) <= MAX_ADVICE
    assert [a.priority for a in advice] == sorted(a.priority for a in advice)
    assert len({a.code for a in advice}) == len(advice)
    every = [a for rule in RULES if (a := rule(subject, today)) is not None]
    # Nothing more urgent than the last one kept was left out.
    if advice:
        assert all(a in advice for a in every if a.priority < advice[-1].priority)
    assert advise(subject, today) == advice


@given(profiles, days)
def test_every_advice_is_two_sentences_and_a_kiosk_service(subject: Profile, today: dt.date) -> None:
    for advice in advise(subject, today):
        assert advice.zh and advice.en and re.fullmatch(r"[a-z_]+", advice.code)
        assert advice.action is None or advice.action in SERVICE_IDS
        assert 1 <= advice.priority <= 100


@given(profiles, days)
def test_an_overdue_loan_always_comes_first(subject: Profile, today: dt.date) -> None:
    first = advise(subject, today)[:1]
    assert (first[0].code == "loan_overdue" if first else False) == (subject.overdue_instalments > 0)


@given(profiles, days)
def test_a_closed_account_is_told_only_of_its_loan_and_bookings(subject: Profile, today: dt.date) -> None:
    closed = dataclasses.replace(
        subject, withdrawal=dataclasses.replace(subject.withdrawal, account_status="closed")
    )
    assert set(codes(closed, today)) <= {"loan_overdue", "appointment_tomorrow", "pre_registration_waiting"}


def test_a_citizen_with_nothing_to_do_is_told_nothing() -> None:
    assert advise(BASE, TODAY) == []


def test_an_overdue_instalment_links_to_the_loan() -> None:
    (advice,) = advise(profile(overdue_instalments=2), TODAY)
    assert (advice.code, advice.action, advice.priority) == ("loan_overdue", "loan", 10)
    assert advice.zh == "您的公积金贷款有逾期未还的月供，请尽快还款，以免产生罚息。"


def test_an_appointment_tomorrow_names_the_earliest_slot_and_the_office() -> None:
    tomorrow = TODAY + dt.timedelta(days=1)
    bookings = (
        UpcomingAppointment(tomorrow, "14:00-15:00", WITHDRAWAL, WITHDRAWAL_OFFICE),
        UpcomingAppointment(tomorrow, "09:00-10:00", WITHDRAWAL, WITHDRAWAL_OFFICE),
        UpcomingAppointment(TODAY + dt.timedelta(days=2), "08:00-09:00", WITHDRAWAL, WITHDRAWAL_OFFICE),
    )
    (advice,) = advise(profile(appointments=bookings), TODAY)
    assert advice.code == "appointment_tomorrow" and advice.action == "appointment"
    assert advice.zh == "您明天09:00-10:00在示例管理部有住房公积金提取预约，请带齐材料按时到达。"
    assert advice.en == (
        "You have an appointment tomorrow at 09:00-10:00 at the Example Office (HPF withdrawal); "
        "please bring your papers."
    )
    assert advise(profile(appointments=bookings[2:]), TODAY) == []


def test_a_waiting_pre_registration_says_how_many_days_are_left() -> None:
    soon = WaitingPreRegistration(WITHDRAWAL, TODAY + dt.timedelta(days=2))
    later = WaitingPreRegistration(Named("贷款结清", "Loan settlement"), TODAY + dt.timedelta(days=6))
    (advice,) = advise(profile(pre_registrations=(later, soon)), TODAY)
    assert (advice.code, advice.action) == ("pre_registration_waiting", "status")
    assert advice.zh == "您的住房公积金提取预登记还有2天到期，请带齐材料到柜台办理。"
    assert advice.en == (
        "Your pre-registration for HPF withdrawal expires in 2 days; please bring your papers to the counter."
    )
    today_only = WaitingPreRegistration(WITHDRAWAL, TODAY)
    assert advise(profile(pre_registrations=(today_only,)), TODAY)[0].en.startswith(
        "Your pre-registration for HPF withdrawal expires today"
    )
    expired = WaitingPreRegistration(WITHDRAWAL, TODAY - dt.timedelta(days=1))
    assert advise(profile(pre_registrations=(expired,)), TODAY) == []


def test_deposits_missing_for_three_whole_months_before_this_one() -> None:
    # Today is in November: October, September and August without a deposit is three months.
    assert codes(profile(last_paid_month=month_index(dt.date(2026, 7, 1)))) == ["deposits_stopped"]
    assert codes(profile(last_paid_month=month_index(dt.date(2026, 8, 1)))) == []
    # A sealed account stopped on purpose.
    sealed = profile(
        last_paid_month=month_index(dt.date(2025, 1, 1)), withdrawal=facts(account_status="sealed")
    )
    assert "deposits_stopped" not in codes(sealed)
    (advice,) = advise(profile(last_paid_month=month_index(dt.date(2026, 1, 1))), TODAY)
    assert advice.action == "deposits"


def test_rent_only_for_a_renter_who_has_not_withdrawn_this_month() -> None:
    renter = facts(rent_withdrawals=(dt.date(2026, 8, 27),))
    assert codes(profile(withdrawal=renter)) == ["rent_available"]
    # Never rented, or not within the last 12 months: not advised.
    assert codes(profile(withdrawal=facts(rent_withdrawals=(dt.date(2025, 10, 27),)))) == []
    assert codes(profile(withdrawal=facts(rent_withdrawals=(dt.date(2025, 11, 27),)))) == ["rent_available"]
    # Already this month, or the rules refuse (a loan): not advised.
    this_month = facts(rent_withdrawals=(dt.date(2026, 8, 27), dt.date(2026, 11, 3)))
    assert codes(profile(withdrawal=this_month)) == []
    borrower = dataclasses.replace(renter, loan_outstanding_fen=100_000_00)
    assert codes(profile(withdrawal=borrower)) == []


def test_a_sealed_account_without_a_loan_may_withdraw_on_leaving_the_city() -> None:
    sealed = facts(account_status="sealed")
    (advice,) = advise(profile(withdrawal=sealed), TODAY)
    assert (advice.code, advice.action) == ("sealed_leaving_city", "appointment")
    assert advise(profile(withdrawal=dataclasses.replace(sealed, loan_outstanding_fen=1)), TODAY) == []


def test_the_three_most_urgent_are_kept() -> None:
    busy = profile(
        overdue_instalments=1,
        appointments=(
            UpcomingAppointment(TODAY + dt.timedelta(days=1), "09:00-10:00", WITHDRAWAL, WITHDRAWAL_OFFICE),
        ),
        pre_registrations=(WaitingPreRegistration(WITHDRAWAL, TODAY + dt.timedelta(days=3)),),
        last_paid_month=month_index(dt.date(2026, 1, 1)),
    )
    assert codes(busy) == ["loan_overdue", "appointment_tomorrow", "pre_registration_waiting"]
