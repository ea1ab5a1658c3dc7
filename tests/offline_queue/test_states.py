"""The row state machine: property tests over random event sequences."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kiosk.offline_queue.states import Event, InvalidTransition, State, next_state

MAX = 10


def _walk(events: list[tuple[Event, bool]]) -> list[tuple[State, Event, State]]:
    """Apply the events that are allowed from the current state, as the store would; skip the others."""
    state, failures, path = State.PENDING, 0, []
    for event, blamed in events:
        try:
            after = next_state(
                state, event, blamed_failures=failures + blamed, max_attempts=MAX, blamed=blamed
            )
        except InvalidTransition:
            continue
        if event is Event.FAILED:
            failures += blamed
        if event is Event.RETRY:
            failures = 0
        path.append((state, event, after))
        state = after
    return path


events = st.lists(st.tuples(st.sampled_from(list(Event)), st.booleans()), max_size=60)


@given(events)
def test_delivered_is_final(sequence: list[tuple[Event, bool]]) -> None:
    path = _walk(sequence)
    delivered_at = next((i for i, (_, _, after) in enumerate(path) if after is State.DELIVERED), None)
    if delivered_at is not None:
        assert delivered_at == len(path) - 1


@given(events)
def test_only_an_answer_of_the_centre_delivers_and_only_a_claimed_row_is_answered(
    sequence: list[tuple[Event, bool]],
) -> None:
    for before, event, after in _walk(sequence):
        if after is State.DELIVERED:
            assert event in (Event.ACCEPTED, Event.DUPLICATE) and before is State.IN_FLIGHT
        if event in (Event.ACCEPTED, Event.DUPLICATE, Event.REJECTED, Event.CONFLICT, Event.FAILED):
            assert before is State.IN_FLIGHT


@given(events)
def test_silence_never_kills_a_row(sequence: list[tuple[Event, bool]]) -> None:
    for _, event, after in _walk([(event, False) for event, _ in sequence]):
        if after is State.DEAD:
            assert event in (Event.REJECTED, Event.CONFLICT)


@given(st.integers(min_value=1, max_value=50))
def test_blamed_failures_kill_exactly_at_max_attempts(failures: int) -> None:
    after = next_state(State.IN_FLIGHT, Event.FAILED, blamed_failures=failures, max_attempts=MAX, blamed=True)
    assert after is (State.DEAD if failures >= MAX else State.PENDING)


@given(events)
def test_a_row_dies_of_failures_only_after_max_blamed_ones(sequence: list[tuple[Event, bool]]) -> None:
    state, failures = State.PENDING, 0
    for event, blamed in sequence:
        try:
            after = next_state(
                state, event, blamed_failures=failures + blamed, max_attempts=MAX, blamed=blamed
            )
        except InvalidTransition:
            continue
        failures = 0 if event is Event.RETRY else failures + (blamed and event is Event.FAILED)
        if event is Event.FAILED and after is State.DEAD:
            assert blamed and failures >= MAX
        state = after


def test_crash_recovery_and_staff_retry() -> None:
    assert next_state(State.IN_FLIGHT, Event.RECOVER) is State.PENDING
    assert next_state(State.DEAD, Event.RETRY) is State.PENDING
    for state in (State.IN_FLIGHT, State.DELIVERED):
        with pytest.raises(InvalidTransition):
            next_state(state, Event.RETRY)
    with pytest.raises(InvalidTransition):
        next_state(State.DELIVERED, Event.CLAIM)
