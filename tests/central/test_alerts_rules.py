"""The alert rules as pure functions: hand-made cases with known answers, and properties checked against
a plain restatement of each rule over generated records; and the thresholds file."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from central_server.alerts import AlertRulesFileError, load_alert_rules
from central_server.alerts import rules as r

NOW = dt.datetime(2026, 11, 27, 3, 0, tzinfo=dt.UTC)


def _ago(**delta: float) -> dt.datetime:
    return NOW - dt.timedelta(**delta)


def test_citizen_failures_known_answers() -> None:
    limits = r.CitizenFailuresThresholds()
    at_two = [r.SignInFailure(_ago(minutes=m), ("K1", "K2")[m % 2], "p") for m in range(5)]
    finding = r.citizen_sign_in_failures(at_two, NOW, limits)
    assert finding is not None and finding.evidence["failures"] == 5
    assert finding.evidence["terminals"] == ["K1", "K2"]
    at_one = [r.SignInFailure(_ago(minutes=m), "K1", "p") for m in range(9)]
    assert r.citizen_sign_in_failures(at_one, NOW, limits) is None
    # An hour and more ago no longer counts.
    stale = [*at_two[:4], r.SignInFailure(_ago(hours=1), "K2", "p")]
    assert r.citizen_sign_in_failures(stale, NOW, limits) is None


def test_kiosk_failures_known_answers() -> None:
    limits = r.KioskFailuresThresholds()
    many = [r.SignInFailure(_ago(minutes=m), "K1", f"p{m}") for m in range(5)]
    assert r.kiosk_sign_in_failures(many, NOW, limits) == r.Finding(
        {"failures": 5, "distinct_citizens": 5, "window_s": 600}
    )
    assert r.kiosk_sign_in_failures(many[:4] * 3, NOW, limits) is None
    assert (
        r.kiosk_sign_in_failures([*many[:4], r.SignInFailure(_ago(minutes=10), "K1", "x")], NOW, limits)
        is None
    )


def test_shared_card_known_answers() -> None:
    limits = r.SharedCardThresholds()
    a = r.Withdrawal(_ago(days=29), "ca", "120***********1234", "TQAAAAAAAA")
    b = r.Withdrawal(NOW, "cb", "120***********5678", "TQBBBBBBBB")
    finding = r.shared_payee_card([a, b], NOW, limits)
    assert finding is not None
    assert finding.evidence["citizens"] == ["120***********1234", "120***********5678"]
    assert finding.evidence["withdrawals"] == ["TQAAAAAAAA", "TQBBBBBBBB"]
    assert r.shared_payee_card([a, b, r.Withdrawal(NOW, "ca", a.masked_id, "TQC")][::2], NOW, limits) is None
    old = r.Withdrawal(_ago(days=30), "ca", a.masked_id, "TQA")
    assert r.shared_payee_card([old, b], NOW, limits) is None


def test_password_change_known_answers() -> None:
    limits = r.PasswordChangeThresholds()
    finding = r.withdrawal_after_password_change([_ago(hours=30), _ago(hours=2)], NOW, limits)
    assert finding is not None and finding.evidence["minutes_between"] == 120
    assert r.withdrawal_after_password_change([_ago(hours=24, seconds=1)], NOW, limits) is None
    # A change after the withdrawal was made did not lead to it.
    assert r.withdrawal_after_password_change([NOW + dt.timedelta(minutes=1)], NOW, limits) is None


def test_two_halls_known_answers() -> None:
    limits = r.TwoHallsThresholds()
    latest = r.SignIn(NOW, "B1", "hall-b")
    assert r.two_halls([r.SignIn(_ago(minutes=10), "A1", "hall-a")], latest, limits) == r.Finding(
        {"halls": ["hall-a", "hall-b"], "terminals": ["A1", "B1"], "minutes_between": 10}
    )
    assert r.two_halls([r.SignIn(_ago(minutes=11), "A1", "hall-a")], latest, limits) is None
    assert r.two_halls([r.SignIn(_ago(minutes=1), "B2", "hall-b"), latest], latest, limits) is None


_offsets = st.integers(min_value=-100, max_value=8000)
_failures = st.lists(
    st.builds(
        lambda s, t, p: r.SignInFailure(NOW - dt.timedelta(seconds=s), t, p),
        _offsets,
        st.sampled_from(["K1", "K2", "K3"]),
        st.sampled_from(["p1", "p2", "p3", "p4", "p5", "p6"]),
    ),
    max_size=12,
)
_small = st.integers(min_value=1, max_value=6)


@given(_failures, _small, _small, st.integers(min_value=1, max_value=7200))
def test_citizen_rule_is_its_definition(
    failures: list[r.SignInFailure], count: int, terminals: int, window: int
) -> None:
    limits = r.CitizenFailuresThresholds(count, terminals, window)
    inside = [f for f in failures if 0 <= (NOW - f.at).total_seconds() < window]
    expected = len(inside) >= count and len({f.terminal_id for f in inside}) >= terminals
    finding = r.citizen_sign_in_failures(failures, NOW, limits)
    assert (finding is not None) == expected
    if finding is not None:
        assert finding.evidence["failures"] == len(inside)


@given(_failures, _failures, _small)
def test_kiosk_rule_only_grows_with_more_failures(
    failures: list[r.SignInFailure], more: list[r.SignInFailure], citizens: int
) -> None:
    limits = r.KioskFailuresThresholds(citizens, 600)
    if r.kiosk_sign_in_failures(failures, NOW, limits) is not None:
        assert r.kiosk_sign_in_failures(failures + more, NOW, limits) is not None
    inside = {f.pair_key for f in failures if 0 <= (NOW - f.at).total_seconds() < 600}
    assert (r.kiosk_sign_in_failures(failures, NOW, limits) is not None) == (len(inside) >= citizens)


@given(
    st.lists(
        st.tuples(st.integers(min_value=0, max_value=40 * 86400), st.sampled_from(["c1", "c2", "c3"])),
        max_size=8,
    ),
    st.integers(min_value=2, max_value=3),
)
def test_shared_card_rule_is_its_definition(uses: list[tuple[int, str]], citizens: int) -> None:
    limits = r.SharedCardThresholds(citizens, 30)
    withdrawals = [
        r.Withdrawal(NOW - dt.timedelta(seconds=s), c, c, f"TQ{i}") for i, (s, c) in enumerate(uses)
    ]
    inside = {c for s, c in uses if s < 30 * 86400}
    finding = r.shared_payee_card(withdrawals, NOW, limits)
    assert (finding is not None) == (len(inside) >= citizens)
    if finding is not None:
        assert set(finding.evidence["citizens"]) == inside


@given(st.lists(st.integers(min_value=-86400, max_value=3 * 86400), max_size=6))
def test_password_change_rule_is_its_definition(changes_ago: list[int]) -> None:
    changes = [NOW - dt.timedelta(seconds=s) for s in changes_ago]
    finding = r.withdrawal_after_password_change(changes, NOW, r.PasswordChangeThresholds())
    eligible = [s for s in changes_ago if 0 <= s <= 86400]
    assert (finding is not None) == bool(eligible)
    if finding is not None:
        assert finding.evidence["minutes_between"] == min(eligible) // 60


@given(
    st.lists(
        st.tuples(st.integers(min_value=-1200, max_value=1200), st.sampled_from(["hall-a", "hall-b"])),
        max_size=6,
    ),
)
def test_two_halls_rule_is_symmetric_in_time_and_needs_another_hall(earlier: list[tuple[int, str]]) -> None:
    latest = r.SignIn(NOW, "A1", "hall-a")
    sign_ins = [r.SignIn(NOW - dt.timedelta(seconds=s), "X", hall) for s, hall in earlier]
    expected = any(hall != "hall-a" and abs(s) <= 600 for s, hall in earlier)
    assert (r.two_halls(sign_ins, latest, r.TwoHallsThresholds()) is not None) == expected


def test_the_thresholds_file(tmp_path: Path) -> None:
    path = tmp_path / "alerts.toml"
    path.write_text("[kiosk_sign_in_failures]\ncitizens = 3\n\n[two_halls]\nwithin_s = 300\n")
    rules = load_alert_rules(path)
    assert rules.kiosk_sign_in_failures == r.KioskFailuresThresholds(citizens=3, window_s=600)
    assert rules.two_halls.within_s == 300
    assert rules.citizen_sign_in_failures == r.CitizenFailuresThresholds()
    assert load_alert_rules(_write(tmp_path, "")) == r.AlertRules()


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "rules.toml"
    path.write_text(text)
    return path


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[kiosk_sign_in_failures]\ncitizens = 0\n", "key kiosk_sign_in_failures.citizens: Input should be"),
        ("[kiosk_sign_in_failures]\ncitizens = '5'\n", "key kiosk_sign_in_failures.citizens:"),
        ("[two_hall]\nwithin_s = 5\n", "key two_hall: Extra inputs are not permitted"),
        ("[two_halls\n", "is not valid TOML"),
    ],
)
def test_a_bad_thresholds_file_names_the_file_and_key(tmp_path: Path, text: str, message: str) -> None:
    path = _write(tmp_path, text)
    with pytest.raises(AlertRulesFileError) as caught:
        load_alert_rules(path)
    assert str(path) in str(caught.value) and message in str(caught.value)
    with pytest.raises(AlertRulesFileError, match="cannot read alert rules file"):
        load_alert_rules(tmp_path / "missing.toml")


def test_kiosk_central_refuses_a_bad_thresholds_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from central_server.cli import main

    path = _write(tmp_path, "[shared_payee_card]\ncitizens = 1\n")
    assert main(["serve", "--demo", "--port", "0", "--alert-rules", str(path)]) == 2
    assert "key shared_payee_card.citizens" in capsys.readouterr().err
