"""Password hashing and bearer tokens."""

from __future__ import annotations

import functools
import hashlib
import hmac
import secrets

SCRYPT_N = 2**14
# Hall staff PINs are six digits: a stolen roster is guessed offline, so each guess must cost more
# (~50-100 ms) than a citizen password's, which the centre alone ever checks (docs/staff.md).
STAFF_PIN_N = 2**15
_SCRYPT_R = 8
_SCRYPT_P = 1
_DKLEN = 32


def scrypt_memory(n: int, r: int, p: int) -> int:
    """The memory scrypt needs for these costs, with room to spare: OpenSSL refuses any cost above its
    default 32 MiB limit (n=2**15, r=8 is just above it) unless `maxmem` says more is allowed."""
    return 2 * 128 * r * (n + p + 2)


def hash_password(password: str, *, n: int = SCRYPT_N, r: int = _SCRYPT_R, p: int = _SCRYPT_P) -> str:
    """scrypt with a fresh salt; the cost is stored with the hash so it can be raised later."""
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(
        password.encode(), salt=salt, n=n, r=r, p=p, dklen=_DKLEN, maxmem=scrypt_memory(n, r, p)
    )
    return f"scrypt${n}${r}${p}${salt.hex()}${digest.hex()}"


def dummy_hash_like(stored: str | None) -> str:
    """A hash of no one's password, with the cost of `stored` (the default cost when None): checking a
    password against it takes as long as checking against `stored`, so an unknown citizen is not told
    apart by a quicker answer."""
    if stored is None:
        return _dummy_hash(SCRYPT_N, _SCRYPT_R, _SCRYPT_P)
    _scheme, n, r, p, _salt, _digest = stored.split("$")
    return _dummy_hash(int(n), int(r), int(p))


@functools.lru_cache(maxsize=16)
def _dummy_hash(n: int, r: int, p: int) -> str:
    return hash_password(secrets.token_urlsafe(16), n=n, r=r, p=p)


def verify_password(password: str, stored: str) -> bool:
    scheme, n, r, p, salt, digest = stored.split("$")
    if scheme != "scrypt":
        raise ValueError(f"unknown password hash scheme {scheme!r}")
    expected = bytes.fromhex(digest)
    cost = int(n), int(r), int(p)
    candidate = hashlib.scrypt(
        password.encode(),
        salt=bytes.fromhex(salt),
        n=cost[0],
        r=cost[1],
        p=cost[2],
        dklen=len(expected),
        maxmem=scrypt_memory(*cost),
    )
    return hmac.compare_digest(candidate, expected)


def secret_matches(given: str, expected: str) -> bool:
    return hmac.compare_digest(given.encode(), expected.encode())


def new_token() -> str:
    return secrets.token_urlsafe(32)


def token_digest(token: str) -> str:
    """Tokens are stored only as digests, so a copy of the database gives no usable token."""
    return hashlib.sha256(token.encode()).hexdigest()
