"""Client for the centre's API (docs/central-api.md). Knows HTTP and the contract, nothing of screens."""

from kiosk.central.client import CentralClient
from kiosk.central.errors import CentralError, CentralUnavailable

__all__ = ["CentralClient", "CentralError", "CentralUnavailable"]
