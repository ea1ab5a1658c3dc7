"""Every way a bundle is refused, each with its reason; and the ones that pass."""

import base64
import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from hypothesis import given
from hypothesis import strategies as st

from kiosk.remote_config.bundle import MAX_BUNDLE_BYTES, BundleRefused, sign_bundle, verify_bundle
from tests.remote_config.conftest import example_config, sign_fields


def _verify(
    data: Any,
    trusted: dict[str, Ed25519PublicKey],
    newer_than: int = 0,
    group: str | None = "hall-1",
    now: datetime | None = None,
) -> Any:
    return verify_bundle(
        data, trusted_keys=trusted, kiosk_id="KIOSK-T1", group=group, newer_than=newer_than, now=now
    )


def _reason(data: Any, trusted: dict[str, Ed25519PublicKey], **kwargs: Any) -> str:
    with pytest.raises(BundleRefused) as caught:
        _verify(data, trusted, **kwargs)
    return caught.value.reason


def test_a_good_bundle_passes_and_survives_reserialisation(
    make_bundle: Callable[..., dict[str, Any]], trusted
) -> None:
    bundle = make_bundle(3, "group:hall-1")
    text = json.dumps(bundle, indent=4, ensure_ascii=True)  # another layout, escaped hanzi: same signature
    verified = _verify(text.encode(), trusted)
    assert verified.version == 3 and verified.config.enabled_services() == [
        "overview",
        "deposits",
        "loan",
        "withdrawal",
        "appointment",
        "pre_registration",
        "certificate",
        "status",
        "password_change",
        "complaint",
    ]


def test_forged_signature(make_bundle, trusted) -> None:
    bundle = make_bundle(2)
    bundle["config"]["log_level"] = "DEBUG"  # changed after signing
    assert _reason(bundle, trusted) == "bad_signature"
    bundle = make_bundle(2)
    bundle["signature"] = base64.b64encode(b"\0" * 64).decode()
    assert _reason(bundle, trusted) == "bad_signature"
    bundle["signature"] = "not base64!"
    assert _reason(bundle, trusted) == "bad_signature"


def test_another_operators_key(trusted) -> None:
    stranger = sign_bundle(example_config(), version=5, target="all", key=Ed25519PrivateKey.generate())
    assert _reason(stranger, trusted) == "unknown_key"


def test_replayed_older_version(make_bundle, trusted) -> None:
    assert _reason(make_bundle(4), trusted, newer_than=4) == "replayed_version"
    assert _reason(make_bundle(3), trusted, newer_than=4) == "replayed_version"
    assert _verify(make_bundle(5), trusted, newer_than=4).version == 5


def test_schema_invalid(operator, trusted) -> None:
    config = {**example_config(), "session": {"idle_timeout_s": 5, "countdown_s": 10}}
    with pytest.raises(ValueError, match="schema"):  # the operator's own tool refuses to sign it ...
        sign_bundle(config, version=2, target="all", key=operator[2])
    signed = sign_fields(operator[2], version=2, config=config)
    assert _reason(signed, trusted) == "schema_invalid"  # ... and a kiosk refuses it if signed by hand


def test_an_expired_bundle_is_refused(operator, trusted) -> None:
    issued = datetime(2026, 11, 1, tzinfo=UTC)
    bundle = sign_bundle(
        example_config(),
        version=2,
        target="all",
        key=operator[2],
        issued_at=issued,
        expires_in=timedelta(days=7),
    )
    assert bundle["expires_at"] == "2026-11-08T00:00:00+00:00"
    assert _verify(bundle, trusted, now=issued + timedelta(days=6)).expires_at == issued + timedelta(days=7)
    with pytest.raises(BundleRefused) as caught:
        _verify(bundle, trusted, now=issued + timedelta(days=7))
    assert caught.value.reason == "expired" and "2026-11-08T00:00:00+00:00" in caught.value.detail


