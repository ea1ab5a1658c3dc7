"""The payload keys: AES-256-GCM keys in one file, readable by the kiosk's user only, each with an id.

Every row records the id of the key that sealed it, so a new key can take over (rotate) while rows sealed
under the old one stay readable; a key is dropped from the file once no row uses it. The associated data
binds a ciphertext to its row's idempotency key and kind: a payload copied onto another row fails to open.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import secrets
import stat
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

KEY_FILE_NAME = "outbox.key"
_NONCE_BYTES = 12


class KeyFileError(Exception):
    """The key file is missing a key, damaged, or readable by others; `str()` says which and what to do."""


@dataclass(frozen=True)
class _Key:
    key_id: str
    aead: AESGCM


class KeyRing:
    def __init__(self, path: Path, active: str, keys: dict[str, bytes]) -> None:
        self.path = path
        self._use(active, keys)

    def _use(self, active: str, keys: dict[str, bytes]) -> None:
        self._active = active
        self._raw = keys
        self._keys = {key_id: _Key(key_id, AESGCM(raw)) for key_id, raw in keys.items()}

    @classmethod
    def load_or_create(cls, data_dir: Path) -> KeyRing:
        path = data_dir / KEY_FILE_NAME
        if not path.exists():
            key_id = _new_key_id()
            _write_atomically(path, key_id, {key_id: AESGCM.generate_key(bit_length=256)}, replace=False)
        return cls._load(path)

    @classmethod
    def _load(cls, path: Path) -> KeyRing:
        mode = path.stat().st_mode
        if mode & (stat.S_IRWXG | stat.S_IRWXO):
            raise KeyFileError(f"{path} is readable by other users (mode {mode & 0o777:o}); chmod 600 it")
        try:
            document = json.loads(path.read_text(encoding="ascii"))
            keys = {key_id: base64.b64decode(raw, validate=True) for key_id, raw in document["keys"].items()}
            active = document["active"]
        except (ValueError, KeyError, TypeError) as exc:
            raise KeyFileError(f"{path} is damaged ({type(exc).__name__}); restore it from backup") from exc
        if active not in keys or any(len(raw) != 32 for raw in keys.values()):
            raise KeyFileError(f"{path} is damaged (active key missing or not 256-bit); restore it")
        return cls(path, active, keys)

    @property
    def active_id(self) -> str:
        return self._active

    @property
    def key_ids(self) -> frozenset[str]:
        return frozenset(self._keys)

    def seal(self, plaintext: bytes, associated: bytes) -> tuple[str, bytes]:
        nonce = os.urandom(_NONCE_BYTES)
        key = self._keys[self._active]
        return key.key_id, nonce + key.aead.encrypt(nonce, plaintext, associated)

    def open(self, key_id: str, blob: bytes, associated: bytes) -> bytes:
        try:
            key = self._keys[key_id]
        except KeyError:
            raise KeyFileError(f"{self.path} lacks key {key_id!r}, which sealed a stored row") from None
        return key.aead.decrypt(blob[:_NONCE_BYTES], blob[_NONCE_BYTES:], associated)

    def rotate(self) -> str:
        """Make a new key the active one; older keys stay until `retire` drops them."""
        key_id = _new_key_id()
        keys = {**self._raw, key_id: AESGCM.generate_key(bit_length=256)}
        _write_atomically(self.path, key_id, keys, replace=True)
        self._use(key_id, keys)
        return key_id

    def retire(self, in_use: set[str]) -> list[str]:
        """Drop every key but the active one that no stored row uses; returns the dropped ids."""
        dropped = sorted(key_id for key_id in self._keys if key_id != self._active and key_id not in in_use)
        if dropped:
            keys = {key_id: raw for key_id, raw in self._raw.items() if key_id not in dropped}
            _write_atomically(self.path, self._active, keys, replace=True)
            self._use(self._active, keys)
        return dropped


def _new_key_id() -> str:
    return "k" + secrets.token_hex(4)


def _write_atomically(path: Path, active: str, keys: dict[str, bytes], *, replace: bool) -> None:
    """Write to a private temporary file, fsync, then move it into place, so a crash leaves the old file
    or the new one, never half of one. Without `replace`, an existing file wins (never overwritten)."""
    document = {"active": active, "keys": {k: base64.b64encode(v).decode() for k, v in keys.items()}}
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="ascii") as handle:
            json.dump(document, handle)
            handle.flush()
            os.fsync(handle.fileno())
        if replace:
            os.replace(tmp, path)
        else:
            with contextlib.suppress(FileExistsError):
                os.link(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)
