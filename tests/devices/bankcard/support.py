"""Synthetic cards and helpers shared by the bank card tests. Every value here is obviously fake."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from collections.abc import Callable
from pathlib import Path

from kiosk.devices.bankcard.virtual_card import CardProfile, VirtualCard, bundled_card

# The research transcript (reference/devices.md §B), with its ID number (9F61) swapped for one of the
# same length from the synthetic 120199 range; every other byte is as recorded.
TRANSCRIPT = Path(__file__).parent / "fixtures" / "pboc_debit_transcript.json"
TODAY = dt.date(2026, 11, 27)

# What `read --json` shows for each packaged card that reads, and the full PAN kept in memory.
EXPECTED = {
    "pboc_debit_contactless": (
        "6217000000000012348",
        {
            "pan_masked": "621700*********2348",
            "expiry": "2030-12",
            "cardholder_name": "ZHANG/CESHI",
            "aid": "A000000333010101",
            "label": "PBOC DEBIT",
            "holder_id_masked": "120***********0012",
        },
    ),
    "pboc_credit_contact": (
        "6217000000000023451",
        {
            "pan_masked": "621700*********3451",
            "expiry": "2029-06",
            "cardholder_name": "LI/CESHI",
            "aid": "A000000333010102",
            "label": "PBOC CREDIT",
            "holder_id_masked": "120***********0024",
        },
    ),
    "t0_two_applications": (
        "6217000000000045678",  # the quasi-credit application: priority 1, listed second
        {
            "pan_masked": "621700*********5678",
            "expiry": "2031-03",
            "cardholder_name": "WANG/CESHI",
            "aid": "A000000333010103",
            "label": "PBOC QUASI CREDIT",
            "holder_id_masked": "120***********0030",
        },
    ),
    "pboc_debit_no_holder_id": (
        "6217000000000067896",
        {
            "pan_masked": "621700*********7896",
            "expiry": "2032-01",
            "cardholder_name": "CHEN/CESHI",
            "aid": "A000000333010101",
            "label": "PBOC DEBIT",
            "holder_id_masked": None,
        },
    ),
}

# Strings that must never appear in a log: full PANs, their track-2 hex, the ID numbers.
SECRETS = (
    "6217000000000012348",
    "6217000000000023451",
    "6217000000000045678",
    "6217000000000034565",
    "6217000000000056782",
    "6217000000000067896",
    "120199199001010012",
    "120199198506150024",
    "120199199203090030",
    "120199197802280048",
)


def transcript_steps() -> list[tuple[str, bytes, bytes]]:
    steps = json.loads(TRANSCRIPT.read_text())
    return [(step["name"], bytes.fromhex(step["capdu"]), bytes.fromhex(step["rapdu"])) for step in steps]


def with_pan(profile: CardProfile, pan: str) -> CardProfile:
    """The same card with another PAN in 5A and track 2 (e.g. one that fails Luhn)."""
    app = profile.applications[0]
    old = app.elements[0x5A].hex().upper().rstrip("F")
    elements = dict(app.elements)
    elements[0x5A] = bytes.fromhex(pan + "F" * (len(pan) % 2))
    track2 = app.elements[0x57].hex().upper().replace(old, pan, 1)
    elements[0x57] = bytes.fromhex(track2 + "F" * (len(track2) % 2))
    return dataclasses.replace(profile, applications=(dataclasses.replace(app, elements=elements),))


def counting(card: VirtualCard) -> tuple[list[bytes], Callable[[bytes], bytes]]:
    sent: list[bytes] = []

    def transmit(capdu: bytes) -> bytes:
        sent.append(capdu)
        return card.respond(capdu)

    return sent, transmit


def card(name: str) -> VirtualCard:
    return VirtualCard(bundled_card(name))
