"""Small JSON state files of the maintenance services in the data dir (the staff roster, the lockout, the
paper counter, out of service): written whole and atomically, mode 0600, so a power cut leaves the old
state or the new one and other users of the machine read neither."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

from kiosk.atomic_write import write_atomically

log = logging.getLogger(__name__)


def write_private(path: Path, record: dict[str, Any]) -> None:
    """Write `record` as JSON, atomically, mode 0600. Raises OSError."""
    write_atomically(path, json.dumps(record, ensure_ascii=False).encode("utf-8"), 0o600)


def read_record(path: Path) -> dict[str, Any] | None:
    """The JSON object in `path`; None when there is none, or (logged) when it cannot be read as one."""
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError, RecursionError) as exc:
        log.warning("%s cannot be read (%s); starting from its default", path, type(exc).__name__)
        return None
    if not isinstance(record, dict):
        log.warning("%s does not hold a JSON object; starting from its default", path)
        return None
    return record
