"""Emulated kiosks and a real central on loopback: heartbeats, reports, and staged rollouts that go group
by group (the centre's groups, not the kiosks' claims) and stop when too many kiosks fail."""

from pathlib import Path
from typing import Any

import pytest
import requests
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from central_server.testing import RunningServer
from kiosk.central import CentralError
from kiosk.remote_config.bundle import key_id, sign_bundle
from kiosk.services.remote_config import Outcome
from tests.remote_config.conftest import OPERATOR_TOKEN, example_config
from tests.remote_config.emulated_kiosk import EmulatedKiosk


def _admin(central: RunningServer, method: str, path: str, body: Any = None) -> Any:
    response = requests.request(
        method,
        central.base_url + path,
        json=body,
        headers={"Authorization": f"Bearer {OPERATOR_TOKEN}"},
        timeout=5,
    )
    envelope = response.json()
    assert envelope["code"] == "ok", envelope
    return envelope["data"]


def _publish(
    central: RunningServer, bundle: dict[str, Any], stages: list[str], max_failures: int = 0
) -> None:
    _admin(
        central,
        "POST",
        "/v1/admin/bundles",
        {"bundle": bundle, "stages": stages, "max_failures": max_failures},
    )


def _rollout(central: RunningServer) -> dict[str, Any]:
    return _admin(central, "GET", "/v1/admin/rollouts")[0]


def _stranger_key() -> dict[str, Any]:
    """Trusted keys of a kiosk that trusts another operator: it refuses every bundle (unknown_key)."""
    public = Ed25519PrivateKey.generate().public_key()
    return {key_id(public): public}


def test_staged_rollout_stops_when_a_kiosk_fails(
    central: RunningServer, trusted, make_bundle, tmp_path: Path
) -> None:
    # The central's records: T1 in g1, T2 in g2, T3 in g3; each kiosk's own setting agrees.
    kiosks = {
        group: EmulatedKiosk(central, terminal_id, group, trusted, tmp_path)
        for terminal_id, group in (("KIOSK-T1", "g1"), ("KIOSK-T2", "g2"), ("KIOSK-T3", "g3"))
    }
    kiosks["g2"].healthy = False
    for kiosk in kiosks.values():
        kiosk.agent.send_heartbeat()
    _publish(central, make_bundle(1, heartbeat_interval_s=30), ["g1", "g2", "g3"])

    assert kiosks["g3"].poll() is None  # its stage has not come yet
    assert kiosks["g1"].poll().outcome == "healthy"
    assert kiosks["g2"].poll().outcome == "rolled_back"
    assert kiosks["g3"].poll() is None  # the rollout stopped before reaching g3

    rollout = _rollout(central)
    assert rollout["state"] == "stopped" and rollout["stage_index"] == 1
    assert "KIOSK-T2" in rollout["stopped_reason"] and "devices no longer open" in rollout["stopped_reason"]
    assert rollout["outcomes"] == {"applied": 2, "healthy": 1, "rolled_back": 1}


def test_rollout_completes_across_all_groups(central_with, trusted, make_bundle, tmp_path: Path) -> None:
    central = central_with({"KIOSK-T1": "g1", "KIOSK-T2": "g2", "KIOSK-T3": "g2"})
    kiosks = [
        EmulatedKiosk(central, tid, group, trusted, tmp_path)
        for tid, group in (("KIOSK-T1", "g1"), ("KIOSK-T2", "g2"), ("KIOSK-T3", "g2"))
    ]
    _publish(central, make_bundle(1), ["g1", "g2"])
    for kiosk in kiosks:
        assert kiosk.poll().outcome == "healthy"
    assert _rollout(central)["state"] == "complete"
    assert kiosks[0].poll() is None  # unchanged: the ETag answers 304