def test_expiry_is_signed_and_bounded(operator, trusted) -> None:
    bundle = sign_bundle(example_config(), version=2, target="all", key=operator[2])
    bundle["expires_at"] = "2099-01-01T00:00:00+00:00"  # stretched after signing
    assert _reason(bundle, trusted) == "bad_signature"
    for changes in (
        {"expires_at": "2099-01-01T00:00:00+00:00"},  # a replay window of decades
        {"expires_at": "2099-01-01T00:00:00"},  # no offset: whose midnight?
        {"issued_at": "yesterday"},
    ):
        assert _reason(sign_fields(operator[2], **changes), trusted) == "malformed", changes
    old_format = sign_fields(operator[2], bundle=1)
    del old_format["expires_at"]
    with pytest.raises(BundleRefused, match="bundle format 1 is not 2"):
        _verify(old_format, trusted)
    with pytest.raises(ValueError, match="365 days"):
        sign_bundle(
            example_config(), version=2, target="all", key=operator[2], expires_in=timedelta(days=400)
        )


def test_a_version_far_above_the_floor_is_refused(operator, trusted) -> None:
    # Accepted, a bundle of version 2**30 would become the floor and lock out every later bundle.
    assert _reason(sign_fields(operator[2], version=2**30), trusted, newer_than=5) == "version_jump"
    assert _reason(sign_fields(operator[2], version=1006), trusted, newer_than=5) == "version_jump"
    assert _verify(sign_fields(operator[2], version=1005), trusted, newer_than=5).version == 1005
    assert _reason(sign_fields(operator[2], version=2**63), trusted) == "malformed"
    # A kiosk that has accepted nothing yet has no floor to measure from: it joins a fleet where it stands.
    assert _verify(sign_fields(operator[2], version=5000), trusted).version == 5000


@pytest.mark.parametrize("depth", [100, 1000, 100_000])
def test_deep_nesting_is_malformed_not_a_crash(operator, trusted, depth: int) -> None:
    text = "[" * depth + "]" * depth
    assert _reason(text.encode(), trusted) == "malformed"
    wrapped = '{"bundle": 2, "config": ' + '{"a": ' * depth + "1" + "}" * depth + "}"
    assert _reason(wrapped, trusted) == "malformed"


def test_an_oversized_bundle_is_refused_before_parsing(trusted) -> None:
    with pytest.raises(BundleRefused, match=f"larger than {MAX_BUNDLE_BYTES} bytes"):
        _verify(b" " * (MAX_BUNDLE_BYTES + 1), trusted)


def test_truncated_download(make_bundle, trusted) -> None:
    text = json.dumps(make_bundle(2)).encode()
    assert _reason(text[: len(text) // 2], trusted) == "malformed"
    assert _reason(b"", trusted) == "malformed"


def test_bundle_for_another_kiosk_or_group(make_bundle, trusted) -> None:
    assert _reason(make_bundle(2, "kiosk:KIOSK-T2"), trusted) == "not_for_this_kiosk"
    assert _reason(make_bundle(2, "group:hall-2"), trusted) == "not_for_this_kiosk"
    assert _reason(make_bundle(2, "group:hall-1"), trusted, group=None) == "not_for_this_kiosk"
    assert _verify(make_bundle(2, "kiosk:KIOSK-T1"), trusted).target == "kiosk:KIOSK-T1"


@given(st.binary(max_size=300))
def test_arbitrary_bytes_are_refused_cleanly(data: bytes) -> None:
    with pytest.raises(BundleRefused):
        verify_bundle(data, trusted_keys={}, kiosk_id="K", group=None)


_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=5),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=20,
)


@given(
    st.integers(min_value=0, max_value=50_000),
    st.sampled_from(["[", '{"k":']),
    _JSON,
    st.dictionaries(st.sampled_from(["bundle", "version", "key_id", "signature", "config"]), _JSON),
)
def test_any_nesting_and_any_fields_are_refused_cleanly(
    depth: int, opener: str, leaf: Any, fields: dict[str, Any]
) -> None:
    closer = "]" if opener == "[" else "}"
    nested = opener * depth + json.dumps(leaf) + closer * depth
    for data in (nested, json.dumps({**fields, "config": json.loads(nested) if depth < 500 else leaf})):
        with pytest.raises(BundleRefused):
            verify_bundle(data, trusted_keys={}, kiosk_id="K", group=None)


def test_keygen_writes_a_private_key_only_the_owner_reads(operator) -> None:
    key_path: Path = operator[0]
    assert key_path.stat().st_mode & 0o777 == 0o600
    assert b"PRIVATE KEY" in key_path.read_bytes()
