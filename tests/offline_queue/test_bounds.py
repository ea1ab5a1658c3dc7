"""The bounds policy: pure property tests, then the outbox applying it (refusal, events)."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kiosk.offline_queue import BacklogChanged, BoundsPolicy, Level, Outbox, OutboxFull
from kiosk.offline_queue.bounds import Usage, level, refusal

from .synthetic import rating, withdrawal

policies = st.builds(
    BoundsPolicy,
    max_rows=st.integers(min_value=1, max_value=1000),
    max_bytes=st.integers(min_value=1, max_value=10**6),
    max_age_s=st.floats(min_value=1, max_value=10**6),
    warn_ratio=st.floats(min_value=0.05, max_value=0.95),
    soft_ceiling=st.floats(min_value=1, max_value=2),
)
sizes = st.integers(min_value=1, max_value=5000)


@given(policies, st.lists(st.tuples(st.booleans(), sizes), max_size=300))
def test_filling_up_never_passes_the_bounds(policy: BoundsPolicy, arrivals: list[tuple[bool, int]]) -> None:
    rows = size = 0
    for money, item in arrivals:
        usage = Usage(rows, size, 0.0)
        if refusal(policy, usage, item, money=money) is None:
            if money:
                assert rows + 1 <= policy.max_rows and size + item <= policy.max_bytes
            rows, size = rows + 1, size + item
    assert rows <= policy.max_rows * policy.soft_ceiling
    assert size <= policy.max_bytes * policy.soft_ceiling


@given(policies, st.integers(0, 2000), st.integers(0, 2 * 10**6), st.floats(0, 2 * 10**6), sizes)
def test_money_is_refused_whenever_the_backlog_is_full(
    policy: BoundsPolicy, rows: int, size: int, age: float, item: int
) -> None:
    usage = Usage(rows, size, age)
    if level(policy, usage)[0] is Level.FULL:
        assert refusal(policy, usage, item, money=True) is not None
    # Whatever refuses other kinds refuses money first.
    if refusal(policy, usage, item, money=False) is not None:
        assert refusal(policy, usage, item, money=True) is not None


@given(policies, st.integers(0, 2000), st.integers(0, 2 * 10**6), st.floats(0, 2 * 10**6))
def test_the_level_follows_the_fullest_bound(policy: BoundsPolicy, rows: int, size: int, age: float) -> None:
    ratio = max(Usage(rows, size, age).ratios(policy).values())
    expected = Level.FULL if ratio >= 1 else Level.WARNING if ratio >= policy.warn_ratio else Level.OK
    assert level(policy, Usage(rows, size, age))[0] is expected


def test_a_full_outbox_refuses_money_with_a_message_key_and_keeps_what_it_took(tmp_path: Path) -> None:
    import random

    rng = random.Random(1)
    policy = BoundsPolicy(max_rows=5, warn_ratio=0.8, soft_ceiling=1.4)
    events: list[object] = []
    box = Outbox.open(tmp_path, bounds=policy)
    box.events.subscribe(events.append)
    receipts = [box.enqueue("withdrawal_application", withdrawal(rng)) for _ in range(5)]
    assert [e for e in events if isinstance(e, BacklogChanged)] == [
        BacklogChanged(Level.WARNING, "rows", 0.8),
        BacklogChanged(Level.FULL, "rows", 1.0),
    ]
    with pytest.raises(OutboxFull) as refused:
        box.enqueue("withdrawal_application", withdrawal(rng))
    assert refused.value.message_key == "outbox_full" and refused.value.bound == "rows"
    assert "张" not in str(refused.value) and "120199" not in str(refused.value)
    # A rating carries no money: taken up to the soft ceiling (7 rows), then refused too.
    box.enqueue("rating", rating(rng))
    box.enqueue("rating", rating(rng))
    with pytest.raises(OutboxFull):
        box.enqueue("rating", rating(rng))
    box.close()
    reopened = Outbox.open(tmp_path, bounds=policy)
    assert reopened.usage().rows == 7 and len(receipts) == 5
    reopened.close()


def test_a_day_old_backlog_refuses_money(tmp_path: Path) -> None:
    import random

    now = [1_800_000_000.0]
    box = Outbox.open(tmp_path, bounds=BoundsPolicy(max_age_s=3600), clock=lambda: now[0])
    box.enqueue("rating", rating(random.Random(2)))
    now[0] += 3600
    with pytest.raises(OutboxFull) as refused:
        box.enqueue("withdrawal_application", withdrawal(random.Random(3)))
    assert refused.value.bound == "age"
    box.enqueue("rating", rating(random.Random(4)))
    box.close()
