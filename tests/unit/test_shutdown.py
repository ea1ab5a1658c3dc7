"""Stopping the kiosk's parts in order under one deadline, whatever one of them does."""

import threading
import time

from kiosk.services.shutdown import StopStep, stop_in_order


def test_parts_stop_in_the_given_order_each_with_the_time_left() -> None:
    calls: list[tuple[str, float]] = []
    steps = [
        StopStep(name, lambda left, n=name: calls.append((n, left))) for name in ("fleet", "outbox", "idcard")
    ]
    report = stop_in_order(steps, deadline_s=5)
    assert [name for name, _ in calls] == ["fleet", "outbox", "idcard"]
    assert all(0 < left <= 5 for _, left in calls)
    assert report.stopped == ["fleet", "outbox", "idcard"] and report.clean


def test_a_hanging_part_costs_only_the_time_left_and_what_needs_it_is_left_alone() -> None:
    released = threading.Event()
    stopped: list[str] = []
    steps = [
        StopStep("forwarder", lambda _left: released.wait(30)),
        StopStep("outbox", lambda _left: stopped.append("outbox"), needs=("forwarder",)),
        StopStep("idcard", lambda _left: stopped.append("idcard")),
    ]
    started = time.monotonic()
    report = stop_in_order(steps, deadline_s=0.5)
    released.set()
    assert time.monotonic() - started < 1.5
    assert report.overran == ["forwarder"]
    # The outbox is not closed under a forwarder that may still use it; with no time left, the reader is
    # not tried either: the process exit ends both.
    assert report.left_alone == ["outbox", "idcard"] and stopped == []


def test_a_part_that_fails_to_stop_does_not_stop_the_others() -> None:
    def broken(_left: float) -> None:
        raise OSError("the port is gone")

    stopped: list[str] = []
    report = stop_in_order(
        [StopStep("printer", broken), StopStep("idcard", lambda _left: stopped.append("idcard"))],
        deadline_s=5,
    )
    assert report.failed == ["printer"] and report.stopped == ["idcard"] and stopped == ["idcard"]
    assert not report.clean


def test_a_part_takes_no_more_than_its_share() -> None:
    released = threading.Event()
    stopped: list[str] = []
    steps = [
        StopStep("fleet", lambda _left: released.wait(30), most_s=0.3),
        StopStep("idcard", lambda _left: stopped.append("idcard")),
    ]
    started = time.monotonic()
    report = stop_in_order(steps, deadline_s=10)
    released.set()
    assert time.monotonic() - started < 1
    assert report.overran == ["fleet"] and report.stopped == ["idcard"]
