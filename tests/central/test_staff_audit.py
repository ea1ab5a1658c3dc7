"""Staff audit events through `POST /v1/intake/batch`, read back with `GET /v1/admin/staff-audit`; the
heartbeat's out-of-service fields in `GET /v1/admin/fleet` (docs/staff.md)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from central_server.testing import RunningServer

from .staff_support import OPERATOR_TOKEN, audit_item, centre, operator_get, signed_in_kiosk

INTAKE = "/v1/intake/batch"
AUDIT = "/v1/admin/staff-audit"


@pytest.fixture(scope="module")
def server() -> Iterator[RunningServer]:
    with centre() as running:
        yield running


def _send(
    base_url: str, items: list[dict[str, Any]], terminal_id: str = "KIOSK-DEMO-01"
) -> list[dict[str, Any]]:
    results: list[dict[str, Any]] = signed_in_kiosk(base_url, terminal_id).data(
        "POST", INTAKE, json={"items": items}
    )["results"]
    return results


def _audit(base_url: str, **params: Any) -> list[dict[str, Any]]:
    response = operator_get(base_url, AUDIT, **params)
    assert response.status_code == 200, response.text
    rows: list[dict[str, Any]] = response.json()["data"]
    return rows


def test_events_posted_through_the_intake_are_listed_newest_first() -> None:
    with centre() as server:
        sign_in = {
            "staff_id": "900001",
            "action": "sign_in",
            "outcome": "pass",
            "at": "2026-11-27T09:58:00+08:00",
        }
        paper = {
            "staff_id": "900001",
            "action": "paper_replaced",
            "target": "printer",
            "at": "2026-11-27T10:01:30+08:00",
        }
        failed = {"staff_id": "unknown", "action": "sign_in_failed", "at": "2026-11-26T18:00:00+08:00"}
        results = _send(server.base_url, [audit_item(sign_in), audit_item(paper)])
        results += _send(server.base_url, [audit_item(failed)], "KIOSK-DEMO-02")
        assert [r["status"] for r in results] == ["accepted"] * 3, results
        rows = _audit(server.base_url)
        assert rows == [
            {
                "at": "2026-11-27T02:01:30Z",
                "terminal_id": "KIOSK-DEMO-01",
                "staff_id": "900001",
                "action": "paper_replaced",
                "outcome": None,
                "target": "printer",
            },
            {
                "at": "2026-11-27T01:58:00Z",
                "terminal_id": "KIOSK-DEMO-01",
                "staff_id": "900001",
                "action": "sign_in",
                "outcome": "pass",
                "target": None,
            },
            {
                "at": "2026-11-26T10:00:00Z",
                "terminal_id": "KIOSK-DEMO-02",
                "staff_id": "unknown",
                "action": "sign_in_failed",
                "outcome": None,
                "target": None,
            },
        ]
        assert [r["action"] for r in _audit(server.base_url, terminal="KIOSK-DEMO-02")] == ["sign_in_failed"]
        assert [
            r["action"] for r in _audit(server.base_url, **{"from": "2026-11-26", "to": "2026-11-26"})
        ] == ["sign_in_failed"]
        assert [r["action"] for r in _audit(server.base_url, limit=1)] == ["paper_replaced"]


def test_a_resent_item_is_listed_once(server: RunningServer) -> None:
    item = audit_item({"staff_id": "900002", "action": "restart", "at": "2026-11-20T08:00:00+08:00"})
    assert [r["status"] for r in _send(server.base_url, [item])] == ["accepted"]
    assert [r["status"] for r in _send(server.base_url, [item])] == ["duplicate"]
    rows = _audit(server.base_url, **{"from": "2026-11-20", "to": "2026-11-20"})
    assert [(r["staff_id"], r["action"]) for r in rows] == [("900002", "restart")]


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"id_number": "120199198001011234"}, "payload field id_number: Extra inputs are not permitted"),
        ({"name": "张测试"}, "payload field name: Extra inputs are not permitted"),
        ({"staff_id": "S001"}, "payload field staff_id: String should match pattern"),
        ({"staff_id": "90000"}, "payload field staff_id: String should match pattern"),
        ({"action": "printer_refill"}, "payload field action: Input should be 'sign_in', 'sign_in_failed'"),
        ({"outcome": "maybe"}, "payload field outcome: Input should be 'pass', 'fail' or 'ok'"),
        ({"target": "card 12019919800101123X"}, "payload field target: String should match pattern"),
        ({"target": "12019919800101123X"}, "payload field target: Value error, looks like an ID number"),
        ({"at": "2026-11-27T10:00:00"}, "payload field at: Input should have timezone info"),
    ],
)
def test_a_payload_outside_the_contract_is_rejected_and_not_listed(
    server: RunningServer, change: dict[str, Any], reason: str
) -> None:
    payload = {
        "staff_id": "900001",
        "action": "test_idcard",
        "outcome": "pass",
        "at": "2026-11-10T10:00:00+08:00",
    }
    (result,) = _send(server.base_url, [audit_item({**payload, **change})])
    assert result["status"] == "rejected" and result["reason"].startswith(reason), result
    for value in change.values():
        assert value not in result["reason"]
    assert _audit(server.base_url, **{"from": "2026-11-10", "to": "2026-11-10"}) == []


def test_the_audit_trail_is_for_operators_only(server: RunningServer) -> None:
    for token in ("", "wrong-token"):
        response = operator_get(server.base_url, AUDIT, token=token)
        assert (response.status_code, response.json()["code"]) == (401, "operator_unauthorised")
    kiosk = signed_in_kiosk(server.base_url)
    assert kiosk.call("GET", AUDIT).json()["code"] == "operator_unauthorised"


def test_from_after_to_is_a_bad_request(server: RunningServer) -> None:
    response = operator_get(server.base_url, AUDIT, **{"from": "2026-11-27", "to": "2026-11-26"})
    assert (response.status_code, response.json()["message"]) == (
        400,
        "query parameter from: must not be after to",
    )


def _heartbeat(**service: Any) -> dict[str, Any]:
    return {"app_version": "1.0.0", "config_version": 0, "uptime_s": 60, "connectivity": "online", **service}


def test_the_heartbeats_service_state_shows_in_the_fleet_view(server: RunningServer) -> None:
    out = {
        "in_service": False,
        "out_of_service_reason": "paper",
        "out_of_service_since": "2026-11-27T10:40:00+08:00",
    }
    signed_in_kiosk(server.base_url).data("POST", "/v1/fleet/heartbeat", json=_heartbeat(**out))
    signed_in_kiosk(server.base_url, "KIOSK-DEMO-02").data("POST", "/v1/fleet/heartbeat", json=_heartbeat())
    fleet = {row["terminal_id"]: row["heartbeat"] for row in _fleet(server)}
    one, two = fleet["KIOSK-DEMO-01"], fleet["KIOSK-DEMO-02"]
    assert (one["in_service"], one["out_of_service_reason"], one["out_of_service_since"]) == (
        False,
        "paper",
        "2026-11-27T10:40:00+08:00",
    )
    assert (two["in_service"], two["out_of_service_reason"], two["out_of_service_since"]) == (
        True,
        None,
        None,
    )


@pytest.mark.parametrize(
    "service",
    [
        {"in_service": False, "out_of_service_reason": "lunch"},
        {"in_service": "no"},
        {"in_service": False, "out_of_service_since": "2026-11-27T10:40:00"},
    ],
)
def test_a_heartbeat_with_a_bad_service_field_is_refused(
    server: RunningServer, service: dict[str, Any]
) -> None:
    kiosk = signed_in_kiosk(server.base_url)
    response = kiosk.call("POST", "/v1/fleet/heartbeat", json=_heartbeat(**service))
    assert (response.status_code, response.json()["code"]) == (400, "bad_request")
    assert next(iter(service.keys() - {"in_service"}), "in_service") in response.json()["message"]


def _fleet(server: RunningServer) -> list[dict[str, Any]]:
    response = operator_get(server.base_url, "/v1/admin/fleet", token=OPERATOR_TOKEN)
    assert response.status_code == 200
    rows: list[dict[str, Any]] = response.json()["data"]
    return rows


def test_the_kiosk_sends_only_actions_the_centre_takes_and_the_centre_knows_each_one() -> None:
    # Two sides of the contract, each with its own list: a new action on one side alone would be refused
    # at the centre (the kiosk's events dead in its outbox) or never sent.
    from typing import get_args

    from central_server.intake_schemas import StaffAction
    from kiosk.services.staff_audit import ACTIONS

    assert set(get_args(StaffAction)) == ACTIONS
