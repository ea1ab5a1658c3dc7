"""The visit ticket: what the centre signs at sign-in so that the visit's transactions, however late they
arrive, are accepted only from the citizen who proved their password at that terminal.

A ticket is base64url(JSON claims) + "." + base64url(HMAC-SHA256 of the first part), unpadded. The claims
are `v` (format, 1), `ref` (the citizen's pseudonymous reference, never an ID number), `tid` (the terminal),
`iat` and `exp` (Unix seconds) and `jti` (random, so two tickets never look alike). Pure functions: the
keys come from the caller (visit_keys.py keeps them in the database).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import re
import secrets
from dataclasses import asdict, dataclass
from typing import Any

FORMAT_VERSION = 1
TICKET_SECONDS = 30 * 60
# An item may carry a created_at this far before the ticket's iat: the kiosk's clock and the centre's
# differ a little, and the kiosk stamps items by its own.
ISSUE_LEEWAY_SECONDS = 60
# Far above a real ticket (~250 characters): longer text is refused before any decoding work.
MAX_TICKET_CHARS = 1024

_PART = re.compile(r"[A-Za-z0-9_-]+")
_CLAIM_NAMES = frozenset({"v", "ref", "tid", "iat", "exp", "jti"})


class TicketInvalid(Exception):
    """The text is not a ticket this centre signed (bad shape, bad signature or bad claims)."""


class TicketRefused(Exception):
    """A genuine ticket that does not cover this item; `str()` is the fixed reason the intake answers."""


# Reasons the intake answers; fixed texts that name the problem, never a value.
MISSING = "visit ticket missing"
FORGED = "visit ticket forged"
OTHER_TERMINAL = "visit ticket issued to another terminal"
EXPIRED = "visit ticket expired"
NOT_YET_ISSUED = "visit ticket issued after the item was created"
OTHER_CITIZEN = "visit ticket for another citizen"


@dataclass(frozen=True)
class Claims:
    v: int
    ref: str
    tid: str
    iat: int
    exp: int
    jti: str


def new_claims(ref: str, terminal_id: str, now: int) -> Claims:
    return Claims(
        v=FORMAT_VERSION,
        ref=ref,
        tid=terminal_id,
        iat=now,
        exp=now + TICKET_SECONDS,
        jti=secrets.token_hex(16),
    )


def encode(claims: Claims, key: bytes) -> str:
    body = _b64(json.dumps(asdict(claims), separators=(",", ":"), sort_keys=True).encode())
    return f"{body}.{_b64(_mac(key, body))}"


def verify(ticket: object, key: bytes) -> Claims:
    """The claims of a ticket signed with `key`; TicketInvalid for anything else, whatever it is."""
    if not isinstance(ticket, str) or len(ticket) > MAX_TICKET_CHARS:
        raise TicketInvalid("not a ticket")
    body, dot, signature = ticket.partition(".")
    if not dot or not _PART.fullmatch(body) or not _PART.fullmatch(signature):
        raise TicketInvalid("not a ticket")
    # Compared before the claims are parsed, so nothing of a forged ticket is ever read.
    if not hmac.compare_digest(_unb64(signature), _mac(key, body)):
        raise TicketInvalid("signature does not match")
    try:
        claims = json.loads(_unb64(body))
    except (UnicodeDecodeError, ValueError):
        raise TicketInvalid("claims are not JSON") from None
    return _claims(claims)


def check_use(claims: Claims, terminal_id: str, created_at: float) -> None:
    """Whether the ticket covers an item that `terminal_id` sent, created at `created_at` (Unix seconds):
    by the terminal it was issued to, from a minute before its issue to its expiry. The centre's own clock
    does not matter, so an item made during the visit and delivered hours later is still covered."""
    if claims.tid != terminal_id:
        raise TicketRefused(OTHER_TERMINAL)
    if created_at > claims.exp:
        raise TicketRefused(EXPIRED)
    if created_at < claims.iat - ISSUE_LEEWAY_SECONDS:
        raise TicketRefused(NOT_YET_ISSUED)


def citizen_ref(citizen_id: int, key: bytes) -> str:
    """The citizen's pseudonymous reference: stable, so the centre can join one customer's touchpoints,
    and meaningless without the key."""
    return "C" + hmac.new(key, f"citizen:{citizen_id}".encode(), hashlib.sha256).hexdigest()[:32]


def _claims(value: Any) -> Claims:
    if not isinstance(value, dict) or set(value) != _CLAIM_NAMES:
        raise TicketInvalid("claims are not the ticket's claims")
    # type() rather than isinstance(): true is an int to Python, not to a ticket.
    if any(type(value[name]) is not int for name in ("v", "iat", "exp")):
        raise TicketInvalid("claims v, iat and exp must be integers")
    if any(type(value[name]) is not str for name in ("ref", "tid", "jti")):
        raise TicketInvalid("claims ref, tid and jti must be strings")
    if value["v"] != FORMAT_VERSION:
        raise TicketInvalid("unknown ticket format")
    return Claims(**value)


def _mac(key: bytes, body: str) -> bytes:
    return hmac.new(key, body.encode("ascii"), hashlib.sha256).digest()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    try:
        data = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        raise TicketInvalid("not base64url") from None
    # The last character may carry unused bits: only the one canonical spelling is the ticket, so no
    # changed character ever verifies.
    if _b64(data) != text:
        raise TicketInvalid("not canonical base64url")
    return data
