"""What can go wrong talking to the centre, split by what the caller should do about it."""

from __future__ import annotations

from typing import Any


class CentralUnavailable(Exception):
    """The centre could not be reached or did not answer properly (network, timeout, 5xx, garbage).

    Worth retrying later; the citizen is told the service is briefly unavailable.
    """


class CentralError(Exception):
    """The centre answered with a definite refusal; `code` is the contract's stable error code."""

    def __init__(self, code: str, message: str, data: dict[str, Any] | None = None) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.data = data or {}
