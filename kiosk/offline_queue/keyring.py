"""The payload keys: AES-256-GCM keys in one file, readable by the kiosk's user only, each with an id, and
one HMAC key for the payload digests.

Every row records the id of the key that sealed it, so a new key can take over (rotate) while rows sealed
under the old one stay readable; a key is dropped from the file once no row uses it. The associated data
binds a ciphertext to its row's idempotency key and kind: a payload copied onto another row fails to open.

The digest key never rotates: a row's digest must stay comparable for as long as the row is kept, and a
delivered row keeps its digest (not its payload) for the retention period. Keyed, so that the digest of a
delivered withdrawal cannot be checked against a guessed ID and card number without the key file.
"""

from __future__ import annotations

import base64
import contextlib
import hmac
import json
import os
import secrets
import stat
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from kiosk.offline_queue.durable import fsync_directory
from kiosk.offline_queue.errors import Cause, OutboxUnavailable

KEY_FILE_NAME = "outbox.key"
_NONCE_BYTES = 12
# HMAC-SHA-256 cut to 128 bits (as RFC 4868 does): ample to tell two payloads apart, half the bytes per row.
DIGEST_BYTES = 16


class SealingKeyMissing(Exception):
    """A stored row names a key the key file does not hold."""


@dataclass(frozen=True)
class _Key:
    key_id: str
    aead: AESGCM


class KeyRing:
    def __init__(self, path: Path, active: str, keys: dict[str, bytes], digest_key: bytes) -> None:
        self.path = path
        self._digest_key = digest_key
        self._use(active, keys)

    def _use(self, active: str, keys: dict[str, bytes]) -> None:
        self._active = active
        self._raw = keys
        self._keys = {key_id: _Key(key_id, AESGCM(raw)) for key_id, raw in keys.items()}
        self._active_key = self._keys[active]

    @classmethod
    def create(cls, path: Path) -> KeyRing:
        """A new key file at `path` (mode 0600, its directory 0700 if it has to be made). An existing file
        is never overwritten: it is loaded instead."""
        key_id = _new_key_id()
        keys = {key_id: AESGCM.generate_key(bit_length=256)}
        _write_atomically(path, key_id, keys, secrets.token_bytes(32), replace=False)
        return cls.load(path)

    @classmethod
    def load(cls, path: Path) -> KeyRing:
        """Raises OutboxUnavailable when the file is readable by others, unreadable or damaged."""
        active, keys, digest_key = _read(path)
        if digest_key is None:
            # A key file from before payload digests: the digest key is added once, the keys kept as they are.
            digest_key = secrets.token_bytes(32)
            _write_atomically(path, active, keys, digest_key, replace=True)
        return cls(path, active, keys, digest_key)

    @property
    def active_id(self) -> str:
        return self._active

    @property
    def key_ids(self) -> frozenset[str]:
        return frozenset(self._keys)

    def seal(self, plaintext: bytes, associated: bytes) -> tuple[str, bytes]:
        nonce = os.urandom(_NONCE_BYTES)
        key = self._active_key
        return key.key_id, nonce + key.aead.encrypt(nonce, plaintext, associated)

    def open(self, key_id: str, blob: bytes, associated: bytes) -> bytes:
        try:
            key = self._keys[key_id]
        except KeyError:
            raise SealingKeyMissing(f"{self.path} lacks key {key_id!r}, which sealed a stored row") from None
        return key.aead.decrypt(blob[:_NONCE_BYTES], blob[_NONCE_BYTES:], associated)

    def digest(self, kind: str, plaintext: bytes) -> bytes:
        """What a transaction is, in DIGEST_BYTES: equal for equal (kind, canonical payload)."""
        return hmac.digest(self._digest_key, kind.encode() + b"\0" + plaintext, "sha256")[:DIGEST_BYTES]

    def rotate(self) -> str:
        """Make a new key the active one; older keys stay until `retire` drops them."""
        key_id = _new_key_id()
        keys = {**self._raw, key_id: AESGCM.generate_key(bit_length=256)}
        _write_atomically(self.path, key_id, keys, self._digest_key, replace=True)
        self._use(key_id, keys)
        return key_id

    def retire(self, in_use: set[str]) -> list[str]:
        """Drop every key but the active one that no stored row uses; returns the dropped ids."""
        dropped = sorted(key_id for key_id in self._keys if key_id != self._active and key_id not in in_use)
        if dropped:
            keys = {key_id: raw for key_id, raw in self._raw.items() if key_id not in dropped}
            _write_atomically(self.path, self._active, keys, self._digest_key, replace=True)
            self._use(self._active, keys)
        return dropped


def key_ids_in(path: Path) -> frozenset[str]:
    """The ids of the keys in the file, read without changing it (for staff commands, which may run as
    another user: a file they rewrote would be theirs). Raises OutboxUnavailable like KeyRing.load."""
    return frozenset(_read(path)[1])


def _read(path: Path) -> tuple[str, dict[str, bytes], bytes | None]:
    try:
        mode = path.stat().st_mode
        if mode & (stat.S_IRWXG | stat.S_IRWXO):
            raise OutboxUnavailable(
                f"{path} is open to other users (mode {mode & 0o777:o}); run `chmod 600 {path}`",
                path,
                Cause.KEY_EXPOSED,
            )
        content = path.read_bytes()
    except OSError as exc:
        raise OutboxUnavailable(
            f"{path}: cannot read the outbox key file ({exc.strerror}); it must belong to the kiosk's user",
            path,
            Cause.KEY_UNREADABLE,
        ) from None
    damaged = f"{path} is damaged"
    try:
        document = json.loads(content)
        keys = {key_id: base64.b64decode(raw, validate=True) for key_id, raw in document["keys"].items()}
        active = document["active"]
        digest = document.get("digest")
        digest_key = None if digest is None else base64.b64decode(digest, validate=True)
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise OutboxUnavailable(
            f"{damaged} ({type(exc).__name__}); restore it from backup", path, Cause.KEY_DAMAGED
        ) from None
    if active not in keys or any(len(raw) != 32 for raw in keys.values()):
        raise OutboxUnavailable(
            f"{damaged} (active key missing or not 256-bit); restore it from backup", path, Cause.KEY_DAMAGED
        )
    if digest_key is not None and len(digest_key) != 32:
        raise OutboxUnavailable(
            f"{damaged} (digest key not 256-bit); restore it from backup", path, Cause.KEY_DAMAGED
        )
    return active, keys, digest_key


def _new_key_id() -> str:
    return "k" + secrets.token_hex(4)


def _write_atomically(
    path: Path, active: str, keys: dict[str, bytes], digest_key: bytes, *, replace: bool
) -> None:
    """Write to a private temporary file, fsync, then move it into place, so a crash leaves the old file
    or the new one, never half of one. Without `replace`, an existing file wins (never overwritten)."""
    document = {
        "active": active,
        "keys": {k: base64.b64encode(v).decode() for k, v in keys.items()},
        "digest": base64.b64encode(digest_key).decode(),
    }
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
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
    fsync_directory(path.parent)
