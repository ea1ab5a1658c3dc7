"""Small JSON state files of the maintenance services in the data dir (the staff roster, the lockout, the
paper counter, out of service): written whole and atomically, mode 0600, so a power cut leaves the old
state or the new one and other users of the machine read neither."""

from __future__ import annotations

import contextlib
import json
import logging
import os
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)


def write_private(path: Path, record: dict[str, Any]) -> None:
    """Write `record` as JSON: a temporary file (0600), fsynced, renamed over `path`, the directory
    synced. Raises OSError."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as file:
            json.dump(record, file, ensure_ascii=False)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            temporary.unlink()
        raise
    directory = os.open(path.parent, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)


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
