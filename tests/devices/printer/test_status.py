"""DLE EOT answers: every paper state, and silence or nonsense as *unknown*, never "paper OK"."""

from __future__ import annotations

import pytest
from escpos.printer import Dummy

from kiosk.devices.printer.status import UNKNOWN, Paper, answer_bytes, parse_status


def _answers(**condition: object) -> dict[int, bytes]:
    return {n: bytes([value]) for n, value in answer_bytes(**condition).items()}  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("condition", "paper", "ready", "text"),
    [
        ({"paper": Paper.OK}, Paper.OK, True, "ready"),
        ({"paper": Paper.NEAR_END}, Paper.NEAR_END, True, "ready, paper near end"),
        ({"paper": Paper.OUT}, Paper.OUT, False, "paper out"),
        ({"paper": Paper.OK, "cover_open": True}, Paper.OK, False, "cover open"),
        ({"paper": Paper.OK, "cutter_error": True}, Paper.OK, False, "cutter error"),
        ({"paper": Paper.OK, "offline": True}, Paper.OK, False, "offline"),
    ],
)
def test_each_condition(condition: dict[str, object], paper: Paper, ready: bool, text: str) -> None:
    status = parse_status(_answers(**condition))
    assert (status.paper, status.ready, status.describe()) == (paper, ready, text)


def test_the_all_clear_bytes_are_0x12() -> None:
    assert set(answer_bytes(paper=Paper.OK).values()) == {0x12}
    assert answer_bytes(paper=Paper.OUT)[4] == 0x72 and answer_bytes(paper=Paper.NEAR_END)[4] == 0x1E


def test_no_answer_is_unknown_not_paper_ok() -> None:
    # python-escpos's paper_status() reads an empty answer as 2, "paper OK": the trap this module avoids.
    dummy = Dummy()
    dummy._read = lambda: b""  # type: ignore[method-assign]
    assert dummy.paper_status() == 2
    status = parse_status({})
    assert status == UNKNOWN and not status.ready and status.problem == "no answer"


def test_a_partial_or_malformed_answer_is_not_ready() -> None:
    answers = _answers(paper=Paper.OK)
    del answers[4]
    status = parse_status(answers)
    assert status.paper is Paper.UNKNOWN and not status.ready and status.problem == "incomplete answer"
    garbage = {n: b"\x00" for n in (1, 2, 3, 4)}  # fixed bits wrong: not a DLE EOT answer
    assert parse_status(garbage) == UNKNOWN
    two_bytes = {n: b"\x12\x12" for n in (1, 2, 3, 4)}
    assert not parse_status(two_bytes).ready


def test_paper_end_stop_in_the_offline_cause_means_paper_out_too() -> None:
    answers = _answers(paper=Paper.OK)
    answers[2] = bytes([0x12 | 0x20])
    assert parse_status(answers).paper is Paper.OUT
