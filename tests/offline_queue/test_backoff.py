"""Full-jitter backoff stays within its bounds, grows, and does spread."""

from __future__ import annotations

import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kiosk.offline_queue.backoff import RetryPolicy

policies = st.builds(
    lambda base, factor, attempts: RetryPolicy(base_s=base, cap_s=base * factor, max_attempts=attempts),
    st.floats(min_value=0.001, max_value=10),
    st.floats(min_value=1, max_value=10_000),
    st.integers(min_value=1, max_value=20),
)


@given(policies, st.integers(min_value=1, max_value=10_000), st.integers(min_value=0, max_value=2**32))
def test_delay_is_between_zero_and_the_capped_exponential(
    policy: RetryPolicy, failures: int, seed: int
) -> None:
    delay = policy.delay(failures, random.Random(seed))
    ceiling = min(policy.cap_s, policy.base_s * 2 ** min(failures - 1, 62))
    assert 0 <= delay <= ceiling <= policy.cap_s
    assert policy.ceiling(failures) == ceiling


@given(policies, st.integers(min_value=1, max_value=200))
def test_the_ceiling_never_shrinks_as_failures_grow(policy: RetryPolicy, failures: int) -> None:
    assert policy.ceiling(failures) <= policy.ceiling(failures + 1)


def test_jitter_spreads_kiosks_that_failed_together() -> None:
    policy = RetryPolicy(base_s=1, cap_s=300)
    rng = random.Random(7)
    delays = [policy.delay(6, rng) for _ in range(1000)]
    # Full jitter: uniform over [0, 32 s], so both halves of the window are used.
    assert min(delays) < 8 and max(delays) > 24


def test_nonsense_policies_are_refused() -> None:
    with pytest.raises(ValueError):
        RetryPolicy(base_s=10, cap_s=1)
    with pytest.raises(ValueError):
        RetryPolicy(max_attempts=0)
