"""The speaker's volume as hall staff set it in maintenance mode, kept across restarts; until they do, the
settings' `[voice] volume`."""

from __future__ import annotations

import logging
from pathlib import Path

from kiosk.atomic_write import write_atomically

log = logging.getLogger(__name__)


class VolumeStore:
    def __init__(self, path: Path, default: int) -> None:
        self.path = path
        self.default = default

    def load(self) -> int:
        """The stored volume, or the default when none was stored or the file is unreadable."""
        try:
            value = int(self.path.read_text(encoding="ascii").strip())
        except FileNotFoundError:
            return self.default
        except (OSError, ValueError, UnicodeDecodeError) as exc:
            log.warning(
                "voice volume in %s unreadable (%s): using %d", self.path, type(exc).__name__, self.default
            )
            return self.default
        return max(0, min(100, value))

    def save(self, volume: int) -> None:
        """Blocking (disk): call it on a worker. Raises OSError."""
        write_atomically(self.path, f"{max(0, min(100, volume))}\n".encode("ascii"), 0o644)
