"""Signed configuration bundles: Ed25519 over a canonical JSON form, with a version that only goes up, a
target (all kiosks, a group, or one kiosk) and an expiry.

A bundle file is JSON:

    {"bundle": 2, "version": 7, "target": "group:hall-1", "issued_at": "...", "expires_at": "...",
     "key_id": "3f2a…", "config": {...}, "signature": "<base64>"}

The signature covers every field but `signature`, serialised with sorted keys and no spaces, so a bundle
may be re-serialised in transit (inside the central's JSON envelope) without breaking it.

This module and `schema.py` import no Kivy, devices or HTTP: the reference centre runs the same checks
(`verify_publishable`) before it publishes a bundle.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import os
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from pydantic import ValidationError

from kiosk.remote_config.schema import RemoteConfig

BUNDLE_FORMAT = 2  # 2 added expires_at
_FIELDS = frozenset(
    {"bundle", "version", "target", "issued_at", "expires_at", "key_id", "config", "signature"}
)
_TARGET = re.compile(r"^(all|group:[A-Za-z0-9_.-]{1,64}|kiosk:[A-Za-z0-9_.-]{1,64})$")
# A real bundle is a few kilobytes and seven levels deep; the bounds are checked before JSON parsing
# (size) and right after it (depth), so a hostile bundle costs neither memory nor the interpreter's stack.
MAX_BUNDLE_BYTES = 64 * 1024
MAX_DEPTH = 32
MAX_VERSION = 2**31 - 1  # the centre keeps versions in 32-bit INTEGER columns
MAX_VERSION_STEP = 1000  # how far above the newest accepted version a bundle may be
DEFAULT_VALIDITY_DAYS = 30
MAX_VALIDITY_DAYS = 365


class BundleRefused(Exception):
    """A bundle the kiosk will not apply. `reason` is a stable code the central records."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail


class OperatorKeyFileError(Exception):
    """A key file that cannot be used; `str()` names the file and the problem."""


@dataclass(frozen=True)
class VerifiedBundle:
    version: int
    target: str
    key_id: str
    issued_at: datetime
    expires_at: datetime
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
            raise OperatorKeyFileError(f"{path} already exists; choose another --out or remove it first")
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
        raise OperatorKeyFileError(f"{path}: cannot read: {exc.strerror}") from None
    except (ValueError, TypeError) as exc:
        raise OperatorKeyFileError(f"{path}: not a PEM private key ({exc})") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise OperatorKeyFileError(f"{path}: not an Ed25519 key (make one with `kiosk-admin keygen`)")
    return key


def load_public_key(path: Path) -> Ed25519PublicKey:
    try:
        key = serialization.load_pem_public_key(path.read_bytes())
    except OSError as exc:
        raise OperatorKeyFileError(f"{path}: cannot read: {exc.strerror}") from None
    except (ValueError, TypeError) as exc:
        raise OperatorKeyFileError(f"{path}: not a PEM public key ({exc})") from None
    if not isinstance(key, Ed25519PublicKey):
        raise OperatorKeyFileError(f"{path}: not an Ed25519 public key")
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
    expires_in: timedelta = timedelta(days=DEFAULT_VALIDITY_DAYS),
) -> dict[str, Any]:
    """A signed bundle for `config`. It is put through the kiosks' own checks before it is returned, so
    operators learn of a mistake at their desk, not from a fleet of refusals."""
    issued = (issued_at or datetime.now(UTC)).replace(microsecond=0)
    public_key = key.public_key()
    fields = {
        "bundle": BUNDLE_FORMAT,
        "version": version,
        "target": target,
        "issued_at": issued.isoformat(),
        "expires_at": (issued + expires_in).isoformat(),
        "key_id": key_id(public_key),
        "config": config,
    }
    bundle = {**fields, "signature": base64.b64encode(key.sign(_canonical(fields))).decode("ascii")}
    try:
        verify_publishable(bundle, trusted_keys={key_id(public_key): public_key}, now=issued)
    except BundleRefused as exc:
        if exc.reason == "schema_invalid":
            raise ValueError(f"the configuration does not match the schema: {exc.detail}") from None
        raise ValueError(exc.detail) from None
    return bundle


def _first_error(exc: ValidationError) -> str:
    error = exc.errors()[0]
    location = ".".join(str(part) for part in error["loc"])
    return f"{location}: {error['msg']}"


