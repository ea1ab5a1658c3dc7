"""Numbers a kiosk prints for a transaction it files through its outbox, before the centre has seen it.

The centre derives the same number from the item when it arrives, with this very module (it imports it, as
it imports the bundle checker and the masking rules: one recipe cannot drift), so the number on paper is
the one the centre shows: the first 40 bits of SHA-256 of `<terminal id>:<idempotency key>` (UTF-8), five
bits a symbol, most significant first, in an alphabet without the look-alikes 0/O and 1/I (a number read
out at a counter is typed right). Terminal id and key are unique per transaction; two transactions share a
code about once in 10^12 pairs, and the centre refuses the second one (each service keeps its codes unique).
"""

from __future__ import annotations

import hashlib

# A pre-registration's code is valid from the day it is taken (centre time) to this many days after: the
# kiosk prints the last day, the centre refuses one that arrives later (central_server/preregistration.py).
PRE_REGISTRATION_VALID_DAYS = 7

ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
CODE_LENGTH = 8


def kiosk_code(terminal_id: str, idempotency_key: str) -> str:
    """The 8-symbol code of the transaction filed by `terminal_id` under `idempotency_key`."""
    digest = hashlib.sha256(f"{terminal_id}:{idempotency_key}".encode()).digest()
    bits = int.from_bytes(digest[:5], "big")
    return "".join(ALPHABET[(bits >> shift) & 31] for shift in range(35, -1, -5))


def readable(code: str) -> str:
    """As printed and read out: two groups of four, `7KQD-M3XA`."""
    return f"{code[:4]}-{code[4:]}"


def parse_code(text: str) -> str | None:
    """A code as typed at a counter (any case, with or without the hyphen and spaces), None if it cannot
    be one."""
    code = "".join(text.split()).replace("-", "").upper()
    if len(code) != CODE_LENGTH or any(char not in ALPHABET for char in code):
        return None
    return code
