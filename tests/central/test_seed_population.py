"""The demo centre's population and its year of history with faces: 320 citizens, the default data set's 64
first and unchanged, all with obviously fake names and valid ID numbers; a citizen's customer view shows
their year at the kiosks and on other channels; the daily counts match the touchpoints; every caller that
does not ask for more still gets the default 64."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import requests
from fastapi import FastAPI
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from central_server.app import DEFAULT_SEED, create_app
from central_server.crm.models import Touchpoint, TouchpointDay
from central_server.dates import centre_today
from central_server.idnumbers import check_char
from central_server.models import Citizen, CitizenReference
from central_server.seed import CITIZEN_COUNT, DEMO_POPULATION, FEATURED_NAMES, build_dataset
from central_server.testing import RunningServer, serve_in_thread

from .helpers import FIXED_NOW, TERMINALS, Kiosk
from .visits import sign_in

OPERATOR = "population-operator-token-01"
TODAY = centre_today(FIXED_NOW)
FAKE_NAME = re.compile(r"^\w{1,2}(测试|样例|演示|示例)$")


@dataclass
class Demo:
    app: FastAPI
    server: RunningServer

    def session(self) -> Any:
        return self.app.state.context.db.transaction()

    def customer(self, ref: str) -> dict[str, Any]:
        response = requests.get(
            f"{self.server.base_url}/v1/admin/customers/{ref}",
            params={"limit": 500},
            headers={"Authorization": f"Bearer {OPERATOR}"},
            timeout=10,
        )
        assert response.status_code == 200, response.text
        data: dict[str, Any] = response.json()["data"]
        return data


@pytest.fixture(scope="module")
def demo() -> Iterator[Demo]:
    """The demo centre as `kiosk-central serve --demo` builds it, built once for the module."""
    app = create_app(
        demo=True,
        service_history=True,
        terminals=TERMINALS,
        clock=lambda: FIXED_NOW,
        operator_tokens=[OPERATOR],
    )
    with serve_in_thread(app) as server:
        yield Demo(app, server)


def _face(citizen: Citizen) -> tuple[Any, ...]:
    account = citizen.account
    return (
        citizen.name,
        citizen.id_number,
        citizen.gender,
        citizen.nation,
        citizen.birth_date,
        citizen.address,
        citizen.card_valid_from,
        citizen.card_valid_to,
        account.account_no,
        account.status,
        account.balance_fen,
        account.monthly_deposit_fen,
        account.paid_up_to,
        citizen.loan.contract_no if citizen.loan else None,
    )


def test_the_demo_population_is_320_fake_citizens_with_the_default_data_set_first(demo: Demo) -> None:
    kiosk = Kiosk(demo.server.base_url)
    kiosk.authenticate()
    cards = kiosk.data("GET", "/v1/demo/cards")
    assert len(cards) == DEMO_POPULATION == 320
    names = [card["name"] for card in cards]
    assert len(set(names)) == len(names)
    assert all(FAKE_NAME.match(name) or name in FEATURED_NAMES for name in names)
    numbers = [card["id_number"] for card in cards]
    assert len(set(numbers)) == len(numbers)
    for card in cards:
        number = card["id_number"]
        assert number.startswith("120199") and number[17] == check_char(number[:17])
        assert number[6:14] == card["birth_date"].replace("-", "")
        assert card["gender"] == ("male" if int(number[16]) % 2 else "female")
    # The loans, sealed and closed accounts stay with the default data set's citizens.
    assert all(card["status"] == "normal" and not card["has_loan"] for card in cards[CITIZEN_COUNT:])

    default = build_dataset(DEFAULT_SEED, TODAY)
    with demo.session() as session:
        citizens = list(session.scalars(select(Citizen).order_by(Citizen.id)))
        assert [_face(c) for c in citizens[:CITIZEN_COUNT]] == [_face(c) for c in default]
        for citizen in citizens[CITIZEN_COUNT:]:
            records = citizen.account.records
            assert records and records[-1].balance_fen == citizen.account.balance_fen


def _cross_channel_citizen(session: Session) -> tuple[Citizen, str]:
    """A seeded citizen with history on another channel than the kiosk, and the reference it is under."""
    citizen, ref = session.execute(
        select(Citizen, CitizenReference.ref)
        .join(CitizenReference, CitizenReference.citizen_id == Citizen.id)
        .where(
            CitizenReference.ref.in_(
                select(Touchpoint.citizen_ref).where(Touchpoint.channel != "kiosk").distinct()
            )
        )
        .order_by(Citizen.id)
        .limit(1)
    ).one()
    return citizen, ref


def test_a_demo_citizens_customer_view_shows_their_year_across_channels(demo: Demo) -> None:
    with demo.session() as session:
        citizen, seeded_ref = _cross_channel_citizen(session)
    kiosk = Kiosk(demo.server.base_url)
    kiosk.authenticate()
    visitor = sign_in(kiosk, {"id_number": citizen.id_number, "name": citizen.name})
    # The history is under the reference the centre gives this citizen at a sign-in.
    assert visitor.citizen_ref == seeded_ref

    timeline = demo.customer(visitor.citizen_ref)["timeline"]
    history = [e for e in timeline if dt.datetime.fromisoformat(e["at"]).date() < TODAY]
    channels = {entry["channel"] for entry in history}
    assert "kiosk" in channels and len(channels) >= 2
    assert {entry["kind"] for entry in history} >= {"touchpoint"}
    oldest = min(dt.datetime.fromisoformat(e["at"]).date() for e in history)
    assert oldest < TODAY - dt.timedelta(days=60)


def test_kiosk_touchpoints_carry_the_reference_from_the_sign_in_on(demo: Demo) -> None:
    with demo.session() as session:
        kiosk = select(Touchpoint.event, Touchpoint.citizen_ref.is_not(None), func.count()).where(
            Touchpoint.channel == "kiosk"
        )
        counts = {
            (event, named): n
            for event, named, n in session.execute(
                kiosk.group_by(Touchpoint.event, Touchpoint.citizen_ref.is_not(None))
            )
        }
    assert counts.get(("visit_started", True), 0) == 0
    assert counts.get(("sign_in_failed", True), 0) == 0
    assert counts.get(("signed_in", False), 0) == 0
    signed_in_share = counts[("signed_in", True)] / counts[("visit_started", False)]
    assert 0.5 < signed_in_share < 0.7


def _counts(session: Session, model: Any, count: Any) -> dict[tuple[Any, ...], int]:
    """(day, terminal, hall, event) → touchpoints."""
    columns = [getattr(model, name) for name in ("day", "terminal_id", "hall", "event")]
    return {(*key,): n for *key, n in session.execute(select(*columns, count).group_by(*columns))}


def test_the_daily_counts_match_the_touchpoints(demo: Demo) -> None:
    with demo.session() as session:
        stored = _counts(session, TouchpointDay, func.sum(TouchpointDay.touchpoints))
        counted = _counts(session, Touchpoint, func.count())
    assert stored == counted
    assert {hall for _day, _terminal, hall, _event in counted} >= {"web", "wechat", "app", "hotline"}


def test_every_caller_that_does_not_ask_for_more_gets_the_default_64() -> None:
    app = create_app(demo=True, terminals=TERMINALS, clock=lambda: FIXED_NOW)
    with app.state.context.db.transaction() as session:
        assert session.scalar(select(func.count()).select_from(Citizen)) == CITIZEN_COUNT == 64
    with pytest.raises(ValueError, match="citizens: at least 64"):
        build_dataset(DEFAULT_SEED, TODAY, CITIZEN_COUNT - 1)
    with pytest.raises(ValueError, match=r"citizens: at most \d+ \(one distinct fake name each\)"):
        build_dataset(DEFAULT_SEED, TODAY, 10_000)


@settings(max_examples=3, deadline=None)
@given(seed=st.integers(min_value=0, max_value=2**32))
def test_a_larger_population_keeps_the_default_data_set_first_for_any_seed(seed: int) -> None:
    larger = build_dataset(seed, TODAY, CITIZEN_COUNT + 8)
    assert [_face(c) for c in larger[:CITIZEN_COUNT]] == [_face(c) for c in build_dataset(seed, TODAY)]
    assert len({c.name for c in larger}) == len({c.id_number for c in larger}) == CITIZEN_COUNT + 8
