"""Where the kiosk keeps its remote configuration: the bundle in force, the last known good one, a small
state record and a second record of the newest version ever accepted, each written atomically (temp file,
fsync, rename, fsync of the directory) so a power cut leaves either the old file or the new one, never
half of one.

The newest version ever accepted is the floor below which bundles are replays. It is read from four
places (the state record, its own file, and the versions of the two stored bundles) and the highest wins,
so one damaged or deleted file cannot lower it and let an old bundle back in."""

from __future__ import annotations

import json
import logging
import os
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

CURRENT = "current.json"
LAST_GOOD = "last_known_good.json"
STATE = "state.json"
FLOOR = "version_floor.json"


def write_atomically(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    with open(tmp, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)
    directory = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(directory)  # the rename itself must survive a power cut
    finally:
        os.close(directory)


@dataclass
class ConfigState:
    applied_version: int = 0  # the newest version ever accepted: older bundles are replays
    good_version: int = 0  # the version that passed its health check (the last known good)
    on_probation: bool = False  # applied, health check not yet passed
    boots_on_probation: int = 0  # starts since the apply without passing: a crash loop rolls back
    restart_pending: bool = False


class ConfigStore:
    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def load_state(self) -> ConfigState:
        state = self._load_state_record()
        state.applied_version = max(
            state.applied_version,
            _version_in(self._read(FLOOR), "applied_version"),
            _version_in(self.current(), "version"),
            _version_in(self.last_good(), "version"),
        )
        return state

    def _load_state_record(self) -> ConfigState:
        path = self.directory / STATE
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
            defaults = asdict(ConfigState())
            state = ConfigState(**{k: raw[k] for k in defaults if k in raw})
            if any(type(getattr(state, k)) is not type(v) for k, v in defaults.items()):
                raise TypeError("a field of the wrong type")
            return state
        except FileNotFoundError:
            return ConfigState()
        except (ValueError, TypeError, OSError) as exc:
            # A damaged state file must not brick the kiosk: start from "nothing on probation"; the
            # floor survives in the other records.
            log.warning("remote config state %s unreadable (%s); starting afresh", path, type(exc).__name__)
            return ConfigState()

    def save_state(self, state: ConfigState) -> None:
        # The floor's own file first: a power cut between the two writes leaves it the higher one.
        write_atomically(
            self.directory / FLOOR, json.dumps({"applied_version": state.applied_version}).encode()
        )
        write_atomically(self.directory / STATE, json.dumps(asdict(state), indent=2).encode())

    def _read(self, name: str) -> dict[str, Any] | None:
        try:
            return json.loads((self.directory / name).read_bytes())
        except FileNotFoundError:
            return None
        except ValueError:
            log.warning("remote config file %s is damaged; ignoring it", self.directory / name)
            return None

    def current(self) -> dict[str, Any] | None:
        return self._read(CURRENT)

    def last_good(self) -> dict[str, Any] | None:
        return self._read(LAST_GOOD)

    def write_current(self, bundle: bytes) -> None:
        write_atomically(self.directory / CURRENT, bundle)

    def promote_current(self) -> None:
        """The bundle in force passed its health check: it becomes the last known good."""
        data = (self.directory / CURRENT).read_bytes()
        write_atomically(self.directory / LAST_GOOD, data)

    def restore_last_good(self) -> dict[str, Any] | None:
        good = self.last_good()
        if good is None:
            (self.directory / CURRENT).unlink(missing_ok=True)
        else:
            write_atomically(self.directory / CURRENT, (self.directory / LAST_GOOD).read_bytes())
        return good


def _version_in(record: Any, key: str) -> int:
    value = record.get(key) if isinstance(record, dict) else None
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else 0