def test_a_kiosk_that_fails_again_and_again_counts_once(
    central_with, trusted, make_bundle, tmp_path: Path
) -> None:
    central = central_with({"KIOSK-T1": "g1", "KIOSK-T2": "g1", "KIOSK-T3": "g1", "KIOSK-T4": "g2"})
    failing = [
        EmulatedKiosk(central, tid, "g1", _stranger_key(), tmp_path) for tid in ("KIOSK-T1", "KIOSK-T2")
    ]
    _publish(central, make_bundle(1), ["g1", "g2"], max_failures=2)

    assert failing[0].poll().outcome == "refused"
    for _ in range(2):  # the same kiosk says so twice more
        failing[0].agent.report(Outcome(1, "refused", "unknown_key: again"))
    assert (_rollout(central)["state"], _rollout(central)["failures"]) == ("running", 1)
    assert failing[1].poll().outcome == "refused"
    assert (_rollout(central)["state"], _rollout(central)["failures"]) == ("running", 2)

    third = EmulatedKiosk(central, "KIOSK-T3", "g1", _stranger_key(), tmp_path)
    assert third.poll().outcome == "refused"
    rollout = _rollout(central)
    assert (rollout["state"], rollout["failures"]) == ("stopped", 3) and "KIOSK-T3" in rollout[
        "stopped_reason"
    ]


def test_tolerated_failures_let_the_stage_settle(central_with, trusted, make_bundle, tmp_path: Path) -> None:
    central = central_with({"KIOSK-T1": "g1", "KIOSK-T2": "g1", "KIOSK-T3": "g2"})
    _publish(central, make_bundle(1), ["g1", "g2"], max_failures=1)
    assert EmulatedKiosk(central, "KIOSK-T1", "g1", trusted, tmp_path).poll().outcome == "healthy"
    assert _rollout(central)["waiting_for"] == ["KIOSK-T2"]
    assert EmulatedKiosk(central, "KIOSK-T2", "g1", _stranger_key(), tmp_path).poll().outcome == "refused"
    assert EmulatedKiosk(central, "KIOSK-T3", "g2", trusted, tmp_path).poll().outcome == "healthy"
    assert _rollout(central)["state"] == "complete"


def test_the_centre_not_the_kiosk_decides_its_group(
    central_with, trusted, make_bundle, tmp_path: Path
) -> None:
    central = central_with({"KIOSK-T1": "g1", "KIOSK-T2": "g2"})
    _publish(central, make_bundle(1), ["g1", "g2"])
    kiosk = EmulatedKiosk(central, "KIOSK-T2", "g2", trusted, tmp_path)

    # Claiming the first stage's group does not fetch its bundle ...
    claim = kiosk.client.http.get(
        central.base_url + "/v1/fleet/config", params={"group": "g1"}, headers=kiosk.client.envelope_headers()
    )
    assert claim.status_code == 404 and claim.json()["code"] == "not_found"
    # ... and a heartbeat cannot carry a group to move the kiosk out of (or into) a stage.
    with pytest.raises(CentralError) as refused:
        kiosk.client.call("POST", "/v1/fleet/heartbeat", json={**kiosk.agent._status(), "group": "g9"})
    assert refused.value.code == "bad_request"
    kiosk.agent.send_heartbeat()
    assert [(row["terminal_id"], row["group"]) for row in _admin(central, "GET", "/v1/admin/fleet")] == [
        ("KIOSK-T1", "g1"),
        ("KIOSK-T2", "g2"),
    ]


def test_a_stage_waits_for_every_kiosk_on_record(central_with, trusted, make_bundle, tmp_path: Path) -> None:
    # T2 has never sent a heartbeat (switched off, or just installed): the stage still waits for it.
    central = central_with({"KIOSK-T1": "g1", "KIOSK-T2": "g1", "KIOSK-T3": "g2"})
    first = EmulatedKiosk(central, "KIOSK-T1", "g1", trusted, tmp_path)
    first.agent.send_heartbeat()
    _publish(central, make_bundle(1), ["g1", "g2"])
    assert first.poll().outcome == "healthy"
    rollout = _rollout(central)
    assert (rollout["stage_index"], rollout["waiting_for"]) == (0, ["KIOSK-T2"])
    assert EmulatedKiosk(central, "KIOSK-T3", "g2", trusted, tmp_path).poll() is None
    fleet = {row["terminal_id"]: row for row in _admin(central, "GET", "/v1/admin/fleet")}
    assert fleet["KIOSK-T2"]["last_seen"] is None and fleet["KIOSK-T2"]["heartbeat"] is None


