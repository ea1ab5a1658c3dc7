"""What someone holding the key file can decrypt from the raw bytes of the outbox's files.

AES-GCM is AES in counter mode (the first block of the message under counter 2) plus a tag, and each blob
is nonce + ciphertext + tag. So every offset of a file is tried as the start of a nonce: the 16 bytes after
it are decrypted with every key, and where they begin like a JSON object or a visit ticket (base64url of
one: "ey"), as much as the file holds is decrypted, without the tag (an attacker does not need
authenticity, only the text).
"""

from __future__ import annotations

import base64
import json
from pathlib import Path

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

NONCE = 12
# GCM's first message block uses counter value 2 (1 is kept for the tag).
# How a sealed row begins: its payload's JSON, or the visit ticket sealed before it (outbox._with_ticket).
OPENINGS = (b'{"', b"ey")
FIRST_COUNTER = (2).to_bytes(4, "big")
MAX_PAYLOAD = 4096


def keys_in(key_file: Path) -> list[bytes]:
    document = json.loads(key_file.read_bytes())
    return [base64.b64decode(raw) for raw in document["keys"].values()]


def decryptable(data: bytes, keys: list[bytes]) -> list[bytes]:
    """Every plaintext that starts like a sealed row at some offset of `data`, decrypted."""
    offsets = range(len(data) - NONCE - 2)
    counters = b"".join(data[o : o + NONCE] + FIRST_COUNTER for o in offsets)
    found = []
    for key in keys:
        # One ECB pass gives the first keystream block for every offset at once.
        stream = Cipher(algorithms.AES(key), modes.ECB()).encryptor().update(counters)
        for o in offsets:
            at = o + NONCE
            if bytes((data[at] ^ stream[16 * o], data[at + 1] ^ stream[16 * o + 1])) in OPENINGS:
                counter = data[o:at] + FIRST_COUNTER
                decryptor = Cipher(algorithms.AES(key), modes.CTR(counter)).decryptor()
                found.append(decryptor.update(data[at : at + MAX_PAYLOAD]))
    return found


def recoverable(paths: list[Path], key_file: Path) -> list[bytes]:
    keys = keys_in(key_file)
    found: list[bytes] = []
    for path in paths:
        if path.exists():
            found += decryptable(path.read_bytes(), keys)
    return found
