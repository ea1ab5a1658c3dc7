"""Signed configuration bundles: Ed25519 over a canonical JSON form, with a version that only goes up and a
target (all kiosks, a group, or one kiosk).

A bundle file is JSON:

    {"bundle": 1, "version": 7, "target": "group:hall-1", "issued_at": "...", "key_id": "3f2a…",
     "config": {...}, "signature": "<base64>"}

The signature covers every field but `signature`, serialised with sorted keys and no spaces, so a bundle
may be re-serialised in transit (inside the central's JSON envelope) without breaking it.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import os
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from pydantic import ValidationError

from kiosk.remote_config.schema import RemoteConfig

BUNDLE_FORMAT = 1
_TARGET = re.compile(r"^(all|group:[A-Za-z0-9_.-]{1,64}|kiosk:[A-Za-z0-9_.-]{1,64})$")


class BundleRefused(Exception):
    """A bundle the kiosk will not apply. `reason` is a stable code the central records."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail


class KeyFileError(Exception):
    """A key file that cannot be used; `str()` names the file and the problem."""


@dataclass(frozen=True)
class VerifiedBundle:
    version: int
    target: str
    key_id: str
    issued_at: str
    config: RemoteConfig
    raw: dict[str, Any]

    def canonical_bytes(self) -> bytes:
        return json.dumps(self.raw, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


# -- keys -------------------------------------------------------------------------------------------


def key_id(public_key: Ed25519PublicKey) -> str:
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


def generate_keypair(out_dir: Path, name: str = "operator") -> tuple[Path, Path]:
    """Write `<name>.key` (PKCS#8 PEM, mode 0600) and `<name>.pub` (SubjectPublicKeyInfo PEM)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    private = Ed25519PrivateKey.generate()
    key_path, pub_path = out_dir / f"{name}.key", out_dir / f"{name}.pub"
    for path in (key_path, pub_path):
        if path.exists():
            raise KeyFileError(f"{path} already exists; choose another --out or remove it first")
    pem = private.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    # Created 0600 from the start: a private key must never be readable by others, even for a moment.
    fd = _open_private(key_path)
    with open(fd, "wb") as handle:
        handle.write(pem)
    pub_path.write_bytes(
        private.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    return key_path, pub_path


def _open_private(path: Path) -> int:
    return os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)


def load_private_key(path: Path) -> Ed25519PrivateKey:
    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except OSError as exc:
        raise KeyFileError(f"{path}: cannot read: {exc.strerror}") from None
    except (ValueError, TypeError) as exc:
        raise KeyFileError(f"{path}: not a PEM private key ({exc})") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise KeyFileError(f"{path}: not an Ed25519 key (make one with `kiosk-admin keygen`)")
    return key


def load_public_key(path: Path) -> Ed25519PublicKey:
    try:
        key = serialization.load_pem_public_key(path.read_bytes())
    except OSError as exc:
        raise KeyFileError(f"{path}: cannot read: {exc.strerror}") from None
    except (ValueError, TypeError) as exc:
        raise KeyFileError(f"{path}: not a PEM public key ({exc})") from None
    if not isinstance(key, Ed25519PublicKey):
        raise KeyFileError(f"{path}: not an Ed25519 public key")
    return key


# -- signing and verifying --------------------------------------------------------------------------


def _canonical(fields: dict[str, Any]) -> bytes:
    return json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def sign_bundle(
    config: dict[str, Any],
    *,
    version: int,
    target: str,
    key: Ed25519PrivateKey,
    issued_at: datetime | None = None,
) -> dict[str, Any]:
    """A signed bundle for `config`; validates the config and the target first so operators learn of a
    mistake at their desk, not from a fleet of refusals."""
    if version < 1:
        raise ValueError("version must be a positive integer")
    if not _TARGET.match(target):
        raise ValueError(f"target {target!r} must be all, group:NAME or kiosk:ID")
    try:
        RemoteConfig.model_validate(config)
    except ValidationError as exc:
        raise ValueError(f"the configuration does not match the schema: {_first_error(exc)}") from None
    fields = {
        "bundle": BUNDLE_FORMAT,
        "version": version,
        "target": target,
        "issued_at": (issued_at or datetime.now(UTC)).isoformat(timespec="seconds"),
        "key_id": key_id(key.public_key()),
        "config": config,
    }
    signature = key.sign(_canonical(fields))
    return {**fields, "signature": base64.b64encode(signature).decode("ascii")}


def _first_error(exc: ValidationError) -> str:
    error = exc.errors()[0]
    location = ".".join(str(part) for part in error["loc"])
    return f"{location}: {error['msg']}"


def parse_bundle(data: bytes | str | dict[str, Any]) -> dict[str, Any]:
    if isinstance(data, dict):
        return data
    try:
        parsed = json.loads(data)
    except (ValueError, UnicodeDecodeError):
        raise BundleRefused("malformed", "not complete JSON (truncated download?)") from None
    if not isinstance(parsed, dict):
        raise BundleRefused("malformed", "a bundle is a JSON object")
    return parsed


def verify_bundle(
    data: bytes | str | dict[str, Any],
    *,
    trusted_keys: dict[str, Ed25519PublicKey],
    kiosk_id: str,
    group: str | None,
    newer_than: int = 0,
) -> VerifiedBundle:
    """Check format, signature (against the pinned operator keys), version, target and schema, in that
    order: nothing of an unauthenticated bundle is interpreted beyond what finding its key needs."""
    raw = parse_bundle(data)
    required = {"bundle", "version", "target", "issued_at", "key_id", "config", "signature"}
    missing = sorted(required - raw.keys())
    if missing:
        raise BundleRefused("malformed", f"missing fields {missing}")
    extra = sorted(raw.keys() - required)
    if extra:
        raise BundleRefused("malformed", f"unknown fields {extra}")
    if raw["bundle"] != BUNDLE_FORMAT:
        raise BundleRefused("malformed", f"bundle format {raw['bundle']!r} is not {BUNDLE_FORMAT}")
    public = trusted_keys.get(str(raw["key_id"]))
    if public is None:
        raise BundleRefused(
            "unknown_key", f"signed with key {raw['key_id']!r}, which this kiosk does not trust"
        )
    try:
        signature = base64.b64decode(str(raw["signature"]), validate=True)
        public.verify(signature, _canonical({k: v for k, v in raw.items() if k != "signature"}))
    except (InvalidSignature, binascii.Error, ValueError):
        raise BundleRefused("bad_signature", "the signature does not match the bundle") from None
    version = raw["version"]
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise BundleRefused("malformed", "version must be a positive integer")
    if version <= newer_than:
        raise BundleRefused("replayed_version", f"version {version} is not newer than {newer_than}")
    target = str(raw["target"])
    if not _TARGET.match(target):
        raise BundleRefused("malformed", f"target {target!r} is not all, group:NAME or kiosk:ID")
    if not targets(target, kiosk_id, group):
        raise BundleRefused("not_for_this_kiosk", f"target {target} does not include kiosk {kiosk_id}")
    try:
        config = RemoteConfig.model_validate(raw["config"])
    except ValidationError as exc:
        raise BundleRefused("schema_invalid", _first_error(exc)) from None
    return VerifiedBundle(version, target, str(raw["key_id"]), str(raw["issued_at"]), config, raw)


def targets(target: str, kiosk_id: str, group: str | None) -> bool:
    if target == "all":
        return True
    kind, _, name = target.partition(":")
    return (kind == "kiosk" and name == kiosk_id) or (kind == "group" and group is not None and name == group)


def load_trusted_keys(paths: list[Path]) -> dict[str, Ed25519PublicKey]:
    keys = {}
    for path in paths:
        key = load_public_key(path)
        keys[key_id(key)] = key
    return keys
