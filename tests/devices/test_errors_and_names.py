"""One error hierarchy and one name per concept in the device layer.

Every exception class defined under ``kiosk/devices/`` derives from ``DeviceError``, so a caller that
catches ``DeviceError`` has caught everything the layer raises on purpose (private ones too: a private
error that leaks is still raised to somebody). And no class or event alias the device layer, or the
service that translates its card events, defines shares its name with another definition in ``kiosk/``:
an ID card's ``CardRemoved`` event and a bank card's ``CardRemoved`` error once did, and an
``isinstance`` test against the wrong one is silently false.

The name check covers every name of the device layer and its card-event service, and every exception
class in ``kiosk/``: ``except KeyFileError`` must not mean the outbox's missing sealing key in one module
and an operator's unreadable key file in another.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import pkgutil
from collections import defaultdict
from pathlib import Path

import kiosk
import kiosk.devices
from kiosk.devices.base import DeviceError

KIOSK = Path(kiosk.__file__).parent
DEVICES = KIOSK / "devices"
CARD_EVENT_SERVICE = KIOSK / "services" / "idcard.py"


def device_modules() -> list[str]:
    return [info.name for info in pkgutil.walk_packages(kiosk.devices.__path__, "kiosk.devices.")]


def test_every_exception_defined_under_devices_is_a_device_error() -> None:
    exceptions = []
    for name in device_modules():
        module = importlib.import_module(name)
        exceptions += [
            cls
            for _, cls in inspect.getmembers(module, inspect.isclass)
            if cls.__module__ == name and issubclass(cls, BaseException)
        ]
    assert len(exceptions) > 20, "the walk found too few exception classes to be looking in the right place"
    strays = sorted(
        f"{cls.__module__}.{cls.__qualname__}" for cls in exceptions if not issubclass(cls, DeviceError)
    )
    assert strays == []


def test_errors_keep_the_builtin_base_their_callers_catch() -> None:
    from kiosk.devices.bankcard.errors import CardMute
    from kiosk.devices.idcard.reader import ResponseTimeout
    from kiosk.devices.printer.tokenizer import EscPosError

    assert issubclass(CardMute, TimeoutError) and issubclass(ResponseTimeout, TimeoutError)
    assert issubclass(EscPosError, ValueError)


def _is_union_of_classes(value: ast.expr) -> bool:
    if isinstance(value, ast.BinOp) and isinstance(value.op, ast.BitOr):
        return _is_union_of_classes(value.left) and _is_union_of_classes(value.right)
    return isinstance(value, ast.Name) and value.id[:1].isupper()


def _definitions(path: Path) -> list[str]:
    """Module-level classes and type aliases (``CardEvent = A | B``) of one file."""
    names = []
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.ClassDef):
            names.append(node.name)
        elif isinstance(node, ast.Assign) and _is_union_of_classes(node.value):
            names += [target.id for target in node.targets if isinstance(target, ast.Name)]
    return names


def test_no_name_of_the_device_layer_is_defined_twice_in_kiosk() -> None:
    where: dict[str, list[str]] = defaultdict(list)
    for path in sorted(KIOSK.rglob("*.py")):
        for name in _definitions(path):
            where[name].append(str(path.relative_to(KIOSK.parent)))
    ours = {name for path in [*DEVICES.rglob("*.py"), CARD_EVENT_SERVICE] for name in _definitions(path)}
    clashes = {name: files for name, files in where.items() if name in ours and len(files) > 1}
    assert clashes == {}


def _exception_classes(path: Path) -> list[str]:
    """Module-level classes of one file whose bases name an error or exception."""
    def base_name(base: ast.expr) -> str:
        return base.attr if isinstance(base, ast.Attribute) else getattr(base, "id", "")

    return [
        node.name
        for node in ast.parse(path.read_text(encoding="utf-8")).body
        if isinstance(node, ast.ClassDef)
        and any(base_name(base).endswith(("Error", "Exception")) for base in node.bases)
    ]


def test_no_exception_name_is_defined_twice_in_kiosk() -> None:
    where: dict[str, list[str]] = defaultdict(list)
    for path in sorted(KIOSK.rglob("*.py")):
        for name in _exception_classes(path):
            where[name].append(str(path.relative_to(KIOSK.parent)))
    assert len(where) > 30, "the walk found too few exception classes to be looking in the right place"
    assert {name: files for name, files in where.items() if len(files) > 1} == {}
