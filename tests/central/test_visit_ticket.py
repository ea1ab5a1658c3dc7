"""The visit ticket's format: only what the centre signed verifies; the verifier fails only its own way."""

from __future__ import annotations

import base64
import json
import secrets
import string

import pytest
from hypothesis import given
from hypothesis import strategies as st

from central_server import visit_ticket
from central_server.visit_ticket import Claims, TicketInvalid, TicketRefused

KEY = bytes(range(32))
NOW = 1_795_000_000


def _ticket(**changes: object) -> str:
    claims = visit_ticket.new_claims("C" + "ab" * 16, "KIOSK-DEMO-01", NOW)
    return visit_ticket.encode(Claims(**{**claims.__dict__, **changes}), KEY)


def _signed(claims: object, key: bytes = KEY) -> str:
    """Any JSON signed as a ticket is, so the claims' own checks can be reached."""
    body = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    return f"{body}.{visit_ticket._b64(visit_ticket._mac(key, body))}"


def test_a_ticket_verifies_to_its_claims() -> None:
    claims = visit_ticket.new_claims("Cref", "KIOSK-DEMO-01", NOW)
    assert visit_ticket.verify(visit_ticket.encode(claims, KEY), KEY) == claims
    assert claims.exp - claims.iat == 30 * 60


def test_a_ticket_signed_with_another_key_is_invalid() -> None:
    with pytest.raises(TicketInvalid):
        visit_ticket.verify(_ticket(), secrets.token_bytes(32))


_EDITS = st.one_of(
    st.tuples(st.just("replace"), st.integers(0, 10_000), st.characters()),
    st.tuples(st.just("insert"), st.integers(0, 10_000), st.characters()),
    st.tuples(st.just("delete"), st.integers(0, 10_000), st.just("")),
)


@given(edits=st.lists(_EDITS, min_size=1, max_size=4))
def test_no_mutation_of_a_ticket_verifies(edits: list[tuple[str, int, str]]) -> None:
    original = _ticket()
    text = original
    for operation, at, char in edits:
        at %= len(text) + (operation == "insert") or 1
        if operation == "replace":
            text = text[:at] + char + text[at + 1 :]
        elif operation == "insert":
            text = text[:at] + char + text[at:]
        else:
            text = text[:at] + text[at + 1 :]
    if text == original:
        return
    with pytest.raises(TicketInvalid):
        visit_ticket.verify(text, KEY)


@given(
    st.one_of(
        st.text(),
        st.text(alphabet="ABCabc012-_.=", max_size=80),
        st.binary().map(lambda b: base64.urlsafe_b64encode(b).decode() + "." + _ticket().split(".")[1]),
        st.none(),
        st.integers(),
        st.lists(st.text()),
    )
)
def test_the_verifier_raises_only_its_own_error_on_any_input(value: object) -> None:
    with pytest.raises(TicketInvalid):
        visit_ticket.verify(value, KEY)


def test_no_single_character_change_of_a_ticket_verifies() -> None:
    """Every position, every character a ticket may hold: the last one of each part carries unused bits,
    and a change there alone must not decode to the same bytes and verify."""
    original = _ticket()
    alphabet = string.ascii_letters + string.digits + "-_.="
    for at in range(len(original)):
        for char in alphabet.replace(original[at], ""):
            with pytest.raises(TicketInvalid):
                visit_ticket.verify(original[:at] + char + original[at + 1 :], KEY)


_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=10),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=7),
    max_leaves=10,
)


def _is_a_tickets(claims: object) -> bool:
    if not isinstance(claims, dict) or set(claims) != {"v", "ref", "tid", "iat", "exp", "jti"}:
        return False
    integers = all(type(claims[name]) is int for name in ("v", "iat", "exp"))
    return integers and claims["v"] == 1 and all(type(claims[name]) is str for name in ("ref", "tid", "jti"))


@given(
    st.one_of(
        _JSON,
        st.fixed_dictionaries({name: _JSON for name in ("v", "ref", "tid", "iat", "exp", "jti")}),
    ).filter(lambda claims: not _is_a_tickets(claims))
)
def test_signed_claims_that_are_not_a_tickets_are_invalid(claims: object) -> None:
    """Even under a good signature (a key leak, a future format): wrong names or types never pass."""
    with pytest.raises(TicketInvalid):
        visit_ticket.verify(_signed(claims), KEY)


@pytest.mark.parametrize(
    "claims",
    [
        {"v": 1, "ref": "C", "tid": "K", "iat": True, "exp": 2, "jti": "j"},
        {"v": 2, "ref": "C", "tid": "K", "iat": 1, "exp": 2, "jti": "j"},
        {"v": 1, "ref": "C", "tid": "K", "iat": 1, "exp": 2.0, "jti": "j"},
        {"v": 1, "ref": "C", "tid": "K", "iat": 1, "exp": 2, "jti": "j", "id_number": "x"},
    ],
)
def test_claims_of_the_wrong_type_version_or_shape_are_invalid(claims: dict[str, object]) -> None:
    with pytest.raises(TicketInvalid):
        visit_ticket.verify(_signed(claims), KEY)


@given(offset=st.integers(-10 * 3600, 10 * 3600))
def test_a_ticket_covers_its_terminal_from_a_minute_before_issue_to_its_expiry(offset: int) -> None:
    claims = visit_ticket.new_claims("Cref", "KIOSK-DEMO-01", NOW)
    created = NOW + offset
    if created > claims.exp:
        expected: str | None = visit_ticket.EXPIRED
    elif created < claims.iat - 60:
        expected = visit_ticket.NOT_YET_ISSUED
    else:
        expected = None
    try:
        visit_ticket.check_use(claims, "KIOSK-DEMO-01", created)
        refused = None
    except TicketRefused as refusal:
        refused = str(refusal)
    assert refused == expected
    with pytest.raises(TicketRefused, match=r"^visit ticket issued to another terminal$"):
        visit_ticket.check_use(claims, "KIOSK-DEMO-02", created)


def test_the_window_edges_are_inclusive() -> None:
    claims = visit_ticket.new_claims("Cref", "KIOSK-DEMO-01", NOW)
    visit_ticket.check_use(claims, "KIOSK-DEMO-01", claims.exp)
    visit_ticket.check_use(claims, "KIOSK-DEMO-01", claims.iat - 60)
    with pytest.raises(TicketRefused):
        visit_ticket.check_use(claims, "KIOSK-DEMO-01", claims.exp + 0.001)


@given(st.integers(1, 10**9), st.integers(1, 10**9))
def test_citizen_references_are_stable_and_tell_citizens_apart(first: int, second: int) -> None:
    assert visit_ticket.citizen_ref(first, KEY) == visit_ticket.citizen_ref(first, KEY)
    assert (visit_ticket.citizen_ref(first, KEY) == visit_ticket.citizen_ref(second, KEY)) == (
        first == second
    )
    assert visit_ticket.citizen_ref(first, KEY) != visit_ticket.citizen_ref(first, bytes(32))
