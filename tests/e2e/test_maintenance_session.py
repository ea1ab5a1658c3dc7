"""The demo's maintenance session end to end: the demo staff 900001 / 246810 signs in against a real demo
centre on loopback, prints a test slip on the virtual printer over TCP, marks paper replaced, takes the
kiosk out of service (the heartbeat says so; an ID card begins no visit) and back, signs out; the centre's
audit trail (GET /v1/admin/staff-audit) then holds each step."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from central_server.app import create_app
from central_server.testing import RunningServer, serve_in_thread
from kiosk.devices.printer.virtual import VirtualPrinter
from kiosk.offline_queue.outbox import Outbox
from kiosk.offline_queue.states import State
from kiosk.runtime import Runtime, build_runtime
from kiosk.services.citizen import CardHolder
from kiosk.services.maintenance import EXIT_RESTART
from kiosk.services.staff import SignInOutcome
from kiosk.services.visit import OUT_OF_SERVICE
from kiosk.settings import load_settings

TERMINAL_ID = "KIOSK-TEST-01"
OPERATOR = "operator-token-synthetic-0001"
KioskSettings = Callable[..., Path]  # tests/conftest.py's kiosk_settings fixture


@pytest.fixture
def centre(tmp_path: Path) -> Iterator[RunningServer]:
    app = create_app(
        f"sqlite:///{tmp_path / 'central.db'}",
        demo=True,
        terminals={TERMINAL_ID: "test-secret-synthetic"},
        operator_tokens=[OPERATOR],
    )
    with serve_in_thread(app) as server:
        yield server


def _audit(centre: RunningServer) -> list[dict[str, Any]]:
    response = requests.get(
        centre.base_url + "/v1/admin/staff-audit",
        params={"terminal": TERMINAL_ID},
        headers={"Authorization": f"Bearer {OPERATOR}"},
        timeout=10,
    )
    response.raise_for_status()
    rows: list[dict[str, Any]] = response.json()["data"]
    return rows


def test_the_demo_staff_session_reaches_the_centres_audit_trail(
    centre: RunningServer, kiosk_settings: KioskSettings
) -> None:
    with VirtualPrinter(port=0) as printer:
        path = kiosk_settings(extra=f'printer = "{printer.url}?poll_ms=0"')
        path.write_text(path.read_text("utf-8").replace("http://127.0.0.1:9", centre.base_url), "utf-8")
        runtime = build_runtime(load_settings(path))
        runtime.start_background_services()
        try:
            maintenance = runtime.maintenance
            assert maintenance.staff.roster.refresh()
            assert maintenance.staff.sign_in("900001", "000000").outcome is SignInOutcome.WRONG
            signed = maintenance.staff.sign_in("900001", "246810")
            assert signed.outcome is SignInOutcome.OK

            snapshot = maintenance.snapshot()
            assert snapshot.centre.reachable and snapshot.outbox.open and snapshot.service.in_service
            assert {d.name for d in snapshot.devices} == {"idcard", "printer"} and snapshot.paper is not None
            assert maintenance.test_printer().passed
            assert printer.wait_for_jobs(1)
            estimate = maintenance.paper_replaced()
            assert estimate is not None and estimate.used_m == 0

            maintenance.take_out_of_service("maintenance")
            status = runtime.status()
            assert (status["in_service"], status["out_of_service_reason"]) == (False, "maintenance")
            holder = CardHolder(
                name="张测试", id_number="120199199001010012", card_type="resident", expired=False
            )
            assert runtime.visit.card_placed(holder) is OUT_OF_SERVICE
            assert not runtime.visit_active.is_set() and runtime.citizen.holder is None
            runtime.fleet.send_heartbeat()
            maintenance.put_in_service()
            assert runtime.status()["in_service"]
            maintenance.staff.sign_out()

            expected = [
                "sign_in_failed",
                "sign_in",
                "test_printer",
                "paper_replaced",
                "out_of_service",
                "in_service",
                "sign_out",
            ]
            deadline = time.monotonic() + 20
            rows: list[dict[str, Any]] = []
            while time.monotonic() < deadline:
                rows = _audit(centre)
                if len(rows) >= len(expected):
                    break
                time.sleep(0.2)
            assert [row["action"] for row in reversed(rows)] == expected  # newest first
            assert {row["staff_id"] for row in rows} == {"900001"}
            assert next(r for r in rows if r["action"] == "test_printer")["outcome"] == "pass"
            assert next(r for r in rows if r["action"] == "out_of_service")["target"] == "maintenance"
        finally:
            runtime.stop().result(20)


def _kiosk(centre: RunningServer, kiosk_settings: KioskSettings) -> Runtime:
    path = kiosk_settings()
    path.write_text(path.read_text("utf-8").replace("http://127.0.0.1:9", centre.base_url), "utf-8")
    runtime = build_runtime(load_settings(path))
    runtime.start_background_services()
    assert runtime.maintenance.staff.roster.refresh()
    assert runtime.maintenance.staff.sign_in("900002", "135790").outcome is SignInOutcome.OK
    return runtime


def test_dead_items_are_listed_without_their_payload_and_sent_again(
    centre: RunningServer, kiosk_settings: KioskSettings
) -> None:
    """An item the centre refuses dies; staff see its kind and the centre's reason, never its content, and
    sending the dead again makes it due again."""
    runtime = _kiosk(centre, kiosk_settings)
    try:
        outbox = runtime.outbox
        assert outbox is not None
        secret_looking = "an-unlisted-action-of-the-test"
        payload = {"staff_id": "900002", "action": secret_looking, "at": "2026-11-29T10:00:00+08:00"}
        outbox.enqueue("staff_audit_event", payload, "staff-deadtest-1")
        fate = outbox.wait_for_fate("staff-deadtest-1", 20)
        assert fate is not None and fate.state is State.DEAD
        (dead,) = runtime.maintenance.dead_items()
        assert dead.kind == "staff_audit_event" and dead.reason.startswith("rejected")
        assert secret_looking not in repr(dead)
        assert runtime.forwarder is not None
        runtime.forwarder.stop()  # so that the row is seen due again before it is sent and refused again
        assert runtime.maintenance.retry_dead() == 1
        fate = outbox.fate("staff-deadtest-1")
        assert fate is not None and fate.state is State.PENDING
        assert runtime.maintenance.dead_items() == []
    finally:
        runtime.stop().result(20)


def test_restart_stops_the_kiosk_cleanly_then_asks_to_exit_for_the_service_manager(
    centre: RunningServer, kiosk_settings: KioskSettings
) -> None:
    runtime = _kiosk(centre, kiosk_settings)
    exits: list[int] = []
    runtime.maintenance.exit_listeners.append(exits.append)
    report = runtime.maintenance.restart().result(20)
    assert report.clean and exits == [EXIT_RESTART] and not runtime.maintenance.active
    outbox = Outbox.open(runtime.settings.kiosk.data_dir, key_file=runtime.settings.outbox.key_file)
    try:
        kinds = [(item.kind, item.payload["action"]) for item in outbox.waiting(["staff_audit_event"])]
    finally:
        outbox.close()
    # Audited before the stop; sent at the next start (the forwarder stops first, nothing is lost).
    delivered = [row["action"] for row in _audit(centre)]
    assert "restart" in delivered or ("staff_audit_event", "restart") in kinds
