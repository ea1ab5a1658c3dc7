"""Unexpected exceptions: logged without their messages (which may quote personal data), and a budget
that stops recovering from a fault that keeps coming back."""

from hypothesis import given
from hypothesis import strategies as st

from kiosk.services.faults import RecoveryBudget, one_line_reason, redacted_traceback

ID_NUMBER = "120199199001010012"
NAME = "张测试"


def _show_overview(holder: dict[str, str]) -> str:
    return holder["masked_name"]  # a KeyError that quotes the key it missed


def _raise_with(message: str) -> BaseException:
    try:
        try:
            _show_overview({ID_NUMBER: NAME})
        except KeyError as exc:
            raise ValueError(message) from exc
    except ValueError as exc:
        return exc
    raise AssertionError("unreachable")


def test_the_traceback_keeps_types_and_frames_and_drops_every_message() -> None:
    text = redacted_traceback(_raise_with(f"cannot show {NAME} {ID_NUMBER}"))
    assert "_show_overview" in text and "_raise_with" in text  # the frames, to find the bug
    assert "KeyError (message withheld)" in text and "ValueError (message withheld)" in text
    assert text.index("KeyError") < text.index("ValueError")  # the cause first, as Python prints it
    assert ID_NUMBER not in text and NAME not in text and "masked_name" not in text.split("\n")[-1]


@given(st.from_regex(r"120199\d{11}[\dX]", fullmatch=True), st.text(min_size=1, max_size=40))
def test_no_message_ever_reaches_the_log(id_number: str, words: str) -> None:
    text = redacted_traceback(_raise_with(f"{words} {id_number}"))
    assert id_number not in text


def test_a_cause_cycle_ends() -> None:
    first, second = ValueError("a"), KeyError("b")
    first.__cause__, second.__cause__ = second, first
    assert redacted_traceback(first).count("message withheld") == 2


def test_a_start_failure_reason_is_one_line() -> None:
    class OutboxUnavailable(Exception):
        def __init__(self, reason: str) -> None:
            super().__init__(reason)
            self.reason = reason

    assert (
        one_line_reason(OutboxUnavailable("the key file is not readable")) == "the key file is not readable"
    )
    assert (
        one_line_reason(OSError(13, "Permission denied")) == "PermissionError: [Errno 13] Permission denied"
    )
    assert one_line_reason(RuntimeError("first line\nsecond line")) == "RuntimeError: first line"
    assert one_line_reason(TimeoutError()) == "TimeoutError"
    assert len(one_line_reason(RuntimeError("x" * 1000))) == 200


def test_the_recovery_budget_refuses_a_fault_that_keeps_coming_back() -> None:
    now = [0.0]
    budget = RecoveryBudget(limit=3, window_s=60, clock=lambda: now[0])
    assert [budget.spend() for _ in range(4)] == [True, True, True, False]
    now[0] = 59.9
    assert not budget.spend()
    now[0] = 60.0  # the first three are a minute old: the kiosk may recover again
    assert budget.spend()
