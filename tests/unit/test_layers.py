"""The layer rules of docs/architecture.md, checked on the source: a violation names file and import."""

import ast
from pathlib import Path

import pytest

KIOSK = Path(__file__).resolve().parents[2] / "kiosk"
UI_ALLOWED = ("app.py", "screens/", "widgets/")


def _imports(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.append(node.module)
    return names


def _modules() -> list[tuple[str, list[str]]]:
    return [(path.relative_to(KIOSK).as_posix(), _imports(path)) for path in sorted(KIOSK.rglob("*.py"))]


def _violations(rule: str) -> list[str]:
    found = []
    for rel, names in _modules():
        for name in names:
            top = name.split(".")[0]
            if rule == "kivy" and top == "kivy" and not rel.startswith(UI_ALLOWED):
                found.append(f"kiosk/{rel} imports {name}: Kivy belongs in app.py, screens/ or widgets/")
            if (
                rule == "screens"
                and rel.startswith("screens/")
                and (
                    name.startswith(("kiosk.devices", "kiosk.central", "kiosk.offline_queue"))
                    or top
                    in ("requests", "sqlalchemy", "serial", "smartcard", "escpos", "urllib3", "sqlite3")
                )
            ):
                found.append(f"kiosk/{rel} imports {name}: screens call services only")
            if (
                rule == "devices"
                and rel.startswith("devices/")
                and (
                    top == "kivy"
                    or name.startswith(("kiosk.services", "kiosk.central", "kiosk.screens", "kiosk.app"))
                )
            ):
                found.append(f"kiosk/{rel} imports {name}: devices know nothing of services, HTTP or the UI")
            if (
                rule == "central"
                and rel.startswith("central/")
                and (top == "kivy" or name.startswith(("kiosk.services", "kiosk.screens", "kiosk.devices")))
            ):
                found.append(
                    f"kiosk/{rel} imports {name}: the central client knows only HTTP and the contract"
                )
            if rule == "receipts" and rel.startswith("receipts/") and name.startswith("kiosk.devices"):
                found.append(f"kiosk/{rel} imports {name}: receipts are plain data; printers print them")
            if (
                rule == "outbox"
                and rel.startswith("offline_queue/")
                and (
                    top == "kivy"
                    or name.startswith(("kiosk.screens", "kiosk.services", "kiosk.devices", "kiosk.app"))
                )
            ):
                found.append(
                    f"kiosk/{rel} imports {name}: the outbox knows storage and the central client only"
                )
            if rule == "server" and top == "central_server":
                found.append(f"kiosk/{rel} imports {name}: the kiosk never imports the reference server")
    return found


@pytest.mark.parametrize("rule", ["kivy", "screens", "devices", "central", "receipts", "outbox", "server"])
def test_layer_rule(rule: str) -> None:
    assert _violations(rule) == []


CENTRE = KIOSK.parent / "central_server"
# The kiosk's own bundle checker, so the centre refuses at publish exactly what the kiosks would refuse
# (docs/architecture.md); nothing else of the kiosk.
CENTRE_MAY_IMPORT = {
    "kiosk.remote_config.bundle",
    "kiosk.remote_config.schema",
    "kiosk.masking",
    "kiosk.transaction_numbers",
}


def test_the_centre_imports_only_the_kiosks_pure_modules() -> None:
    found = [
        f"{path.relative_to(CENTRE.parent).as_posix()} imports {name}"
        for path in sorted(CENTRE.rglob("*.py"))
        for name in _imports(path)
        if name.split(".")[0] == "kiosk" and name not in CENTRE_MAY_IMPORT
    ]
    assert found == []
    assert any("kiosk.remote_config.bundle" in _imports(path) for path in CENTRE.rglob("*.py"))
    # ... and those modules stay pure: no Kivy, devices, HTTP or other kiosk module under them.
    for module in sorted(CENTRE_MAY_IMPORT):
        path = KIOSK.parent / (module.replace(".", "/") + ".py")
        for name in _imports(path):
            top = name.split(".")[0]
            assert top not in ("kivy", "requests", "sqlalchemy", "serial", "smartcard", "escpos"), name
            assert top != "kiosk" or name in CENTRE_MAY_IMPORT, f"{module} imports {name}"


def test_the_check_sees_imports(tmp_path: Path) -> None:
    # Guard against a scanner that silently finds nothing (e.g. a wrong root): the UI must show up.
    names = dict(_modules())
    assert "kivy.app" in names["app.py"]
    assert any(n.startswith("kiosk.devices") for n in names["services/idcard.py"])


def test_building_screens_loads_no_heavy_library_on_the_kivy_thread() -> None:
    """Screens are built on the Kivy thread; a driver or database library imported there freezes a frame."""
    import subprocess
    import sys

    code = (
        "import sys, importlib; from kiosk.screens import SCREENS\n"
        "for module, _ in SCREENS.values(): importlib.import_module(module)\n"
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'escpos', 'sqlalchemy', 'cryptography', "
        "'requests', 'smartcard', 'serial'}))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=60,
        env={**__import__("os").environ, "KIVY_NO_ARGS": "1", "KIVY_LOG_MODE": "PYTHON"},
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip().splitlines()[-1] == "[]"
