"""An outbox made by the previous version (schema 0001, a key file without a digest key, freed space not
zeroed) opens: rows and keys are kept, and what its delivered payloads left in free space is gone."""

from __future__ import annotations

import base64
import json
import os
import random
import sqlite3
from pathlib import Path

from alembic import command
from alembic.config import Config
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from kiosk.offline_queue import Outbox
from kiosk.offline_queue.database import DB_FILE_NAME, HEAD_REVISION, make_engine
from kiosk.offline_queue.files import database_files
from kiosk.offline_queue.keyring import KEY_FILE_NAME

from .recovery import recoverable
from .synthetic import withdrawal

MIGRATIONS = Path(__file__).resolve().parents[2] / "kiosk" / "offline_queue" / "migrations"
ROWS = 12


def _old_outbox(data_dir: Path, payloads: list[dict[str, object]]) -> None:
    """Schema 0001 and an old key file; the first half delivered the old way (payload blanked, freed
    space left as it was)."""
    data_dir.mkdir()
    raw_key = AESGCM.generate_key(bit_length=256)
    key_file = data_dir / KEY_FILE_NAME
    key_file.write_text(
        json.dumps({"active": "kold0001", "keys": {"kold0001": base64.b64encode(raw_key).decode()}})
    )
    key_file.chmod(0o600)
    engine = make_engine(data_dir / DB_FILE_NAME)
    with engine.connect() as connection:
        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS))
        config.attributes["connection"] = connection
        command.upgrade(config, "0001")
        connection.commit()
    engine.dispose()
    aead = AESGCM(raw_key)
    with sqlite3.connect(data_dir / DB_FILE_NAME) as db:
        db.execute("PRAGMA secure_delete = OFF")
        for i, payload in enumerate(payloads):
            key, nonce = f"old-row-{i:04d}", os.urandom(12)
            blob = nonce + aead.encrypt(
                nonce, json.dumps(payload).encode(), f"{key}|withdrawal_application".encode()
            )
            db.execute(
                "INSERT INTO outbox VALUES"
                " (?, ?, 'withdrawal_application', 1, 0, 0, 1, 'pending', NULL, NULL, 'kold0001', ?, ?)",
                (i + 1, key, blob, len(blob)),
            )
        db.execute(
            "UPDATE outbox SET state = 'delivered', payload = x'', size = 0, delivered_at = 2 WHERE id <= ?",
            (ROWS // 2,),
        )


def test_an_outbox_of_the_previous_version_opens_and_its_delivered_payloads_are_scrubbed(
    tmp_path: Path,
) -> None:
    rng = random.Random(71)
    payloads = [withdrawal(rng) for _ in range(ROWS)]
    data_dir = tmp_path / "data"
    _old_outbox(data_dir, payloads)
    key_file = data_dir / KEY_FILE_NAME
    # The check can see: the old way left the delivered withdrawals readable in free space.
    leftovers = b"\n".join(recoverable(database_files(data_dir), key_file))
    assert any(str(payload["bank_pan"]).encode() in leftovers for payload in payloads[: ROWS // 2])

    box = Outbox.open(data_dir)
    found = b"\n".join(recoverable(database_files(data_dir), key_file))
    for payload in payloads[: ROWS // 2]:
        assert str(payload["bank_pan"]).encode() not in found
        assert str(payload["id_number"]).encode() not in found
    items, _ = box.claim(100)
    assert [item.payload for item in items] == payloads[ROWS // 2 :]
    box.close()
    with sqlite3.connect(data_dir / DB_FILE_NAME) as db:
        assert db.execute("SELECT version_num FROM alembic_version").fetchone()[0] == HEAD_REVISION
    document = json.loads(key_file.read_text())
    assert list(document["keys"]) == ["kold0001"] and len(base64.b64decode(document["digest"])) == 32
