"""Properties of the kiosk's codes (pre-registration codes, withdrawal claim numbers): the kiosk derives the
same code offline, a counter can type it."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from central_server import preregistration as prereg
from central_server.dates import CENTRE_TZ
from kiosk import transaction_numbers as numbers

terminal_ids = st.from_regex(r"[A-Za-z0-9._-]{1,64}", fullmatch=True)
keys = st.from_regex(r"[A-Za-z0-9._:-]{8,64}", fullmatch=True)


def test_the_code_is_the_documented_derivation() -> None:
    # docs/central-api.md: the first 40 bits of SHA-256("<terminal id>:<key>"), five bits a symbol.
    bits = int.from_bytes(hashlib.sha256(b"KIOSK-DEMO-01:01J0000000000000000000000A").digest()[:5], "big")
    expected = "".join(numbers.ALPHABET[(bits >> (35 - 5 * i)) & 31] for i in range(8))
    assert numbers.kiosk_code("KIOSK-DEMO-01", "01J0000000000000000000000A") == expected


@given(terminal_id=terminal_ids, key=keys)
def test_codes_are_eight_readable_symbols(terminal_id: str, key: str) -> None:
    code = numbers.kiosk_code(terminal_id, key)
    assert len(code) == numbers.CODE_LENGTH and set(code) <= set(numbers.ALPHABET)
    assert not set(code) & set("01IO")
    assert numbers.kiosk_code(terminal_id, key) == code


@given(terminal_id=terminal_ids, key=keys, lower=st.booleans(), spaces=st.booleans())
def test_a_code_typed_as_printed_is_read_back(terminal_id: str, key: str, lower: bool, spaces: bool) -> None:
    code = numbers.kiosk_code(terminal_id, key)
    typed = numbers.readable(code)
    typed = typed.lower() if lower else typed
    typed = f" {typed.replace('-', ' - ')} " if spaces else typed
    assert numbers.parse_code(typed) == code


@given(text=st.text(max_size=20))
def test_any_text_is_a_code_or_none(text: str) -> None:
    code = numbers.parse_code(text)
    assert code is None or (len(code) == numbers.CODE_LENGTH and set(code) <= set(numbers.ALPHABET))


@given(
    taken_at=st.datetimes(
        min_value=datetime(2001, 1, 1), max_value=datetime(2099, 1, 1), timezones=st.just(UTC)
    )
)
def test_a_code_is_good_for_the_day_taken_and_seven_more(taken_at: datetime) -> None:
    taken_day = taken_at.astimezone(CENTRE_TZ).date()
    assert prereg.valid_until(taken_at) == taken_day + timedelta(days=prereg.VALID_DAYS)
