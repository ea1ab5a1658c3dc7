"""`kiosk-admin audit`, `kiosk-admin fleet`'s service column and `kiosk-admin staff-hash`, against a real
centre on loopback (docs/staff.md)."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from central_server.security import verify_password
from central_server.staff.roster import check_pin_hash
from central_server.testing import RunningServer
from kiosk.remote_config import admin_cli
from tests.central.staff_support import OPERATOR_TOKEN, audit_item, centre, signed_in_kiosk


@pytest.fixture
def server() -> Iterator[RunningServer]:
    with centre() as running:
        yield running


def _admin(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    status = admin_cli.main(list(args))
    out, err = capsys.readouterr()
    return status, out, err


def test_audit_prints_one_line_per_event_in_centre_time(
    server: RunningServer, capsys: pytest.CaptureFixture[str]
) -> None:
    central = ["--central", server.base_url, "--token", OPERATOR_TOKEN]
    assert _admin(capsys, "audit", *central) == (0, "no staff audit events\n", "")
    events = [
        {"staff_id": "900002", "action": "test_printer", "outcome": "fail", "at": "2026-11-27T02:05:09Z"},
        {
            "staff_id": "900002",
            "action": "out_of_service",
            "target": "device_fault",
            "at": "2026-11-27T02:06:00Z",
        },
    ]
    kiosk = signed_in_kiosk(server.base_url, "KIOSK-DEMO-02")
    kiosk.data("POST", "/v1/intake/batch", json={"items": [audit_item(event) for event in events]})
    status, out, _ = _admin(capsys, "audit", "--kiosk", "KIOSK-DEMO-02", *central)
    assert status == 0
    assert out.splitlines() == [
        "2026-11-27 10:06:00  KIOSK-DEMO-02  staff 900002  out_of_service  -  device_fault",
        "2026-11-27 10:05:09  KIOSK-DEMO-02  staff 900002  test_printer  fail  -",
    ]
    _, out, _ = _admin(capsys, "audit", "--json", "--from", "2026-11-27", "--to", "2026-11-27", *central)
    assert [row["action"] for row in json.loads(out)] == ["out_of_service", "test_printer"]
    assert _admin(capsys, "audit", "--kiosk", "KIOSK-DEMO-01", *central)[1] == "no staff audit events\n"


def test_audit_needs_the_operator_token(server: RunningServer, capsys: pytest.CaptureFixture[str]) -> None:
    status, out, err = _admin(capsys, "audit", "--central", server.base_url, "--token", "wrong")
    assert (status, out) == (1, "")
    assert err.startswith("kiosk-admin: ") and "refused (operator_unauthorised)" in err


def test_fleet_shows_whether_each_kiosk_is_in_service(
    server: RunningServer, capsys: pytest.CaptureFixture[str]
) -> None:
    beat = {"app_version": "1.0.0", "config_version": 0, "uptime_s": 5, "connectivity": "online"}
    out_of_service = {
        "in_service": False,
        "out_of_service_reason": "maintenance",
        "out_of_service_since": "2026-11-27T02:30:00Z",
    }
    signed_in_kiosk(server.base_url).data("POST", "/v1/fleet/heartbeat", json={**beat, **out_of_service})
    signed_in_kiosk(server.base_url, "KIOSK-DEMO-02").data("POST", "/v1/fleet/heartbeat", json=beat)
    status, out, _ = _admin(capsys, "fleet", "--central", server.base_url, "--token", OPERATOR_TOKEN)
    assert status == 0
    one, two = out.splitlines()
    assert "  service out (maintenance since 2026-11-27 10:30)  online  " in one
    assert "  service in  online  " in two


def test_staff_hash_prints_a_hash_of_the_pin_typed_twice(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    prompts: list[str] = []

    def typed(prompt: str) -> str:
        prompts.append(prompt)
        return "246810"

    monkeypatch.setattr(admin_cli.getpass, "getpass", typed)
    status, out, err = _admin(capsys, "staff-hash")
    assert (status, err, len(prompts)) == (0, "", 2)
    key, _, value = out.strip().partition(" = ")
    pin_hash = value.strip('"')
    assert key == "pin_hash" and pin_hash.startswith("scrypt$32768$8$1$")
    assert "246810" not in out
    assert check_pin_hash(pin_hash) == pin_hash, "the centre's --staff file takes it"
    assert verify_password("246810", pin_hash) and not verify_password("246811", pin_hash)


@pytest.mark.parametrize(
    ("typed", "error"),
    [
        (["24681"], "staff-hash: a staff PIN is exactly 6 digits 0-9; nothing printed"),
        (["２４６８１０"], "staff-hash: a staff PIN is exactly 6 digits 0-9; nothing printed"),
        (["246810", "246801"], "staff-hash: the two PINs differ; nothing printed"),
    ],
)
def test_staff_hash_refuses_a_bad_or_mistyped_pin(
    typed: list[str], error: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    answers = iter(typed)
    monkeypatch.setattr(admin_cli.getpass, "getpass", lambda prompt: next(answers))
    assert _admin(capsys, "staff-hash") == (1, "", f"kiosk-admin: {error}\n")
