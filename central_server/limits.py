"""Every limit the centre enforces on its callers, in one place (docs/central-api.md, "Limits").

The defaults are what `kiosk-central serve` uses; `--max-body-bytes` overrides the body limit, and tests
pass their own `Limits` to `create_app` to reach a threshold in a few requests."""

from __future__ import annotations

from dataclasses import dataclass

MIB = 1024 * 1024


@dataclass(frozen=True)
class Limits:
    # A request body larger than this is refused with 413 before it is read further or parsed.
    max_body_bytes: int = MIB

    # Citizen sign-in, per terminal: after this many failed sign-ins (any citizens) within the window the
    # terminal's sign-ins are answered rate_limited until enough of them are older than the window. A kiosk
    # serves a citizen every few minutes, and each may fail three times: 20 in 10 minutes is not a queue.
    sign_in_window_s: int = 600
    sign_in_failures_per_terminal: int = 20
    # A terminal whose failed sign-ins within one fixed window (window_start = a multiple of the window)
    # name this many different ID number/name pairs gets a row in sign_in_signals: one kiosk trying many
    # citizens is someone walking a list, not a citizen who forgot a password.
    signal_distinct_pairs: int = 5

    # Terminal authentication: after this many failures within the window, from one client address or for
    # one terminal id, further attempts are answered rate_limited (see routes/terminal.py for who is
    # exempt). A kiosk re-authenticates once an hour with its right secret and never fails.
    terminal_auth_window_s: int = 300
    terminal_auth_failures_per_address: int = 10
    terminal_auth_failures_per_terminal: int = 10

    # The public certificate page: look-ups of well-formed codes per client address within the window. A
    # person checking a pile of certificates stays far below it; 30 a minute makes 2^80 codes unguessable.
    verify_window_s: int = 60
    verify_lookups_per_address: int = 30

    def __post_init__(self) -> None:
        for name, value in vars(self).items():
            if value < 1:
                raise ValueError(f"limit {name} must be at least 1, got {value}")
