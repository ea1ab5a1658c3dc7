"""A kiosk's fleet side with the real parts (the central client, the fleet agent, the remote configuration
service and its store) but no devices or screen: it heart-beats, polls, applies and reports as kiosks do."""

from pathlib import Path
from typing import Any

from central_server.testing import RunningServer
from kiosk.central import CentralClient
from kiosk.central.fleet import FleetApi
from kiosk.central.sequence import SequenceCounter
from kiosk.remote_config.store import ConfigStore
from kiosk.services.fleet import FleetAgent
from kiosk.services.health import HealthVerdict
from kiosk.services.remote_config import RemoteConfigService
from tests.remote_config.conftest import KIOSKS


class EmulatedKiosk:
    def __init__(
        self,
        central: RunningServer,
        terminal_id: str,
        group: str,
        trusted: Any,
        tmp: Path,
        secret: str | None = None,
    ) -> None:
        self.healthy = True
        self.client = CentralClient(
            central.base_url,
            terminal_id=terminal_id,
            centre_id="00012000",
            secret=secret or KIOSKS[terminal_id],
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
