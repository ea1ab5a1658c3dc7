"""Three emulated kiosks and a real central on loopback: heartbeats, reports, and a staged rollout that
stops when a kiosk rolls back."""

from pathlib import Path
from typing import Any

import requests
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from central_server.testing import RunningServer
from kiosk.central import CentralClient
from kiosk.central.fleet import FleetApi
from kiosk.central.sequence import SequenceCounter
from kiosk.remote_config.bundle import key_id, sign_bundle
from kiosk.remote_config.store import ConfigStore
from kiosk.services.fleet import FleetAgent
from kiosk.services.health import HealthVerdict
from kiosk.services.remote_config import RemoteConfigService
from tests.remote_config.conftest import KIOSKS, OPERATOR_TOKEN, example_config


class EmulatedKiosk:
    def __init__(self, central: RunningServer, terminal_id: str, group: str, trusted: Any, tmp: Path) -> None:
        self.healthy = True
        self.client = CentralClient(
            central.base_url,
            terminal_id=terminal_id,
            centre_id="00012000",
            secret=KIOSKS[terminal_id],
            sequence=SequenceCounter(tmp / terminal_id / "seq"),
            timeout_s=5,
        )
        api = FleetApi(self.client)
        self.remote = RemoteConfigService(
            ConfigStore(tmp / terminal_id / "remote"),
            trusted_keys=trusted,
            kiosk_id=terminal_id,
            group=group,
            apply_live=lambda config: None,
            health_check=lambda: HealthVerdict(
                self.healthy, "" if self.healthy else "devices no longer open"
            ),
            report=lambda outcome: self.agent.report(outcome),
            session_active=lambda: False,
        )
        self.agent = FleetAgent(
            api,
            self.remote,
            group=group,
            poll_interval_s=60,
            heartbeat_interval_s=lambda: 60,
            status=lambda: {
                "app_version": "0.1.0",
                "config_version": self.remote.state.applied_version,
                "uptime_s": 5,
                "devices": {"idcard": {"state": "idle", "detail": ""}},
                "paper": "ok",
                "outbox": {"depth": 0, "oldest_pending_age_s": None},
                "connectivity": "online",
            },
        )
        self.remote.start()

    def poll(self) -> Any:
        return self.agent.poll_config()


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


def test_staged_rollout_stops_when_a_kiosk_fails(
    central: RunningServer, trusted, make_bundle, tmp_path: Path
) -> None:
    kiosks = {
        group: EmulatedKiosk(central, terminal_id, group, trusted, tmp_path)
        for terminal_id, group in zip(KIOSKS, ("g1", "g2", "g3"), strict=True)
    }
    kiosks["g2"].healthy = False
    for kiosk in kiosks.values():
        kiosk.agent.send_heartbeat()
    _admin(
        central,
        "POST",
        "/v1/admin/bundles",
        {"bundle": make_bundle(1, heartbeat_interval_s=30), "stages": ["g1", "g2", "g3"], "max_failures": 0},
    )

    assert kiosks["g3"].poll() is None  # its stage has not come yet
    assert kiosks["g1"].poll().outcome == "healthy"
    assert kiosks["g2"].poll().outcome == "rolled_back"
    assert kiosks["g3"].poll() is None  # the rollout stopped before reaching g3

    (rollout,) = _admin(central, "GET", "/v1/admin/rollouts")
    assert rollout["state"] == "stopped" and rollout["stage_index"] == 1
    assert "KIOSK-T2" in rollout["stopped_reason"] and "devices no longer open" in rollout["stopped_reason"]
    assert rollout["outcomes"] == {"applied": 2, "healthy": 1, "rolled_back": 1}


def test_rollout_completes_across_all_groups(
    central: RunningServer, trusted, make_bundle, tmp_path: Path
) -> None:
    kiosks = [
        EmulatedKiosk(central, tid, group, trusted, tmp_path)
        for tid, group in zip(KIOSKS, ("g1", "g2", "g2"), strict=True)
    ]
    for kiosk in kiosks:
        kiosk.agent.send_heartbeat()
    _admin(central, "POST", "/v1/admin/bundles", {"bundle": make_bundle(1), "stages": ["g1", "g2"]})
    for kiosk in kiosks:
        assert kiosk.poll().outcome == "healthy"
    (rollout,) = _admin(central, "GET", "/v1/admin/rollouts")
    assert rollout["state"] == "complete"
    assert kiosks[0].poll() is None  # unchanged: the ETag answers 304


def test_refusals_are_recorded_at_the_central_with_their_reason(
    central: RunningServer, operator, tmp_path: Path
) -> None:
    # The central trusts this operator key, the kiosk trusts a different one: the kiosk must refuse.
    kiosk_key = Ed25519PrivateKey.generate().public_key()
    kiosk = EmulatedKiosk(central, "KIOSK-T1", "g1", {key_id(kiosk_key): kiosk_key}, tmp_path)
    kiosk.agent.send_heartbeat()
    _admin(
        central,
        "POST",
        "/v1/admin/bundles",
        {"bundle": sign_bundle(example_config(), version=7, target="kiosk:KIOSK-T1", key=operator[2])},
    )
    assert kiosk.poll().outcome == "refused"
    (row,) = _admin(central, "GET", "/v1/admin/fleet")
    assert row["last_report"]["outcome"] == "refused" and row["last_report"]["reason"].startswith(
        "unknown_key"
    )
    assert row["heartbeat"]["devices"]["idcard"]["state"] == "idle" and row["group"] == "g1"
    assert kiosk.poll() is None  # the same refused bundle is not fetched and reported again


def test_the_central_refuses_unsigned_or_stale_bundles_and_strangers(
    central: RunningServer, make_bundle
) -> None:
    forged = make_bundle(3)
    forged["config"]["log_level"] = "DEBUG"
    for body, expected in (({"bundle": forged}, "bad_request"),):
        response = requests.post(
            central.base_url + "/v1/admin/bundles",
            json=body,
            headers={"Authorization": f"Bearer {OPERATOR_TOKEN}"},
            timeout=5,
        )
        assert response.json()["code"] == expected
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
