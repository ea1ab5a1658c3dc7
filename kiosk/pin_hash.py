"""Staff PIN hashes as the centre's staff roster holds them, `scrypt$N$r$p$salthex$digesthex`: the format of
`central_server/security.py`, repeated here because the kiosk never imports the centre. `kiosk-admin
staff-hash` makes them for the centre's --staff file; the kiosk checks PINs against them offline."""

from __future__ import annotations

import hashlib
import hmac
import secrets

STAFF_PIN_COST = (2**15, 8, 1)  # n, r, p: about 50-100 ms a check, what an offline guess costs too
MAX_SCRYPT_N = 2**18  # the centre's ceiling; a hash above it is never computed


def _scrypt(pin: str, salt: bytes, n: int, r: int, p: int, dklen: int) -> bytes:
    # Python's default memory limit (32 MiB) is exactly what n=2**15, r=8 needs, which it refuses.
    maxmem = 2 * 128 * n * r * p + 2**20
    return hashlib.scrypt(pin.encode(), salt=salt, n=n, r=r, p=p, dklen=dklen, maxmem=maxmem)


def hash_pin(pin: str, cost: tuple[int, int, int] = STAFF_PIN_COST) -> str:
    n, r, p = cost
    salt = secrets.token_bytes(16)
    return f"scrypt${n}${r}${p}${salt.hex()}${_scrypt(pin, salt, n, r, p, 32).hex()}"


def pin_matches(pin: str, pin_hash: str) -> bool:
    """Whether `pin` is the one `pin_hash` was made from. Blocking (scrypt at the hash's cost). A hash that
    cannot be used matches nothing."""
    try:
        scheme, n_text, r_text, p_text, salt_hex, digest_hex = pin_hash.split("$")
        n, r, p = int(n_text), int(r_text), int(p_text)
        salt, expected = bytes.fromhex(salt_hex), bytes.fromhex(digest_hex)
    except ValueError:
        return False
    usable = scheme == "scrypt" and 2 <= n <= MAX_SCRYPT_N and 1 <= r <= 32 and 1 <= p <= 4 and expected
    if not usable:
        return False
    return hmac.compare_digest(_scrypt(pin, salt, n, r, p, len(expected)), expected)
