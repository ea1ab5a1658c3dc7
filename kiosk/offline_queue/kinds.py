"""The kinds of transaction the outbox carries (the centre's intake kinds) and which of them move money."""

from __future__ import annotations

KINDS = (
    "withdrawal_application",
    "appointment",
    "pre_registration",
    "rating",
    "complaint_suggestion",
    "touchpoint_event",
    "staff_audit_event",
)

# Refused first when the outbox is full: a citizen must never leave with a receipt for money the centre
# may not see for days.
MONEY_KINDS = frozenset({"withdrawal_application"})
