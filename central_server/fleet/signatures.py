"""The centre checks an operator's signature before it stores a bundle, so a leaked operator token alone
cannot put a bundle in front of the fleet (the kiosks check again with their own pinned keys).

The canonical form (sorted keys, no spaces, UTF-8) is the one kiosk/remote_config/bundle.py signs; the
reference server keeps its own few lines of it rather than import the kiosk package.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey


def load_operator_key(path: Path) -> tuple[str, Ed25519PublicKey]:
    key = serialization.load_pem_public_key(path.read_bytes())
    if not isinstance(key, Ed25519PublicKey):
        raise ValueError(f"{path}: not an Ed25519 public key")
    raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16], key


def signature_valid(bundle: dict[str, Any], keys: dict[str, Ed25519PublicKey]) -> bool:
    key = keys.get(str(bundle.get("key_id")))
    if key is None or "signature" not in bundle:
        return False
    body = {k: v for k, v in bundle.items() if k != "signature"}
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
    try:
        key.verify(base64.b64decode(str(bundle["signature"]), validate=True), canonical)
    except (InvalidSignature, binascii.Error, ValueError):
        return False
    return True
