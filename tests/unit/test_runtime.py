"""The running kiosk without a screen, through its real parts and a real centre on loopback: the end of one
visit against the start of the next, parts that fail to start, a bounded stop, and the health check that
decides a configuration's rollback."""

from __future__ import annotations

import asyncio
import importlib.util
import logging
import socket
import time
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import requests
from fastapi import Request, Response

from central_server.app import create_app
from central_server.testing import RunningServer, serve_in_thread
from kiosk.devices.base import DeviceState
from kiosk.devices.idcard.emulator import SamEmulator
from kiosk.offline_queue.outbox import Outbox
from kiosk.runtime import STOP_DEADLINE_S, Runtime, build_runtime
from kiosk.services.citizen import CardHolder, SignIn
from kiosk.settings import (
    CentralSection,
    DevicesSection,
    DisplaySection,
    KioskSection,
    OutboxSection,
    Settings,
)

TERMINAL_ID = "KIOSK-RT-01"
SECRET = "runtime-secret-synthetic"
OPERATOR_TOKEN = "operator-token-synthetic"
# Any single-face font will do for a runtime without a window; Kivy ships one (found without importing it).
KIVY = importlib.util.find_spec("kivy")
assert KIVY is not None and KIVY.origin is not None
FONT = Path(KIVY.origin).parent / "data" / "fonts" / "Roboto-Regular.ttf"


@dataclass
class CentreTraffic:
    """What the tests make the centre do (answer some requests late) and what it saw."""

    delays: dict[tuple[str, str], float] = field(default_factory=dict)
    logins: int = 0
    sessions_closed: int = 0


@pytest.fixture(scope="module")
def traffic() -> CentreTraffic:
    return CentreTraffic()


