"""The steps shown in the header: every screen of a multi-screen service has one, counted in order."""

import ast
from pathlib import Path

from kiosk.services.steps import FLOWS, step_of

SCREENS_SOURCE = Path(__file__).resolve().parents[2] / "kiosk" / "screens" / "__init__.py"


def _screen_names() -> set[str]:
    # Read, not imported: the screens package starts Kivy.
    tree = ast.parse(SCREENS_SOURCE.read_text(encoding="utf-8"))
    (assignment,) = [
        node
        for node in tree.body
        if isinstance(node, ast.AnnAssign) and getattr(node.target, "id", "") == "SCREENS"
    ]
    assert isinstance(assignment.value, ast.Dict)
    return {ast.literal_eval(key) for key in assignment.value.keys if key is not None}


def test_every_flow_screen_exists_and_belongs_to_one_flow() -> None:
    listed = [screen for screens in FLOWS.values() for screen in screens]
    assert len(listed) == len(set(listed))
    assert set(listed) <= _screen_names()


def test_steps_count_from_one_to_the_flows_length() -> None:
    for screens in FLOWS.values():
        assert [step_of(screen) for screen in screens] == [
            (n, len(screens)) for n in range(1, len(screens) + 1)
        ]
    for elsewhere in ("attract", "home", "overview", "notice", "goodbye", "maintenance_status"):
        assert step_of(elsewhere) == (0, 0)


def test_every_service_screen_with_a_next_screen_is_in_a_flow() -> None:
    # Prefixed families of screens (withdrawal_*, appointment_*, …) are flows, except the ones that end
    # a flow early (appointment_unavailable) or stand alone (my_appointments).
    stand_alone = {"appointment_unavailable", "my_appointments", "password_change"}
    families = {name.split("_")[0] for screens in FLOWS.values() for name in screens}
    for name in _screen_names() - stand_alone:
        if name.split("_")[0] in families and name not in ("card", "password"):
            assert step_of(name) != (0, 0), f"{name} shows no step"
