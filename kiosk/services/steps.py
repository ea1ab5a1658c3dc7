"""Where the citizen is in a service that takes several screens: "step 2 of 5", shown in the header so
nobody is lost (issue #16: every screen says where the citizen is). Screens outside these flows (the menu,
a query, a notice) show no step."""

from __future__ import annotations

# Each flow's screens in the order the citizen meets them. A screen belongs to one flow at most.
FLOWS: dict[str, tuple[str, ...]] = {
    "sign_in": ("card", "password"),
    "withdrawal": (
        "withdrawal",
        "withdrawal_amount",
        "withdrawal_card",
        "withdrawal_confirm",
        "withdrawal_result",
    ),
    "certificate": ("certificate", "certificate_period", "certificate_result"),
    "appointment": ("appointment", "appointment_office", "appointment_slots", "appointment_booked"),
    "pre_registration": ("pre_registration", "pre_registration_checklist", "pre_registration_done"),
    "complaint": ("complaint", "complaint_topic", "complaint_phone", "complaint_confirm", "complaint_done"),
}

_STEPS: dict[str, tuple[int, int]] = {
    screen: (index, len(screens)) for screens in FLOWS.values() for index, screen in enumerate(screens, 1)
}


def step_of(screen: str) -> tuple[int, int]:
    """(step, of how many) for a screen of a flow; (0, 0) for any other screen."""
    return _STEPS.get(screen, (0, 0))