def _nested_within(value: Any, limit: int) -> bool:
    """Iterative, so a hostile nesting cannot exhaust the interpreter's stack here either."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children: Any = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        if depth > limit:
            return False
        stack.extend((child, depth + 1) for child in children)
    return True


def parse_bundle(data: bytes | str | dict[str, Any]) -> dict[str, Any]:
    """The bundle as a JSON object, bounded in size and nesting before anything else looks at it."""
    if isinstance(data, dict):
        parsed: Any = data
    else:
        if len(data) > MAX_BUNDLE_BYTES:
            raise BundleRefused("malformed", f"larger than {MAX_BUNDLE_BYTES} bytes")
        try:
            parsed = json.loads(data)
        except (ValueError, UnicodeDecodeError):
            raise BundleRefused("malformed", "not complete JSON (truncated download?)") from None
        except RecursionError:
            raise BundleRefused("malformed", f"nested deeper than {MAX_DEPTH} levels") from None
    if not isinstance(parsed, dict):
        raise BundleRefused("malformed", "a bundle is a JSON object")
    if not _nested_within(parsed, MAX_DEPTH):
        raise BundleRefused("malformed", f"nested deeper than {MAX_DEPTH} levels")
    if isinstance(data, dict) and len(_canonical(parsed)) > MAX_BUNDLE_BYTES:
        raise BundleRefused("malformed", f"larger than {MAX_BUNDLE_BYTES} bytes")
    return parsed


def _authenticated(raw: dict[str, Any], trusted_keys: dict[str, Ed25519PublicKey]) -> None:
    """Format, fields, key and signature: nothing of an unauthenticated bundle is interpreted beyond what
    finding its key needs."""
    if raw.get("bundle") != BUNDLE_FORMAT:
        raise BundleRefused(
            "malformed",
            f"bundle format {raw.get('bundle')!r} is not {BUNDLE_FORMAT} (sign it again with kiosk-admin)",
        )
    missing = sorted(_FIELDS - raw.keys())
    if missing:
        raise BundleRefused("malformed", f"missing fields {missing}")
    extra = sorted(raw.keys() - _FIELDS)
    if extra:
        raise BundleRefused("malformed", f"unknown fields {extra}")
    public = trusted_keys.get(str(raw["key_id"]))
    if public is None:
        raise BundleRefused(
            "unknown_key", f"signed with key {raw['key_id']!r}, which is not a trusted operator key"
        )
    try:
        signature = base64.b64decode(str(raw["signature"]), validate=True)
        public.verify(signature, _canonical({k: v for k, v in raw.items() if k != "signature"}))
    except (InvalidSignature, binascii.Error, ValueError):
        raise BundleRefused("bad_signature", "the signature does not match the bundle") from None


def _timestamp(raw: dict[str, Any], name: str) -> datetime:
    value = raw[name]
    try:
        moment = datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None:
        raise BundleRefused(
            "malformed", f"{name} must be a time with a UTC offset, e.g. 2026-12-01T08:00:00+00:00"
        )
    return moment


@dataclass(frozen=True)
class _Header:
    version: int
    target: str
    issued_at: datetime
    expires_at: datetime


def _header(raw: dict[str, Any], now: datetime) -> _Header:
    version = raw["version"]
    if not isinstance(version, int) or isinstance(version, bool) or not 1 <= version <= MAX_VERSION:
        raise BundleRefused("malformed", f"version must be an integer from 1 to {MAX_VERSION}")
    target = raw["target"]
    if not isinstance(target, str) or not _TARGET.match(target):
        raise BundleRefused("malformed", f"target {target!r} is not all, group:NAME or kiosk:ID")
    issued, expires = _timestamp(raw, "issued_at"), _timestamp(raw, "expires_at")
    if not issued < expires <= issued + timedelta(days=MAX_VALIDITY_DAYS):
        raise BundleRefused(
            "malformed", f"expires_at must be after issued_at and at most {MAX_VALIDITY_DAYS} days after it"
        )
    if now >= expires:
        raise BundleRefused("expired", f"expired at {expires.isoformat()}; sign and publish a new version")
    return _Header(version, target, issued, expires)


def _check_version(version: int, newer_than: int) -> None:
    if version <= newer_than:
        raise BundleRefused("replayed_version", f"version {version} is not newer than {newer_than}")
    # A runaway version (a typo, or 2**62) would otherwise become the floor and lock out every later
    # bundle; with no floor yet there is nothing to measure from.
    if newer_than > 0 and version > newer_than + MAX_VERSION_STEP:
        raise BundleRefused(
            "version_jump", f"version {version} is more than {MAX_VERSION_STEP} above {newer_than}"
        )


def _config(raw: dict[str, Any]) -> RemoteConfig:
    try:
        return RemoteConfig.model_validate(raw["config"])
    except ValidationError as exc:
        raise BundleRefused("schema_invalid", _first_error(exc)) from None


def _verified(raw: dict[str, Any], header: _Header, config: RemoteConfig) -> VerifiedBundle:
    return VerifiedBundle(
        header.version, header.target, str(raw["key_id"]), header.issued_at, header.expires_at, config, raw
    )


def verify_bundle(
    data: bytes | str | dict[str, Any],
    *,
    trusted_keys: dict[str, Ed25519PublicKey],
    kiosk_id: str,
    group: str | None,
    newer_than: int = 0,
    now: datetime | None = None,
) -> VerifiedBundle:
    """What a kiosk checks before it applies a bundle: format, signature (against the pinned operator
    keys), expiry, version (`newer_than` is the newest version ever accepted), target and schema, in that
    order."""
    raw = parse_bundle(data)
    _authenticated(raw, trusted_keys)
    header = _header(raw, now or datetime.now(UTC))
    _check_version(header.version, newer_than)
    if not targets(header.target, kiosk_id, group):
        where = f"kiosk {kiosk_id}" + (f" in group {group}" if group else " (no [remote] group set)")
        raise BundleRefused("not_for_this_kiosk", f"target {header.target} does not include {where}")
    return _verified(raw, header, _config(raw))


def verify_publishable(
    data: bytes | str | dict[str, Any],
    *,
    trusted_keys: dict[str, Ed25519PublicKey],
    newer_than: int = 0,
    now: datetime | None = None,
) -> VerifiedBundle:
    """Every check of `verify_bundle` that does not depend on which kiosk receives the bundle: the centre
    runs it before it publishes, so a bundle every kiosk would refuse never reaches one."""
    raw = parse_bundle(data)
    _authenticated(raw, trusted_keys)
    header = _header(raw, now or datetime.now(UTC))
    _check_version(header.version, newer_than)
    return _verified(raw, header, _config(raw))


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