def test_a_kiosk_cannot_report_on_a_bundle_it_was_not_offered(
    central_with, trusted, make_bundle, tmp_path: Path
) -> None:
    central = central_with({"KIOSK-T1": "g1", "KIOSK-T2": "g2"})
    _publish(central, make_bundle(1), ["g1", "g2"])
    outsider = EmulatedKiosk(central, "KIOSK-T2", "g2", trusted, tmp_path)
    for version in (1, 99):  # its stage has not come; a version nobody published
        with pytest.raises(CentralError) as refused:
            outsider.agent.report(Outcome(version, "refused", "unknown_key: made up"))
        assert refused.value.code == "bad_request" and "not offered" in str(refused.value)
    outsider.agent.report(Outcome(0, "refused", "malformed: not complete JSON"))  # unreadable: still heard
    rollout = _rollout(central)
    assert (rollout["state"], rollout["failures"]) == ("running", 0)


def test_refusals_are_recorded_at_the_central_with_their_reason(
    central: RunningServer, operator, tmp_path: Path
) -> None:
    # The central trusts this operator key, the kiosk trusts a different one: the kiosk must refuse.
    kiosk = EmulatedKiosk(central, "KIOSK-T1", "g1", _stranger_key(), tmp_path)
    kiosk.agent.send_heartbeat()
    _admin(
        central,
        "POST",
        "/v1/admin/bundles",
        {"bundle": sign_bundle(example_config(), version=7, target="kiosk:KIOSK-T1", key=operator[2])},
    )
    assert kiosk.poll().outcome == "refused"
    row = _admin(central, "GET", "/v1/admin/fleet")[0]
    assert row["terminal_id"] == "KIOSK-T1"
    assert row["last_report"]["outcome"] == "refused" and row["last_report"]["reason"].startswith(
        "unknown_key"
    )
    assert row["heartbeat"]["devices"]["idcard"]["state"] == "idle" and row["group"] == "g1"
    assert kiosk.poll() is None  # the same refused bundle is not fetched and reported again


def test_the_central_refuses_forged_or_stale_bundles_and_strangers(
    central: RunningServer, make_bundle
) -> None:
    forged = make_bundle(3)
    forged["config"]["log_level"] = "DEBUG"
    response = requests.post(
        central.base_url + "/v1/admin/bundles",
        json={"bundle": forged},
        headers={"Authorization": f"Bearer {OPERATOR_TOKEN}"},
        timeout=5,
    )
    assert response.json()["code"] == "bad_request" and "bad_signature" in response.json()["message"]
    _admin(central, "POST", "/v1/admin/bundles", {"bundle": make_bundle(3)})
    stale = requests.post(
        central.base_url + "/v1/admin/bundles",
        json={"bundle": make_bundle(2)},
        headers={"Authorization": f"Bearer {OPERATOR_TOKEN}"},
        timeout=5,
    ).json()
    assert stale["code"] == "bad_request" and "not newer" in stale["message"]
    stranger = requests.get(
        central.base_url + "/v1/admin/fleet", headers={"Authorization": "Bearer guess"}, timeout=5
    )
    assert stranger.status_code == 401 and stranger.json()["code"] == "operator_unauthorised"


def test_a_heartbeat_names_the_parts_that_did_not_start(
    central: RunningServer, trusted, tmp_path: Path
) -> None:
    kiosk = EmulatedKiosk(central, "KIOSK-T1", "g1", trusted, tmp_path)
    status = kiosk.agent._status
    problem = {"part": "outbox", "reason": "data/outbox.sqlite: database disk image is malformed"}
    kiosk.agent._status = lambda: {**status(), "problems": [problem]}
    kiosk.agent.send_heartbeat()
    row = _admin(central, "GET", "/v1/admin/fleet")[0]
    assert row["heartbeat"]["problems"] == [problem]
