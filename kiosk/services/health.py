"""The kiosk's own health check after a configuration change: is it still able to serve?"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from kiosk.central import CentralError, CentralUnavailable
from kiosk.devices.base import Device, DeviceState


@dataclass(frozen=True)
class HealthVerdict:
    ok: bool
    reason: str = ""


_BROKEN = frozenset({DeviceState.NO_DEVICE, DeviceState.ERROR, DeviceState.OFFLINE})


class KioskHealth:
    """Compares the kiosk with itself before the change: a device that was already broken does not make a
    new configuration look bad, one that broke since does.

    `probe` is an authenticated call to the centre with the terminal token in use (the runtime passes the
    heartbeat): it answers "does the centre answer and still accept this terminal" without logging in
    afresh, which would throw away the token that the forwarder and the citizens' requests share.
    """

    def __init__(self, probe: Callable[[], object], devices: Callable[[], dict[str, Device]]) -> None:
        self._probe = probe
        self._devices = devices
        self._baseline: dict[str, DeviceState] = {}

    def remember_baseline(self) -> None:
        self._baseline = {name: device.state for name, device in self._devices().items()}

    def check(self) -> HealthVerdict:
        try:
            self._probe()
        except CentralError as exc:
            return HealthVerdict(False, f"central refuses this kiosk: {exc.code}")
        except CentralUnavailable as exc:
            # The heartbeat reports a refusal as unavailability; its cause still says which it was.
            if isinstance(exc.__cause__, CentralError):
                return HealthVerdict(False, f"central refuses this kiosk: {exc.__cause__.code}")
            return HealthVerdict(False, f"central unreachable: {exc}")
        for name, device in self._devices().items():
            before = self._baseline.get(name, DeviceState.IDLE)
            if device.state in _BROKEN and before not in _BROKEN:
                return HealthVerdict(False, f"device {name} is {device.state.value} since the change")
        return HealthVerdict(True)
