"""Callback phones encrypted at rest (Fernet: AES-128-CBC with HMAC-SHA256) under the centre's data key.

The key is made on first use and kept in its own table (`crm_data_key`), as the visit keys are, so every
worker shares it and none of it lives in code or configuration. It keeps the phones out of exports and
copies of the CRM tables; whoever holds the whole database holds the key too."""

from __future__ import annotations

from cryptography.fernet import Fernet
from sqlalchemy.orm import Session

from central_server.crm.models import DataKey
from central_server.db import insert_if_absent

_ROW_ID = 1


def _fernet(session: Session) -> Fernet:
    row = session.get(DataKey, _ROW_ID)
    if row is None:
        # Workers meeting their first phone together each try; the first insert wins.
        insert_if_absent(session, DataKey, id=_ROW_ID, fernet_key=Fernet.generate_key().decode("ascii"))
        row = session.get(DataKey, _ROW_ID, populate_existing=True)
        assert row is not None
    return Fernet(row.fernet_key.encode("ascii"))


def seal(session: Session, phone: str | None) -> str | None:
    return None if phone is None else _fernet(session).encrypt(phone.encode("ascii")).decode("ascii")


def open_sealed(session: Session, cipher: str | None) -> str | None:
    return None if cipher is None else _fernet(session).decrypt(cipher.encode("ascii")).decode("ascii")
