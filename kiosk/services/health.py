"""The kiosk's own health check after a configuration change: is it still able to serve?"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from kiosk.central import CentralClient, CentralError, CentralUnavailable
from kiosk.devices.base import Device, DeviceState


@dataclass(frozen=True)
class HealthVerdict:
    ok: bool
    reason: str = ""


_BROKEN = frozenset({DeviceState.NO_DEVICE, DeviceState.ERROR, DeviceState.OFFLINE})


class KioskHealth:
    """Compares the kiosk with itself before the change: a device that was already broken does not make a
    new configuration look bad, one that broke since does."""

    def __init__(self, central: CentralClient, devices: Callable[[], dict[str, Device]]) -> None:
        self._central = central
        self._devices = devices
        self._baseline: dict[str, DeviceState] = {}

    def remember_baseline(self) -> None:
        self._baseline = {name: device.state for name, device in self._devices().items()}

    def check(self) -> HealthVerdict:
        try:
            self._central.health()
            self._central.authenticate_terminal()
        except CentralUnavailable as exc:
            return HealthVerdict(False, f"central unreachable: {exc}")
        except CentralError as exc:
            return HealthVerdict(False, f"central refuses this kiosk: {exc.code}")
        for name, device in self._devices().items():
            before = self._baseline.get(name, DeviceState.IDLE)
            if device.state in _BROKEN and before not in _BROKEN:
                return HealthVerdict(False, f"device {name} is {device.state.value} since the change")
        return HealthVerdict(True)
