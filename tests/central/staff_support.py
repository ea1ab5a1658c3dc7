"""Shared by the staff tests: a centre with operators and no seed (quick to start), and staff files."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from central_server.app import create_app
from central_server.staff.roster import StaffEntry
from central_server.testing import RunningServer, serve_in_thread

from .helpers import FIXED_NOW, TERMINALS, Kiosk

OPERATOR_TOKEN = "operator-token-synthetic"


@contextmanager
def centre(db_url: str = "sqlite://", staff: list[StaffEntry] | None = None) -> Iterator[RunningServer]:
    app = create_app(
        db_url, terminals=TERMINALS, clock=lambda: FIXED_NOW, operator_tokens=[OPERATOR_TOKEN], staff=staff
    )
    with serve_in_thread(app) as server:
        yield server


def signed_in_kiosk(base_url: str, terminal_id: str = "KIOSK-DEMO-01") -> Kiosk:
    kiosk = Kiosk(base_url, terminal_id)
    assert kiosk.authenticate().status_code == 200
    return kiosk


def audit_item(payload: dict[str, Any], created_at: str = "2026-11-27T10:00:00+08:00") -> dict[str, Any]:
    """An item as the kiosk's outbox sends one: no visit ticket, a `staff-` key."""
    return {
        "idempotency_key": f"staff-{uuid.uuid4().hex}",
        "kind": "staff_audit_event",
        "created_at": created_at,
        "payload": payload,
    }


def staff_file(directory: Path, text: str, mode: int = 0o600) -> Path:
    path = directory / "staff.toml"
    path.write_text(text, encoding="utf-8")
    path.chmod(mode)
    return path


def operator_get(base_url: str, path: str, token: str = OPERATOR_TOKEN, **params: Any) -> Any:
    import requests

    return requests.get(
        base_url + path, params=params, headers={"Authorization": f"Bearer {token}"}, timeout=10
    )
