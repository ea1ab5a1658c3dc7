"""The errors every device shares; each driver's own errors derive from ``DeviceError``, so a caller that
catches ``DeviceError`` has caught everything the device layer raises on purpose.

A module of its own so that ``statistics.py`` (which ``base.py`` imports) and the pure codecs and
emulators can raise them without loading the device machinery. ``kiosk.devices.base`` re-exports them;
code that uses a ``Device`` imports them from there.
"""

from __future__ import annotations


class DeviceError(Exception):
    """Base of the errors the device layer raises itself."""


class DeviceConfigError(DeviceError, ValueError):
    """The settings name a driver, URL or parameter that cannot work; fixing them needs a person."""


class DeviceClosedError(DeviceError):
    """A command was submitted to, or still queued on, a device that is closed or closing."""


class CommandCancelled(DeviceError):
    """A running command stopped because someone cancelled it (or the device is closing)."""


class CommandTimeout(DeviceError, TimeoutError):
    """A command did not finish within the timeout given to ``submit``."""