@pytest.fixture(scope="module")
def centre(traffic: CentreTraffic) -> Iterator[RunningServer]:
    app = create_app(demo=True, terminals={TERMINAL_ID: SECRET}, operator_tokens=[OPERATOR_TOKEN])

    @app.middleware("http")
    async def slow_down(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        route = (request.method, request.url.path)
        if route == ("POST", "/v1/terminal/auth"):
            traffic.logins += 1
        await asyncio.sleep(traffic.delays.get(route, 0))
        response = await call_next(request)
        if route == ("DELETE", "/v1/citizen/session") and response.status_code == 200:
            traffic.sessions_closed += 1
        return response

    with serve_in_thread(app) as server:
        yield server


@pytest.fixture(autouse=True)
def prompt_centre(traffic: CentreTraffic) -> Iterator[None]:
    yield
    traffic.delays.clear()


@pytest.fixture
def make_runtime(tmp_path: Path) -> Iterator[Callable[..., Runtime]]:
    made: list[Runtime] = []

    def make(
        base_url: str,
        *,
        secret: str = SECRET,
        idcard: str = "sim://",
        printer: str | None = None,
        bankcard: str | None = None,
        timeout_s: float = 3,
        retry_cap_s: float = 300.0,
    ) -> Runtime:
        settings = Settings(
            kiosk=KioskSection(id=TERMINAL_ID, centre_id="00012000", data_dir=tmp_path / f"kiosk{len(made)}"),
            central=CentralSection(base_url=base_url, terminal_secret=secret, timeout_s=timeout_s),
            devices=DevicesSection(idcard=idcard, printer=printer, bankcard=bankcard),
            display=DisplaySection(font=FONT),
            outbox=OutboxSection(
                key_file=tmp_path / f"keys{len(made)}" / "outbox.key", retry_cap_s=retry_cap_s
            ),
        )
        runtime = build_runtime(settings)
        made.append(runtime)
        return runtime

    yield make
    for runtime in made:
        runtime.stop(deadline_s=5).result(timeout=10)


def _citizens(runtime: Runtime) -> list[CardHolder]:
    cards = [c for c in runtime.central.demo_cards() if c.status == "normal"]
    return [CardHolder(c.name, c.id_number, "resident", expired=False) for c in cards]


def _wait(what: str, condition: Callable[[], bool], timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


# -- one visit after another ---------------------------------------------------------------------------


def test_the_end_of_a_visit_never_touches_the_next_one(
    centre: RunningServer, traffic: CentreTraffic, make_runtime: Callable[..., Runtime]
) -> None:
    """The centre answers the session DELETE after 5 s: the next citizen is served meanwhile, and the
    late end of the last visit neither wipes their visit nor lets a configuration in."""
    runtime = make_runtime(centre.base_url, timeout_s=10)
    first, second = _citizens(runtime)[:2]
    traffic.delays[("DELETE", "/v1/citizen/session")] = 5
    runtime.citizen.begin_visit(first)
    runtime.visit_active.set()
    assert runtime.citizen.sign_in("123456").outcome is SignIn.OK
    closed_before = traffic.sessions_closed

    ended = time.monotonic()
    runtime.end_visit()  # on the UI thread: must not wait for the centre
    assert time.monotonic() - ended < 0.5
    assert runtime.citizen.holder is None and not runtime.visit_active.is_set()

    assert runtime.citizen.card_placed(second) is None
    runtime.visit_active.set()
    signed_in = runtime.background.submit(runtime.citizen.sign_in, "123456").result(timeout=3)
    assert signed_in.outcome is SignIn.OK  # not queued behind the last visit's clean-up
    _wait("the first session to close at the centre", lambda: traffic.sessions_closed > closed_before, 15)
    assert time.monotonic() - ended >= 4.5  # it really was the slow DELETE that just finished
    assert runtime.citizen.holder == second and runtime.citizen.signed_in
    assert runtime.visit_active.is_set()


# -- parts that fail to start ---------------------------------------------------------------------------


def _heartbeat_at_centre(centre: RunningServer) -> dict[str, object] | None:
    response = requests.get(
        centre.base_url + "/v1/admin/fleet", headers={"Authorization": f"Bearer {OPERATOR_TOKEN}"}, timeout=5
    )
    kiosk = next((k for k in response.json()["data"] if k["terminal_id"] == TERMINAL_ID), None)
    return kiosk["heartbeat"] if kiosk else None


def test_an_outbox_that_cannot_open_is_reported_and_queries_carry_on(
    centre: RunningServer, make_runtime: Callable[..., Runtime], caplog: pytest.LogCaptureFixture
) -> None:
    runtime = make_runtime(centre.base_url)
    holder = Outbox.open(runtime.settings.kiosk.data_dir)  # another process has it: it cannot open here
    try:
        with caplog.at_level(logging.ERROR, logger="kiosk.runtime"):
            runtime.start_background_services()
    finally:
        holder.close()

    (problem,) = runtime.problems
    assert problem.part == "outbox" and "\n" not in problem.reason and problem.reason
    assert "outbox did not start" in caplog.text and "Traceback (most recent call last)" in caplog.text
    # Nothing may be taken that cannot be kept; the reason says why, for the heartbeat and the staff.
    assert not runtime.transactions_available
    assert runtime.transactions_unavailable_reason == f"the outbox did not open: {problem.reason}"
    # The rest started: the fleet agent reports the problem to the centre; queries work.
    assert runtime.status()["problems"] == [{"part": "outbox", "reason": problem.reason}]
    _wait("the heartbeat at the centre", lambda: _heartbeat_at_centre(centre) is not None)
    assert _heartbeat_at_centre(centre)["problems"] == [{"part": "outbox", "reason": problem.reason}]  # type: ignore[index]
    runtime.citizen.begin_visit(_citizens(runtime)[0])
    assert runtime.citizen.sign_in("123456").outcome is SignIn.OK
    assert runtime.citizen.overview().balance.startswith("¥")


def test_transactions_are_taken_only_while_the_outbox_is_open(
    centre: RunningServer, make_runtime: Callable[..., Runtime]
) -> None:
    runtime = make_runtime(centre.base_url)
    assert not runtime.transactions_available
    assert runtime.transactions_unavailable_reason == "the outbox is not open yet"
    runtime.start_background_services()
    assert runtime.problems == [] and runtime.status()["problems"] == []
    assert runtime.transactions_available and runtime.transactions_unavailable_reason is None
    runtime.stop(deadline_s=5).result(timeout=10)
    assert runtime.transactions_unavailable_reason == "the kiosk is stopping"


def test_the_forwarder_waits_at_most_the_settings_retry_cap(
    centre: RunningServer, make_runtime: Callable[..., Runtime]
) -> None:
    runtime = make_runtime(centre.base_url, retry_cap_s=7.0)
    runtime.start_background_services()
    assert runtime.forwarder is not None
    assert runtime.forwarder.retry.ceiling(50) == 7.0


def test_a_printer_that_cannot_be_made_is_a_problem_not_a_stop(
    centre: RunningServer, make_runtime: Callable[..., Runtime]
) -> None:
    runtime = make_runtime(centre.base_url, printer="escpos+tcp://")  # no host: the driver cannot be made
    runtime.start_background_services()
    assert [p.part for p in runtime.problems] == ["printer"]
    assert runtime.printing is None and runtime.outbox is not None and runtime.transactions_available


def test_the_bank_card_reader_is_started_reported_and_stopped(
    centre: RunningServer, make_runtime: Callable[..., Runtime]
) -> None:
    runtime = make_runtime(centre.base_url, bankcard="sim://?card=pboc_debit_no_holder_id")
    runtime.start_background_services()
    payee = runtime.payee_cards
    assert runtime.problems == [] and payee is not None
    assert runtime.devices["bankcard"] is payee.reader
    _wait("the bank card reader to open", lambda: payee.reader.state is DeviceState.IDLE)
    assert runtime.status()["devices"]["bankcard"]["state"] == "idle"  # in the heartbeat
    assert runtime.status()["heartbeat_interval_s"] == runtime.policy.heartbeat_interval_s
    assert payee.read("120199199001010012", timeout_s=5).pan_masked == "621700*********7896"
    report = runtime.stop(deadline_s=5).result(timeout=10)
    assert "bankcard" in report.stopped and payee.reader.state is DeviceState.CLOSED


def test_without_a_bank_card_reader_there_is_no_payee_card_service(
    centre: RunningServer, make_runtime: Callable[..., Runtime]
) -> None:
    runtime = make_runtime(centre.base_url)
    runtime.start_background_services()
    assert runtime.payee_cards is None and "bankcard" not in runtime.devices


def test_a_bank_card_reader_that_cannot_be_made_is_a_problem_not_a_stop(
    centre: RunningServer, make_runtime: Callable[..., Runtime]
) -> None:
    runtime = make_runtime(centre.base_url, bankcard="pcsc://somehost")  # a pcsc URL has parameters only
    runtime.start_background_services()
    assert [p.part for p in runtime.problems] == ["bankcard"]
    assert runtime.payee_cards is None and runtime.outbox is not None and runtime.transactions_available


# -- stopping ---------------------------------------------------------------------------------------------


def test_stop_is_bounded_when_a_part_hangs(
    centre: RunningServer, traffic: CentreTraffic, make_runtime: Callable[..., Runtime]
) -> None:
    """The fleet agent is stuck in a heartbeat the centre answers after 30 s: the stop still ends within its
    deadline, every other part stopped."""
    runtime = make_runtime(centre.base_url, timeout_s=60)
    traffic.delays[("POST", "/v1/fleet/heartbeat")] = 30
    runtime.start_background_services()
    time.sleep(0.5)  # the agent's first heartbeat is on its way
    started = time.monotonic()
    report = runtime.stop().result(timeout=STOP_DEADLINE_S + 5)
    assert time.monotonic() - started < STOP_DEADLINE_S
    assert report.overran == ["fleet"] and report.left_alone == ["central"]
    assert {"forwarder", "outbox", "idcard", "workers"} <= set(report.stopped)
    assert runtime.idcard.reader.state is DeviceState.CLOSED
    assert runtime.stop() is runtime.stop()  # asked again (a second signal), it is the same stop


def test_the_last_visits_touchpoints_reach_the_outbox_before_it_closes(
    centre: RunningServer, make_runtime: Callable[..., Runtime], tmp_path: Path
) -> None:
    """The kiosk stops right after a visit ended, while its touchpoints are still on their way to the disk
    (held up here): the stop lets them in before it closes the outbox, so the scorecard keeps the visit."""
    runtime = make_runtime(centre.base_url)
    runtime.start_background_services()
    runtime.visit.begin()
    visit_id = runtime.visit.touchpoints.visit_id
    runtime.visit.touchpoints.record("language_changed")  # the lane is busy behind this one for a moment
    runtime.visit._feedback.submit(time.sleep, 0.4)
    runtime.end_visit()
    report = runtime.stop().result(timeout=STOP_DEADLINE_S + 5)
    assert "feedback" in report.stopped and "outbox" in report.stopped
    outbox = Outbox.open(tmp_path / "kiosk0", key_file=tmp_path / "keys0" / "outbox.key")
    try:
        assert outbox.fate(f"tp-{visit_id}-3") is not None  # visit_ended, the third event
    finally:
        outbox.close()


def test_a_stop_before_the_start_starts_nothing(
    centre: RunningServer, make_runtime: Callable[..., Runtime]
) -> None:
    runtime = make_runtime(centre.base_url)
    assert runtime.stop().result(timeout=10).clean
    runtime.start_background_services()
    assert runtime.outbox is None and runtime.idcard.reader.state is DeviceState.CLOSED


# -- the health check after a configuration change --------------------------------------------------------


def test_health_check_passes_without_logging_in_again(
    centre: RunningServer, traffic: CentreTraffic, make_runtime: Callable[..., Runtime]
) -> None:
    runtime = make_runtime(centre.base_url)
    runtime.central.demo_cards()  # the terminal is logged in, as it is long before any configuration
    logins = traffic.logins
    runtime.health.remember_baseline()
    assert runtime.health.check().ok
    assert runtime.health.check().ok
    # The token the forwarder and the citizens' requests share was kept, not thrown away for a new one.
    assert traffic.logins == logins
    assert _heartbeat_at_centre(centre) is not None  # the probe was the heartbeat


def test_health_check_centre_unreachable(make_runtime: Callable[..., Runtime]) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        nobody = f"http://127.0.0.1:{sock.getsockname()[1]}"
    runtime = make_runtime(nobody)
    runtime.health.remember_baseline()
    verdict = runtime.health.check()
    assert not verdict.ok and verdict.reason.startswith("central unreachable: ")


def test_health_check_terminal_refused(centre: RunningServer, make_runtime: Callable[..., Runtime]) -> None:
    runtime = make_runtime(centre.base_url, secret="not-this-terminal-secret")
    runtime.health.remember_baseline()
    verdict = runtime.health.check()
    assert not verdict.ok and verdict.reason == "central refuses this kiosk: terminal_unauthorised"


def test_health_check_device_broken_since_the_change(
    centre: RunningServer, make_runtime: Callable[..., Runtime]
) -> None:
    with SamEmulator() as emulator:
        runtime = make_runtime(centre.base_url, idcard=f"sam+serial://{emulator.path}?baud=115200&poll_ms=50")
        runtime.idcard.start()
        _wait("the reader to open", lambda: runtime.idcard.reader.state is DeviceState.IDLE)
        runtime.health.remember_baseline()
        assert runtime.health.check().ok
        emulator.unplug()  # the cable is pulled after the change
        _wait("the reader to notice", lambda: runtime.idcard.reader.state is DeviceState.NO_DEVICE)
        verdict = runtime.health.check()
        assert not verdict.ok and verdict.reason == "device idcard is no_device since the change"
        # Broken before the change already: that is not the configuration's fault.
        runtime.health.remember_baseline()
        assert runtime.health.check().ok


def test_the_business_types_are_kept_from_the_start_for_offline_pre_registration(
    centre: RunningServer, make_runtime: Callable[..., Runtime]
) -> None:
    runtime = make_runtime(centre.base_url)
    runtime.start_background_services()
    assert (runtime.settings.kiosk.data_dir / "catalogue.json").is_file()
