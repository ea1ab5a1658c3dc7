"""The device model: worker thread, queue, timeouts, cancel, state events, health, statistics."""

from __future__ import annotations

import threading
import time
from concurrent.futures import CancelledError

import pytest

from kiosk.devices.base import (
    CommandCancelled,
    CommandContext,
    CommandTimeout,
    DeviceClosedError,
    DeviceState,
    HealthLevel,
    HealthReport,
    StatusChange,
)

from .support import FakeDevice, Recorder, wait_until


@pytest.fixture
def device() -> FakeDevice:
    fake = FakeDevice()
    yield fake
    fake.close().result(timeout=2)


def test_open_does_not_block_the_caller(device: FakeDevice) -> None:
    device.open_delay = 0.3
    started = time.monotonic()
    future = device.open()
    assert time.monotonic() - started < 0.1
    assert future.result(timeout=2) is DeviceState.IDLE
    assert device.open() is future  # opening twice is harmless


def test_state_events_only_on_change(device: FakeDevice) -> None:
    seen = Recorder()
    unsubscribe = device.subscribe(seen)
    device.open().result(timeout=2)
    for reason in ("a", "b"):
        device.submit(lambda ctx, reason=reason: device._set_state(DeviceState.IDLE, reason)).result(
            timeout=2
        )
    device.submit(lambda ctx: device._set_state(DeviceState.ERROR, "broke")).result(timeout=2)
    unsubscribe()
    device.submit(lambda ctx: device._set_state(DeviceState.IDLE, "fixed")).result(timeout=2)
    assert seen.events == [
        StatusChange(DeviceState.CLOSED, DeviceState.IDLE, "ready"),
        StatusChange(DeviceState.IDLE, DeviceState.ERROR, "broke"),
    ]


def test_a_failing_listener_does_not_stop_the_others(device: FakeDevice) -> None:
    seen = Recorder()
    device.subscribe(lambda event: 1 / 0)
    device.subscribe(seen)
    device.open().result(timeout=2)
    assert len(seen.events) == 1


def test_commands_run_in_order_on_one_worker_thread(device: FakeDevice) -> None:
    device.open()
    threads = [device.submit(lambda ctx: threading.current_thread()) for _ in range(5)]
    order: list[int] = []
    futures = [device.submit(lambda ctx, i=i: order.append(i)) for i in range(20)]
    for future in futures:
        future.result(timeout=2)
    assert order == list(range(20))
    workers = {future.result(timeout=2) for future in threads}
    assert len(workers) == 1 and threading.current_thread() not in workers


def test_a_command_that_overruns_its_timeout_fails_with_command_timeout(device: FakeDevice) -> None:
    device.open()

    def long_command(ctx: CommandContext) -> None:
        while True:
            ctx.sleep(0.01)

    with pytest.raises(CommandTimeout):
        device.submit(long_command, timeout=0.1).result(timeout=2)


def test_a_command_that_expires_while_queued_never_runs(device: FakeDevice) -> None:
    device.open()
    ran = threading.Event()
    blocker = device.submit(lambda ctx: time.sleep(0.2))
    late = device.submit(lambda ctx: ran.set(), timeout=0.05)
    with pytest.raises(CommandTimeout):
        late.result(timeout=2)
    blocker.result(timeout=2)
    assert not ran.is_set()


def test_cancel_reaches_a_running_command(device: FakeDevice) -> None:
    device.open()
    started = threading.Event()

    def wait_forever(ctx: CommandContext) -> None:
        started.set()
        while True:
            ctx.sleep(1.0)

    future = device.submit(wait_forever)
    assert started.wait(2)
    t0 = time.monotonic()
    assert future.cancel() is False  # running: asked to stop, not cancelled outright
    with pytest.raises(CommandCancelled):
        future.result(timeout=2)
    assert time.monotonic() - t0 < 0.2
    assert device.submit(lambda ctx: "still working").result(timeout=2) == "still working"


def test_cancel_of_a_queued_command(device: FakeDevice) -> None:
    device.open()
    blocker = device.submit(lambda ctx: time.sleep(0.1))
    queued = device.submit(lambda ctx: "never")
    assert queued.cancel() is True
    with pytest.raises(CancelledError):
        queued.result(timeout=2)
    blocker.result(timeout=2)


def test_close_cancels_the_running_command_and_fails_the_queued(device: FakeDevice) -> None:
    device.open()
    running = device.submit(lambda ctx: ctx.sleep(10))
    queued = device.submit(lambda ctx: "never")
    wait_until(lambda: running.running(), what="the command to start")
    t0 = time.monotonic()
    device.close().result(timeout=2)
    assert time.monotonic() - t0 < 0.5
    with pytest.raises(CommandCancelled):
        running.result(timeout=0)
    with pytest.raises(DeviceClosedError):
        queued.result(timeout=0)
    assert device.state is DeviceState.CLOSED
    assert device.closed_on is not None and device.closed_on.startswith("device fake")
    with pytest.raises(DeviceClosedError):
        device.submit(lambda ctx: None).result(timeout=0)


def test_a_closed_device_opens_again(device: FakeDevice) -> None:
    device.open().result(timeout=2)
    device.close().result(timeout=2)
    assert device.open().result(timeout=2) is DeviceState.IDLE
    assert device.submit(lambda ctx: 42).result(timeout=2) == 42


def test_polls_run_between_commands_and_a_raising_poll_is_survived(device: FakeDevice) -> None:
    seen = Recorder()
    device.subscribe(seen)
    device.poll = 0.01
    device.open()
    wait_until(lambda: device.polls >= 3, what="polls")
    device.poll_raises = True
    seen.wait_for(lambda events: events[-1].new is DeviceState.ERROR)
    assert seen.events[-1].reason == "driver fault while polling"
    device.poll_raises = False
    seen.wait_for(lambda events: events[-1].new is DeviceState.IDLE)


def test_internal_health_is_immediate_and_external_runs_on_the_worker(device: FakeDevice) -> None:
    internal = device.health(HealthLevel.INTERNAL)
    assert internal.done()
    assert internal.result() == HealthReport(
        False,
        "fake fake://: closed (not opened); commands 0, reads 0, failures 0, communication_errors 0, "
        "timeouts 0, reopen_attempts 0, hours_open 0.00",
    )
    device.open().result(timeout=2)
    assert device.health().result().ok
    external = device.health(HealthLevel.EXTERNAL).result(timeout=2)
    assert external.ok and external.text.startswith("asked on device fake")


def test_statistics_are_a_snapshot_that_reads_like_a_dict(device: FakeDevice) -> None:
    device._count(reads=2, timeouts=1)
    snapshot = device.statistics
    device._count(reads=1)
    assert snapshot["reads"] == 2 and snapshot.reads == 2
    assert dict(snapshot)["timeouts"] == 1
    assert device.statistics.reads == 3
    with pytest.raises(KeyError):
        snapshot["keys"]
    device.reset_statistics()
    assert device.statistics.as_dict() == dict.fromkeys(snapshot.keys(), 0)
