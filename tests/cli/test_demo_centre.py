"""The demo's reference centre as a real child process that the staff panel stops and starts again: the
same port and database after a restart, what waited in the kiosk's outbox delivered at once, a start
that fails said in one line, and no child process left behind."""

from __future__ import annotations

import os
import queue
import random
import socket
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import requests

from kiosk.demo import DemoCentre, DemoParts, demo_operator_keys
from kiosk.devices.idcard.emulator import SamEmulator
from kiosk.devices.printer.virtual import VirtualPrinter
from kiosk.offline_queue.backoff import RetryPolicy
from kiosk.runtime import Runtime, build_runtime
from kiosk.services.demo import DemoError
from kiosk.services.idcard import CardEvent, CardPlaced
from kiosk.settings import Settings, load_settings

PASSWORD = "123456"  # every synthetic citizen's but one (README)


class _FieldBackoff(RetryPolicy):
    """The field's backoff at its longest, every time: without a nudge, nothing that failed while the
    centre was away would go again within a test's patience."""

    def delay(self, failures: int, rng: random.Random) -> float:
        return self.cap_s


@pytest.fixture
def settings(kiosk_settings: Callable[..., Path]) -> Settings:
    return load_settings(kiosk_settings("sim://", 'printer = "sim://"\n'))


@pytest.fixture
def centre(settings: Settings) -> Iterator[DemoCentre]:
    _key, operator_pub = demo_operator_keys(settings.kiosk.data_dir)
    centre = DemoCentre(settings.kiosk.id, settings.central.secret, operator_pub, settings.kiosk.data_dir)
    centre.forget()
    centre.start()
    yield centre
    centre.stop()


def _gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


def _time_wait_on(port: int) -> bool:
    """Whether a connection of the centre's port lingers in TIME_WAIT (state 06 in /proc/net/tcp)."""
    lines = Path("/proc/net/tcp").read_text().splitlines()[1:]
    return any(
        int(fields[1].split(":")[1], 16) == port and fields[3] == "06"
        for fields in (line.split() for line in lines)
    )


def _signed_in(runtime: Runtime, emulator: SamEmulator) -> None:
    demo = runtime.demo
    assert demo is not None
    events: queue.Queue[CardEvent] = queue.Queue()
    runtime.idcard.listen(events.put)
    citizen = next(c for c in demo.citizens() if not c.tags)
    demo.place(citizen)
    deadline = time.monotonic() + 10
    while not isinstance(event := events.get(timeout=max(0.0, deadline - time.monotonic())), CardPlaced):
        pass
    assert runtime.visit.card_placed(event.holder) is None
    assert runtime.citizen.sign_in(PASSWORD).outcome.value == "ok"


def test_a_restart_keeps_port_and_data_and_sends_what_waited_at_once(
    settings: Settings, centre: DemoCentre
) -> None:
    base_url, first = centre.base_url, centre.process
    port = int(base_url.rsplit(":", 1)[1])
    with SamEmulator() as emulator:
        settings = settings.with_overrides(
            central={"base_url": base_url},
            devices={"idcard": f"sam+serial://{emulator.path}?baud=115200&poll_ms=50"},
        )
        runtime = build_runtime(settings, card_placer=emulator, demo_centre=centre)
        runtime.start_background_services()
        try:
            assert runtime.forwarder is not None and runtime.demo is not None
            runtime.forwarder.retry = _FieldBackoff(base_s=600, cap_s=600)
            demo, visit = runtime.demo, runtime.visit
            _signed_in(runtime, emulator)
            business = visit.pre_registration.business_types()[0].code

            demo.stop_centre()
            assert not demo.centre_running and first is not None and _gone(first.pid)
            with pytest.raises(requests.ConnectionError):
                requests.get(f"{base_url}/v1/health", timeout=2)
            registered = visit.pre_registration.register(business)
            assert registered.answer == "waiting"
            assert [i.state for i in visit.applications.listing().items if i.number == registered.code] == [
                "waiting_to_send"
            ]
            # The kiosk's own connections to the port outlive the centre; the new one binds regardless.
            assert _time_wait_on(port)

            demo.start_centre()
            assert demo.centre_running and centre.process is not first
            assert centre.base_url == base_url and demo.verify_page() == f"{base_url}/verify"
            # Delivered at once, not after the backoff; the citizen's session is the one from before.
            deadline = time.monotonic() + 10
            while True:
                listing = visit.applications.listing()
                states = [i.state for i in listing.items if i.number == registered.code]
                if states == ["waiting"] or time.monotonic() > deadline:
                    break
                time.sleep(0.1)
            assert listing.complete and states == ["waiting"]

            # The verify page and a certificate's QR address open on this machine, from the same database.
            token = runtime.citizen.signed_in_citizen().session_token
            issued = runtime.central.issue_certificate(token, "deposit")
            assert issued.verify_url.startswith(demo.verify_page() + "/")
            assert requests.get(demo.verify_page(), timeout=5).status_code == 200
            page = requests.get(issued.verify_url, timeout=5)
            assert page.status_code == 200 and "This certificate is genuine" in page.text
        finally:
            runtime.end_visit()
            assert runtime.stop().result(timeout=30).clean


def test_a_start_that_fails_says_why_in_one_line_and_the_next_one_works(centre: DemoCentre) -> None:
    base_url = centre.base_url
    port = int(base_url.rsplit(":", 1)[1])
    centre.stop()
    squatter = socket.socket()
    try:
        squatter.bind(("127.0.0.1", port))
        squatter.listen()
        with pytest.raises(DemoError) as refused:
            centre.start()
    finally:
        squatter.close()
    message = str(refused.value)
    assert "\n" not in message
    assert message.startswith(f"the reference central did not start: cannot listen on 127.0.0.1:{port}")
    assert message.endswith(f"(its log: {centre.log_path})")
    assert not centre.running

    centre.start()
    assert centre.running and centre.base_url == base_url
    assert requests.get(f"{base_url}/v1/health", timeout=5).status_code == 200


def test_close_stops_whichever_centre_runs_and_leaves_no_child(
    settings: Settings, centre: DemoCentre
) -> None:
    first = centre.process
    centre.stop()
    centre.start()
    second = centre.process
    assert first is not None and second is not None and second.pid != first.pid
    parts = DemoParts(
        centre,
        SamEmulator(),
        VirtualPrinter(out_dir=settings.kiosk.data_dir / "receipts", port=0).start(),
        None,
    )
    parts.close()
    assert not centre.running and centre.process is None
    assert _gone(first.pid) and _gone(second.pid)
    assert second.stdout is not None and second.stdout.closed


def test_each_demo_begins_from_the_synthetic_data(centre: DemoCentre) -> None:
    """What one demo changed (a password, a used-up withdrawal) must not contradict the next one's panel."""
    centre.stop()
    assert centre.database.is_file() and centre.log_path.is_file()
    centre.forget()
    assert not centre.database.exists() and not centre.log_path.exists()
    centre.start()
    assert centre.database.is_file()


def test_each_start_hands_the_secret_over_in_a_file_that_is_gone_once_the_centre_listens(
    settings: Settings, centre: DemoCentre
) -> None:
    for _start in range(2):
        process = centre.process
        assert process is not None
        arguments = Path(f"/proc/{process.pid}/cmdline").read_bytes().decode().split("\0")
        assert settings.central.secret() not in " ".join(arguments)
        terminals = Path(arguments[arguments.index("--terminals") + 1])
        assert terminals.name.startswith("kiosk-demo-terminals-") and not terminals.exists()
        centre.stop()
        centre.start()
