"""What can go wrong talking to the centre, split by what the caller should do about it."""

from __future__ import annotations

from typing import Any


class CentralUnavailable(Exception):
    """The centre could not be reached or did not answer properly (network, timeout, 5xx, garbage).

    Worth retrying later; the citizen is told the service is briefly unavailable. `status` is the HTTP
    status when the centre did answer (5xx, or a body that is not an envelope), None when no answer came:
    the outbox treats an answer as possibly caused by what it sent, and silence as the network's fault.
    """

    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class CentralError(Exception):
    """The centre answered with a definite refusal; `code` is the contract's stable error code."""

    def __init__(self, code: str, message: str, data: dict[str, Any] | None = None) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.data = data or {}
