"""The hidden staff gesture: taps in a row in one corner within the window open maintenance mode; anything
else (a tap elsewhere, too slow, another corner) does not."""

from hypothesis import given
from hypothesis import strategies as st

from kiosk.services.corner_taps import CORNER_FRACTION, CornerTaps, in_corner

W, H = 1080.0, 1920.0
SIDE = CORNER_FRACTION * W
TOP_LEFT = (10.0, H - 10.0)


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_five_quick_taps_in_the_corner_open_it_and_the_count_starts_again() -> None:
    clock = Clock()
    gesture = CornerTaps("top_left", 5, 3.0, clock)
    answers = []
    for _ in range(5):
        answers.append(gesture.tap(*TOP_LEFT, W, H))
        clock.now += 0.4
    assert answers == [False, False, False, False, True]
    assert not gesture.tap(*TOP_LEFT, W, H)  # the next tap begins a new gesture


def test_too_slow_does_not_open_until_the_last_five_fall_within_the_window() -> None:
    clock = Clock()
    gesture = CornerTaps("top_left", 5, 3.0, clock)
    for _ in range(5):
        assert not gesture.tap(*TOP_LEFT, W, H)
        clock.now += 1.0  # five taps over four seconds
    clock.now -= 0.9
    assert not gesture.tap(*TOP_LEFT, W, H)  # the last five span 101.0 to 104.1: 3.1 s
    clock.now += 0.1
    assert gesture.tap(*TOP_LEFT, W, H)  # 102.0 to 104.2: 2.2 s


def test_a_tap_elsewhere_starts_the_count_again() -> None:
    clock = Clock()
    gesture = CornerTaps("top_left", 5, 3.0, clock)
    for _ in range(4):
        gesture.tap(*TOP_LEFT, W, H)
    assert not gesture.tap(W / 2, H / 2, W, H)
    assert not gesture.tap(*TOP_LEFT, W, H)


def test_each_corner_is_its_own() -> None:
    assert in_corner("top_left", 5, H - 5, W, H)
    assert in_corner("top_right", W - 5, H - 5, W, H)
    assert in_corner("bottom_left", 5, 5, W, H)
    assert in_corner("bottom_right", W - 5, 5, W, H)
    assert not in_corner("top_left", W - 5, H - 5, W, H)
    assert not in_corner("top_left", SIDE + 1, H - 5, W, H)
    assert not in_corner("top_left", 5, 5, W, 0)


@given(
    taps=st.lists(
        st.tuples(st.floats(0, W), st.floats(0, H), st.floats(0.0, 5.0, allow_nan=False)), max_size=40
    ),
    needed=st.integers(3, 10),
    window=st.floats(0.6, 10.0),
)
def test_it_opens_only_after_enough_corner_taps_in_a_row_within_the_window(
    taps: list[tuple[float, float, float]], needed: int, window: float
) -> None:
    clock = Clock()
    gesture = CornerTaps("bottom_right", needed, window, clock)
    run: list[float] = []  # times of the corner taps in a row since the last opening
    for x, y, gap in taps:
        clock.now += gap
        opened = gesture.tap(x, y, W, H)
        if not in_corner("bottom_right", x, y, W, H):
            run = []
            assert not opened
            continue
        run.append(clock.now)
        expected = len(run) >= needed and run[-1] - run[-needed] <= window
        assert opened == expected
        if opened:
            run = []
