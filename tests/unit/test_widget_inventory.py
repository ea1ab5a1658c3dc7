"""The UI's widgets, checked on the source: one widget for each job, each defined once, none left unused.
A failure names the widget and the files."""

import ast
import re
from collections import defaultdict
from pathlib import Path

KIOSK = Path(__file__).resolve().parents[2] / "kiosk"
UI_SOURCES = sorted([*(KIOSK / "widgets").glob("*.py"), *(KIOSK / "screens").glob("*.py"), KIOSK / "app.py"])
# The head of a kv rule: <Name>: or a dynamic class <Name@Base+Mixin>:
_RULE = re.compile(r"^\s*<(\w+)(?:@[\w+]+)?>:", re.MULTILINE)
_LAYOUTS = {"BoxLayout", "GridLayout", "FloatLayout", "RelativeLayout", "AnchorLayout", "StackLayout"}


def _classes(path: Path) -> list[ast.ClassDef]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    return [node for node in ast.walk(tree) if isinstance(node, ast.ClassDef)]


def _base_names(node: ast.ClassDef) -> set[str]:
    return {base.id for base in node.bases if isinstance(base, ast.Name)}


def test_one_tile_for_every_choice() -> None:
    # A tappable panel (a button behaviour on a layout) is what a citizen picks from; a second one is the
    # same job done twice, and the flows drift apart in size and colour.
    tiles = [
        f"{path.relative_to(KIOSK)}: {node.name}"
        for path in UI_SOURCES
        for node in _classes(path)
        if "ButtonBehavior" in _base_names(node) and _base_names(node) & _LAYOUTS
    ]
    assert tiles == ["widgets/choices.py: ChoiceTile"], f"use kiosk/widgets/choices.py ChoiceTile: {tiles}"


def test_each_kv_rule_is_defined_once() -> None:
    # Kivy applies every rule of a name, in load order: two modules styling one widget fight over it.
    places: dict[str, list[str]] = defaultdict(list)
    for path in UI_SOURCES:
        for name in _RULE.findall(path.read_text(encoding="utf-8")):
            places[name].append(str(path.relative_to(KIOSK)))
    twice = {name: files for name, files in places.items() if len(files) > 1}
    assert twice == {}, f"kv rules defined more than once: {twice}"


def test_no_shared_widget_is_left_unused() -> None:
    # Comments do not count as a use.
    texts = {
        path: re.sub(r"^\s*#.*$", "", path.read_text(encoding="utf-8"), flags=re.MULTILINE)
        for path in KIOSK.rglob("*.py")
    }
    defined: dict[str, Path] = {}
    for path in sorted((KIOSK / "widgets").glob("*.py")):
        for node in _classes(path):
            defined[node.name] = path
        for name in _RULE.findall(texts[path]):
            defined[name] = path
    unused = []
    for name, path in defined.items():
        word = re.compile(rf"\b{name}\b")
        definitions = re.compile(rf"^\s*(class {name}\b|<{name}[@>])", re.MULTILINE)
        uses = sum(len(word.findall(text)) - len(definitions.findall(text)) for text in texts.values())
        if uses == 0:
            unused.append(f"{path.relative_to(KIOSK)}: {name}")
    assert unused == [], f"widgets nothing uses (remove them): {unused}"


# Marks a screen's own copy of a shared piece of kiosk/widgets/flow.py leaves in its source. A footer, a big
# figure or waiting words of its own leave none that a simple check can tell from a screen's own buttons and
# labels: those are for review (docs/screens.md, Tests).
_SHARED_JOBS = {
    "FlowScroll": re.compile(r"\bScrollView\b"),
    "ListRow (the rule under a row)": re.compile(r"rgba:\s*theme\.DIVIDER\s*\n\s*Rectangle:"),
    "FlowWaiting": re.compile(r"Loading, please wait"),
}


def test_screens_leave_the_shared_jobs_to_the_shared_widgets() -> None:
    copies = []
    for path in UI_SOURCES:
        if path.parent == KIOSK / "widgets":
            continue
        source = path.read_text(encoding="utf-8")
        for widget, mark in _SHARED_JOBS.items():
            for match in mark.finditer(source):
                line = source[: match.start()].count("\n") + 1
                copies.append(f"{path.relative_to(KIOSK)}:{line} does the job of {widget}")
    assert copies == [], f"use the shared widget of kiosk/widgets/flow.py instead: {copies}"
