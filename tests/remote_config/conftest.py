"""Operator keys, a signed-bundle factory, and a central with the fleet endpoints on loopback."""

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from central_server.app import create_app
from central_server.testing import RunningServer, serve_in_thread
from kiosk.remote_config.bundle import generate_keypair, key_id, load_private_key, sign_bundle

REPO = Path(__file__).resolve().parents[2]
OPERATOR_TOKEN = "operator-token-synthetic"
KIOSKS = {f"KIOSK-T{i}": f"secret-kiosk-{i}" for i in range(1, 4)}


def example_config() -> dict[str, Any]:
    return json.loads((REPO / "config" / "remote.example.json").read_text(encoding="utf-8"))


@pytest.fixture
def operator(tmp_path: Path) -> tuple[Path, Path, Ed25519PrivateKey]:
    key_path, pub_path = generate_keypair(tmp_path / "keys")
    return key_path, pub_path, load_private_key(key_path)


@pytest.fixture
def trusted(operator: tuple[Path, Path, Ed25519PrivateKey]) -> dict[str, Ed25519PublicKey]:
    public = operator[2].public_key()
    return {key_id(public): public}


@pytest.fixture
def make_bundle(operator: tuple[Path, Path, Ed25519PrivateKey]) -> Callable[..., dict[str, Any]]:
    def make(version: int, target: str = "all", **changes: Any) -> dict[str, Any]:
        config = {**example_config(), **changes}
        return sign_bundle(config, version=version, target=target, key=operator[2])

    return make


@pytest.fixture
def central(operator: tuple[Path, Path, Ed25519PrivateKey]) -> Iterator[RunningServer]:
    app = create_app(terminals=KIOSKS, operator_tokens=[OPERATOR_TOKEN], operator_keys=[operator[1]])
    with serve_in_thread(app) as server:
        yield server
