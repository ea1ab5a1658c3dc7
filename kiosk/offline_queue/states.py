"""The life of an outbox row, as a pure function the store applies: what each event does to each state.

    pending ──claim──> in_flight ──accepted/duplicate──> delivered ──purge (after retention)──> gone
       ^                  │  │──rejected / conflict───> dead
       │                  │  │──failed, blamed for the max-th time──> dead
       └──failed/recover──┘                              │
       └──────────────────── staff retry ────────────────┘

A failure is "blamed" on the row when the centre answered (5xx, garbage, bad_request): the row may be what
breaks it. Silence (network down, timeout) is never the row's fault and never kills it: a row is dead-lettered
after `max_attempts` blamed failures, however many silent ones it also had.
"""

from __future__ import annotations

from enum import StrEnum


class State(StrEnum):
    PENDING = "pending"
    IN_FLIGHT = "in_flight"
    DELIVERED = "delivered"
    DEAD = "dead"


class Event(StrEnum):
    CLAIM = "claim"
    ACCEPTED = "accepted"
    DUPLICATE = "duplicate"
    REJECTED = "rejected"
    # The centre holds this idempotency key with another payload: final, like a rejection.
    CONFLICT = "conflict"
    FAILED = "failed"
    RECOVER = "recover"
    RETRY = "retry"


class InvalidTransition(ValueError):
    pass


_SIMPLE: dict[tuple[State, Event], State] = {
    (State.PENDING, Event.CLAIM): State.IN_FLIGHT,
    (State.IN_FLIGHT, Event.ACCEPTED): State.DELIVERED,
    (State.IN_FLIGHT, Event.DUPLICATE): State.DELIVERED,
    (State.IN_FLIGHT, Event.REJECTED): State.DEAD,
    (State.IN_FLIGHT, Event.CONFLICT): State.DEAD,
    (State.IN_FLIGHT, Event.RECOVER): State.PENDING,
    (State.DEAD, Event.RETRY): State.PENDING,
    (State.PENDING, Event.RETRY): State.PENDING,
}


def next_state(
    state: State, event: Event, *, blamed_failures: int = 0, max_attempts: int = 10, blamed: bool = False
) -> State:
    """The state after `event`. For FAILED, `blamed_failures` counts the row's blamed failures including
    this one when it is `blamed`."""
    if event is Event.FAILED:
        if state is not State.IN_FLIGHT:
            raise InvalidTransition(f"{event} from {state}")
        return State.DEAD if blamed and blamed_failures >= max_attempts else State.PENDING
    try:
        return _SIMPLE[(state, event)]
    except KeyError:
        raise InvalidTransition(f"{event} from {state}") from None
