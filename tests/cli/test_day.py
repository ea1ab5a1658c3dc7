"""bench/day.py's compressed day in small: 40 visits (20 of warm-up, one of each kind of the mix among
them) through `kiosk simulate`'s kiosk, with every incident of the day: the printer's paper running out
and replaced, the network dropping twice, a signed config bundle arriving while a citizen is signed in.
The resource goals are left to the bench: 20 measured visits are too few for them."""

from __future__ import annotations

from typing import Any

import pytest

from bench.day import BUNDLE_VERSION, DROPS_AT, MIX, day


@pytest.fixture(scope="module")
def short_day() -> dict[str, Any]:
    return day(40, seed=7)


def test_no_citizen_meets_an_error_the_day_did_not_script(short_day: dict[str, Any]) -> None:
    assert short_day["errors"] == []
    assert set(short_day["mix"]) == set(MIX)  # every kind of visit, so every service, was served
    assert short_day["scripted"]["wrong_password"] >= 1
    assert set(short_day["goals_missed"]) <= {"rss", "threads", "fds"}


def test_paper_running_out_is_noticed_and_a_new_roll_prints_again(short_day: dict[str, Any]) -> None:
    paper = short_day["paper"]
    assert paper["noticed"] is True  # the certificate step said not_printed
    assert paper["recovered"] is True  # the next certificate printed on the new roll
    assert short_day["scripted"]["paper_out"] == 1


def test_the_outbox_fills_during_each_drop_and_drains_after_it(short_day: dict[str, Any]) -> None:
    drops = short_day["drops"]
    assert len(drops) == len(DROPS_AT)
    for drop in drops:
        assert drop["depth_at_restore"] > drop["depth_at_cut"]  # visits went on offline, filing
        assert drop["drained"] is True
    assert short_day["scripted"]["network_down"] >= 1  # walk-ups could not sign in
    assert short_day["outbox_depth"][-1] == [40, 0]


def test_a_bundle_arriving_mid_visit_waits_for_the_visit_then_applies(short_day: dict[str, Any]) -> None:
    assert short_day["bundle"] == {
        "at_visit": short_day["bundle"]["at_visit"],
        "version": BUNDLE_VERSION,
        "mid_visit": "deferred",
        "visit_ok": True,
        "after_visit": "healthy",
        "applied_version": BUNDLE_VERSION,
    }
